/**
 * What every CLI command receives: configuration from the environment, a logger, and output streams
 * (so tests can capture them).
 */
import type { Writable } from 'node:stream';
import type { EnvConfig } from '../config.ts';
import type { Logger } from '../logger.ts';

export interface CliContext {
  env: EnvConfig;
  logger: Logger;
  stdout: Writable;
  stderr: Writable;
  /** True when stderr is a terminal: show progress bars instead of progress lines. */
  isTTY: boolean;
}
