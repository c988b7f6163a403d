/**
 * The `waterline` CLI: a thin shell over the pipeline. One file per command; each exports
 * `register(program, ctx)`. Errors print one line (`error: ...`) and a non-zero exit code, no stack.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { readEnvConfig } from '../config.ts';
import { createLogger } from '../logger.ts';
import { describeError, isWaterlineError } from '../core/errors.ts';
import type { CliContext } from './context.ts';

type Register = (program: Command, ctx: CliContext) => void;

/** Command modules, in the order of the data flow. Each module exports `register`. */
const commandModules: (() => Promise<{ register: Register }>)[] = [
  // scene → tiles
  () => import('./infoCommand.ts'),
  () => import('./tilesCommand.ts'),
  // model → tokens → masks → polygons
  () => import('./modelsCommand.ts'),
  () => import('./evalCommand.ts'),
  () => import('./tokensCommand.ts'),
  () => import('./prepareCommand.ts'),
  () => import('./segmentCommand.ts'),
  () => import('./changeCommand.ts'),
  () => import('./vectorizeCommand.ts'),
  // serving
  () => import('./serveCommand.ts'),
  () => import('./workerCommand.ts'),
];

/** The `version` of package.json (the one version number of the product). */
export function waterlineVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export async function main(argv: string[], overrides: Partial<CliContext> = {}): Promise<number> {
  const env = overrides.env ?? readEnvConfig();
  const ctx: CliContext = {
    env,
    logger: overrides.logger ?? createLogger(env.logLevel),
    stdout: overrides.stdout ?? process.stdout,
    stderr: overrides.stderr ?? process.stderr,
    isTTY: overrides.isTTY ?? Boolean(process.stderr.isTTY),
  };
  const program = new Command()
    .name('waterline')
    .description('Map surface water in georeferenced satellite scenes and serve it to map clients.')
    .version(`waterline ${waterlineVersion()}`, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'print help for a command')
    .helpCommand('help [command]', 'print help for a command')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.stdout.write(s),
      writeErr: (s) => ctx.stderr.write(s),
    });
  for (const load of commandModules) (await load()).register(program, ctx);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 || err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? 0 : 2;
    }
    ctx.stderr.write(`error: ${describeError(err)}\n`);
    if (!isWaterlineError(err)) ctx.logger.debug({ err }, 'unexpected error');
    return isWaterlineError(err) && err.status === 499 ? 130 : 1;
  }
}
