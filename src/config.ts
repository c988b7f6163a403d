/**
 * The only reader of process.env. Everything else receives configuration as arguments.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface EnvConfig {
  /** Where pulled models live (`WATERLINE_MODELS_DIR`, default ~/.cache/waterline/models). */
  modelsDir: string;
  /** Hugging Face token for gated models (`HF_TOKEN`). */
  hfToken?: string;
  /** Hugging Face endpoint (`HF_ENDPOINT`, default https://huggingface.co); tests point it at a local server. */
  hfEndpoint: string;
  /** Log level (`WATERLINE_LOG_LEVEL`, default warn: the CLI and server log warnings and errors only). */
  logLevel: string;
  /** Default model name or directory (`WATERLINE_MODEL`). */
  model?: string;
  /** Default execution device (`WATERLINE_DEVICE`). */
  device?: string;
  /** Redis of distributed jobs for `serve --queue` and `worker --queue` (`WATERLINE_QUEUE`, redis://HOST:PORT). */
  queue?: string;
  /**
   * `waterline serve` settings, raw strings as found in the environment (validated by
   * src/http/serverConfig.ts): WATERLINE_PORT, WATERLINE_HOST, WATERLINE_DATA_DIR, WATERLINE_API_KEY,
   * WATERLINE_CORS, WATERLINE_MAX_UPLOAD_MB, WATERLINE_MAX_SCENE_PIXELS, WATERLINE_MAX_SCENE_BLOCKS,
   * WATERLINE_HEADERS_TIMEOUT, WATERLINE_MIN_BODY_RATE, WATERLINE_BODY_GRACE.
   */
  server?: {
    port?: string;
    host?: string;
    dataDir?: string;
    apiKey?: string;
    cors?: string;
    maxUploadMb?: string;
    maxScenePixels?: string;
    maxSceneBlocks?: string;
    headersTimeout?: string;
    minBodyRate?: string;
    bodyGrace?: string;
  };
}

export function readEnvConfig(env: NodeJS.ProcessEnv = process.env): EnvConfig {
  return {
    modelsDir: env.WATERLINE_MODELS_DIR || join(homedir(), '.cache', 'waterline', 'models'),
    hfToken: env.HF_TOKEN || env.HUGGING_FACE_HUB_TOKEN || undefined,
    hfEndpoint: (env.HF_ENDPOINT || 'https://huggingface.co').replace(/\/+$/, ''),
    logLevel: env.WATERLINE_LOG_LEVEL || 'warn',
    model: env.WATERLINE_MODEL || undefined,
    device: env.WATERLINE_DEVICE || undefined,
    queue: env.WATERLINE_QUEUE || undefined,
    server: {
      port: env.WATERLINE_PORT || undefined,
      host: env.WATERLINE_HOST || undefined,
      dataDir: env.WATERLINE_DATA_DIR || undefined,
      apiKey: env.WATERLINE_API_KEY || undefined,
      cors: env.WATERLINE_CORS || undefined,
      maxUploadMb: env.WATERLINE_MAX_UPLOAD_MB || undefined,
      maxScenePixels: env.WATERLINE_MAX_SCENE_PIXELS || undefined,
      maxSceneBlocks: env.WATERLINE_MAX_SCENE_BLOCKS || undefined,
      headersTimeout: env.WATERLINE_HEADERS_TIMEOUT || undefined,
      minBodyRate: env.WATERLINE_MIN_BODY_RATE || undefined,
      bodyGrace: env.WATERLINE_BODY_GRACE || undefined,
    },
  };
}
