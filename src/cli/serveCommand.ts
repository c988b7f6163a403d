/**
 * `waterline serve`: the HTTP tile service (jobs, GeoJSON, OGC API – Features, tiles). Settings come from
 * flags, then WATERLINE_* environment variables, validated at start-up. SIGTERM/SIGINT shut it down
 * gracefully: the tile in flight finishes and is stored, interrupted jobs resume at the next start.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { lockDataDir } from '../adapters/store/dataDirLock.ts';
import type { Command } from 'commander';
import { resolveServerConfig, type ServerSettings } from '../http/serverConfig.ts';
import { startServer, type JobBackend } from '../http/server.ts';
import { modelLoaderModule } from '../http/modelLoaderModule.ts';
import { parseRedisUrl, redactRedisUrl } from '../adapters/queue/redisConnection.ts';
import { inspectSceneFile } from '../http/sceneInspector.ts';
import { serverModelLoader } from '../http/modelLoader.ts';
import { resolveModel } from '../adapters/onnx/loadSegmenter.ts';
import { usesDefaultLearnedModel } from '../core/model/modelNames.ts';
import type { CliContext } from './context.ts';
import { untilStopSignal } from './untilStopSignal.ts';

/** The server settings that have a flag (commander passes them as strings), plus the VAE path. */
type ServeFlags = Pick<ServerSettings, 'port' | 'host' | 'dataDir' | 'model' | 'device' | 'apiKey' | 'cors' | 'maxUploadMb' | 'maxRunningJobs' | 'maxScenePixels' | 'maxSceneBlocks' | 'headersTimeout' | 'minBodyRate' | 'bodyGrace'> & { vae?: string; queue?: string };

export function register(program: Command, ctx: CliContext): void {
  program
    .command('serve')
    .description('run the HTTP server: scenes, segmentation jobs, GeoJSON, OGC API – Features, map tiles')
    .option('--port <n>', 'TCP port (env WATERLINE_PORT, default 8080; 0 = any free port)')
    .option('--host <addr>', 'address to listen on (env WATERLINE_HOST, default 127.0.0.1)')
    .option('--data-dir <dir>', 'scenes, uploads and the job database (env WATERLINE_DATA_DIR, default ./waterline-data)')
    .option('--model <name|dir>', 'default model (env WATERLINE_MODEL, default waterline-unet)')
    .option('--device <device>', 'auto | cpu | cuda | webgpu (env WATERLINE_DEVICE, default auto)')
    .option('--api-key <key>', 'require this key on write requests (env WATERLINE_API_KEY)')
    .option('--cors <origins>', 'CORS: *, off, or comma-separated origins (env WATERLINE_CORS, default off)')
    .option('--max-upload-mb <n>', 'largest scene upload in MB (env WATERLINE_MAX_UPLOAD_MB, default 2048)')
    .option('--max-running-jobs <n>', 'jobs run at the same time (default 1)')
    .option('--max-scene-pixels <n>', 'largest scene accepted, pixels per band (env WATERLINE_MAX_SCENE_PIXELS, default 1000000000)')
    .option('--max-scene-blocks <n>', 'most strips/tiles per image of an accepted scene (env WATERLINE_MAX_SCENE_BLOCKS, default 1048576)')
    .option('--headers-timeout <s>', 'seconds a client has to send request headers (env WATERLINE_HEADERS_TIMEOUT, default 10)')
    .option('--min-body-rate <KiB/s>', 'request bodies (uploads) must average at least this rate after --body-grace, else 408 (env WATERLINE_MIN_BODY_RATE, default 64)')
    .option('--body-grace <s>', 'seconds before --min-body-rate applies (env WATERLINE_BODY_GRACE, default 10)')
    .option('--vae <file>', 'big_vision vae-oid.npz for PaliGemma masks (default: the models cache, see `waterline models pull vae`)')
    .option('--queue <url>', 'run jobs on `waterline worker` processes through this Redis, redis://HOST:PORT (env WATERLINE_QUEUE; default: jobs run in this server)')
    .action(async (flags: ServeFlags) => {
      const config = resolveServerConfig(flags, ctx.env);
      const segmenterModule = modelLoaderModule({ defaultModel: config.model, device: config.device, modelsDir: ctx.env.modelsDir, vaePath: flags.vae, logLevel: ctx.env.logLevel });
      // Jobs never run on the HTTP event loop: in a job thread, or on BullMQ workers with --queue.
      const queueUrl = flags.queue ?? ctx.env.queue;
      const newDataDir = !existsSync(config.dataDir); // said on the serving line: a typo must not pass as an empty server
      // A model this process cannot find stops it here, in one line, instead of a server that answers /healthz
      // and fails every job (with --queue the workers load it, from their own models cache).
      if (!queueUrl && !usesDefaultLearnedModel(config.model)) resolveModel(config.model, ctx.env.modelsDir);
      const jobs: JobBackend = queueUrl
        ? { kind: 'redis', connection: parseRedisUrl(queueUrl, '--queue / WATERLINE_QUEUE'), defaultModel: config.model, logLevel: ctx.env.logLevel }
        : { kind: 'thread', segmenter: segmenterModule, logLevel: ctx.env.logLevel };
      // One server per data directory (two would run and finish the same jobs): held until this process ends.
      mkdirSync(config.dataDir, { recursive: true });
      const lock = lockDataDir(config.dataDir);
      let running: Awaited<ReturnType<typeof startServer>>;
      try {
        running = await startServer({
          config,
          logger: ctx.logger,
          loadSegmenter: serverModelLoader({ defaultModel: config.model, device: config.device, modelsDir: ctx.env.modelsDir, vaePath: flags.vae, logger: ctx.logger }),
          inspectScene: inspectSceneFile,
          modelsDir: ctx.env.modelsDir,
          jobs,
        });
      } catch (err) {
        lock.release();
        throw err;
      }
      const queued = queueUrl ? `, jobs on workers of ${redactRedisUrl(queueUrl)}` : '';
      ctx.stderr.write(`waterline serving ${running.url} (data: ${config.dataDir}${newDataDir ? ', a new empty directory' : ''}${config.apiKey ? ', API key required for writes' : ''}${queued})\n`);
      await untilStopSignal(ctx, async () => {
        await running.close();
        lock.release();
      }, 'shutting down (letting the running tile finish)', 'shutdown failed');
    });
}
