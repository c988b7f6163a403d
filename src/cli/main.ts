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

/**
 * Command modules, in the order of the data flow, by command name. Each module exports `register`.
 * A run naming a command loads only that command's module (its imports — onnxruntime, express, … — are
 * what a start costs); help, --version and unknown commands load them all.
 */
const commandModules: [name: string, load: () => Promise<{ register: Register }>][] = [
  // scene → tiles
  ['info', () => import('./infoCommand.ts')],
  ['tiles', () => import('./tilesCommand.ts')],
  // model → tokens → masks → polygons
  ['models', () => import('./modelsCommand.ts')],
  ['eval', () => import('./evalCommand.ts')],
  ['tokens', () => import('./tokensCommand.ts')],
  ['prepare', () => import('./prepareCommand.ts')],
  ['segment', () => import('./segmentCommand.ts')],
  ['change', () => import('./changeCommand.ts')],
  ['vectorize', () => import('./vectorizeCommand.ts')],
  // serving
  ['serve', () => import('./serveCommand.ts')],
  ['worker', () => import('./workerCommand.ts')],
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
  const named = commandModules.filter(([name]) => name === argv[0]);
  for (const [, load] of named.length ? named : commandModules) (await load()).register(program, ctx);
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
