/**
 * Runs the `waterline` CLI in-process (`main(argv, overrides)` from src/cli/main.ts) and captures what it
 * writes. Defaults: the silent logger and non-TTY output (plain progress lines); `overrides` replace any
 * part of the context (an `env` from `readEnvConfig({})` for a clean environment, a private `modelsDir`, ...).
 * Without `env`, main reads the process environment, as the real CLI does.
 */
import { Writable } from 'node:stream';
import { main } from '../../src/cli/main.ts';
import type { CliContext } from '../../src/cli/context.ts';
import { silentLogger } from '../../src/logger.ts';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

function capture(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({ write(chunk, _enc, cb) { chunks.push(Buffer.from(chunk)); cb(); } });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

export async function runCli(argv: string[], overrides: Partial<CliContext> = {}): Promise<CliRun> {
  const out = capture();
  const err = capture();
  const code = await main(argv, { logger: silentLogger, isTTY: false, ...overrides, stdout: out.stream, stderr: err.stream });
  return { code, stdout: out.text(), stderr: err.text() };
}
