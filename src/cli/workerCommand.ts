/**
 * `waterline worker --queue redis://HOST:PORT`: a segmentation worker for `waterline serve --queue` (any
 * number, on any machine). It loads its model once (in an inference thread), prints the provider it runs
 * on, and takes units of its model's queue until SIGTERM/SIGINT, which let the unit in flight finish.
 */
import { statSync } from 'node:fs';
import type { Command } from 'commander';
import { parseRedisUrl, redactRedisUrl } from '../adapters/queue/redisConnection.ts';
import { bullmqWorkUnitConsumers } from '../adapters/queue/bullmqWorkUnitConsumers.ts';
import { InputError } from '../core/errors.ts';
import { modelLoaderModule } from '../http/modelLoaderModule.ts';
import { startTileWorker } from '../pipeline/tileWorker.ts';
import type { WorkUnitConsumers } from '../pipeline/workUnitBroker.ts';
import type { CliContext } from './context.ts';
import { untilStopSignal } from './untilStopSignal.ts';
import { numberOption } from './numberOption.ts';

interface WorkerFlags {
  queue?: string;
  model?: string;
  device?: string;
  dataDir?: string;
  concurrency?: string;
  vae?: string;
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('worker')
    .description('segment tiles of jobs queued by `waterline serve --queue` (BullMQ on Redis)')
    .option('--queue <url>', 'Redis of the server, redis://HOST:PORT (env WATERLINE_QUEUE; required)')
    .option('--model <name|dir>', "the model to run, as the server's --model (env WATERLINE_MODEL; default: the server's default model)")
    .option('--device <device>', 'auto | cpu | cuda | webgpu (env WATERLINE_DEVICE, default auto)')
    .option('--data-dir <dir>', "read scenes from this copy or mount of the server's data directory (default: the server's paths)")
    .option('--concurrency <n>', 'units processed at once (default 1)')
    .option('--vae <file>', 'big_vision vae-oid.npz for PaliGemma masks (default: the models cache)')
    .action(async (flags: WorkerFlags) => {
      const queueUrl = flags.queue ?? ctx.env.queue;
      if (!queueUrl) throw new InputError('missing_queue', 'waterline worker needs --queue', { hint: 'pass the Redis the server uses: --queue redis://HOST:PORT' });
      const connection = parseRedisUrl(queueUrl, '--queue / WATERLINE_QUEUE');
      const concurrency = numberOption('concurrency', flags.concurrency ?? '1', { integer: true, min: 1, max: 64 });
      const model = flags.model ?? ctx.env.model ?? null;
      if (flags.dataDir !== undefined && !statSync(flags.dataDir, { throwIfNoEntry: false })?.isDirectory()) {
        throw new InputError('missing_data_dir', `--data-dir ${flags.dataDir} is not a directory`, { hint: "give this machine's copy or mount of the server's data directory" });
      }
      const worker = await startTileWorker({
        units: bullmqWorkUnitConsumers({ connection, logger: ctx.logger }) satisfies WorkUnitConsumers,
        model,
        segmenter: modelLoaderModule({ device: flags.device ?? ctx.env.device ?? 'auto', modelsDir: ctx.env.modelsDir, vaePath: flags.vae, logLevel: ctx.env.logLevel }),
        dataDir: flags.dataDir,
        concurrency,
        logger: ctx.logger,
      });
      const { info } = worker;
      ctx.stderr.write(`waterline worker: model ${info.name} (${info.kind}, ${info.provider}), queue ${worker.queue} on ${redactRedisUrl(queueUrl)}\n`);
      await untilStopSignal(ctx, () => worker.close(), 'stopping (letting the unit in flight finish)', 'worker shutdown failed');
    });
}
