/**
 * One error hierarchy for the whole product. Every error knows the message a user sees, a stable
 * machine code, and the HTTP status the server maps it to (see src/http/problem.ts). Messages name the
 * input and say what to do; the CLI prints `error: <message>` without a stack trace.
 */
export interface WaterlineErrorOptions {
  /** What the user can do about it; appended to the message in CLI output. */
  hint?: string;
  cause?: unknown;
}

export class WaterlineError extends Error {
  /** Stable machine-readable code, e.g. `not_georeferenced`. */
  readonly code: string;
  /** HTTP status this error maps to. */
  readonly status: number;
  readonly hint?: string;

  constructor(code: string, message: string, status = 500, options: WaterlineErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = status;
    this.hint = options.hint;
  }

  /** One line for a terminal: message plus hint. */
  userMessage(): string {
    return this.hint ? `${this.message} (${this.hint})` : this.message;
  }
}

/** Bad input from the user: a file, a flag, a request body. */
export class InputError extends WaterlineError {
  constructor(code: string, message: string, options?: WaterlineErrorOptions) {
    super(code, message, 400, options);
  }
}

/** The input is well-formed but uses something Waterline does not support (compression, CRS...). */
export class UnsupportedError extends WaterlineError {
  constructor(code: string, message: string, options?: WaterlineErrorOptions) {
    super(code, message, 422, options);
  }
}

export class NotFoundError extends WaterlineError {
  constructor(code: string, message: string, options?: WaterlineErrorOptions) {
    super(code, message, 404, options);
  }
}

export class ConflictError extends WaterlineError {
  constructor(code: string, message: string, options?: WaterlineErrorOptions) {
    super(code, message, 409, options);
  }
}

export class TooLargeError extends WaterlineError {
  constructor(code: string, message: string, options?: WaterlineErrorOptions) {
    super(code, message, 413, options);
  }
}

export class UnauthorizedError extends WaterlineError {
  constructor(code: string, message: string, options?: WaterlineErrorOptions) {
    super(code, message, 401, options);
  }
}

/** A model file is missing, malformed, or its runtime failed. */
export class ModelError extends WaterlineError {
  constructor(code: string, message: string, options?: WaterlineErrorOptions) {
    super(code, message, 500, options);
  }
}

/** A service Waterline depends on is not ready (model still loading, provider unavailable). */
export class UnavailableError extends WaterlineError {
  constructor(code: string, message: string, options?: WaterlineErrorOptions) {
    super(code, message, 503, options);
  }
}

export class CancelledError extends WaterlineError {
  constructor(message = 'cancelled') {
    super('cancelled', message, 499);
  }
}

export function isWaterlineError(err: unknown): err is WaterlineError {
  return err instanceof WaterlineError;
}

/** A single line describing any thrown value, for logs and the CLI. */
export function describeError(err: unknown): string {
  if (err instanceof WaterlineError) return err.userMessage();
  if (err instanceof Error) return err.message;
  return String(err);
}
