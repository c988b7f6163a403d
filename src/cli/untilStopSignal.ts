/**
 * How the long-running commands (`serve`, `worker`) end: on the first SIGTERM or SIGINT, say so on stderr,
 * stop listening for both, and close gracefully (what is in flight finishes). Resolves once closed; a failed
 * close is logged, not thrown (the process is ending anyway).
 */
import type { CliContext } from './context.ts';

export function untilStopSignal(ctx: CliContext, close: () => Promise<void>, stopping: string, closeFailed: string): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      ctx.stderr.write(`${signal}: ${stopping}...\n`);
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
      close().then(resolve, (err: unknown) => {
        ctx.logger.error({ err }, closeFailed);
        resolve();
      });
    };
    const onTerm = (): void => stop('SIGTERM');
    const onInt = (): void => stop('SIGINT');
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
  });
}
