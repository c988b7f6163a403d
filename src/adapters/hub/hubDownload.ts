/**
 * Downloads from the Hugging Face hub (or any URL): the file list with sizes and LFS sha256 from
 * `{endpoint}/api/models/{repo}/revision/{rev}?blobs=true`, files from `{endpoint}/{repo}/resolve/{rev}/{path}`,
 * `HF_TOKEN` as a bearer token, resumable (`.part` + HTTP Range), size and sha256 checked before the
 * file is renamed into place.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ModelError, NotFoundError, UnauthorizedError, UnavailableError } from '../../core/errors.ts';
import { DTYPE_SUFFIX, PALIGEMMA_GRAPHS, type Dtype } from '../onnx/paligemmaModelDir.ts';

export interface HubFile {
  path: string;
  size?: number;
  sha256?: string;
}

export interface DownloadProgress {
  /** Called when a file starts (bytes already on disk from an earlier, interrupted pull). */
  onFileStart?(file: HubFile, resumedFrom: number): void;
  onBytes?(bytes: number): void;
  onFileDone?(file: HubFile, skipped: boolean): void;
}

export interface HubOptions {
  endpoint: string;
  token?: string;
  revision?: string;
  signal?: AbortSignal;
}

function authHeaders(token?: string): Record<string, string> {
  return token ? { authorization: `Bearer ${token}` } : {};
}

function httpError(status: number, what: string, repo: string | undefined, token: string | undefined): Error {
  if (status === 401 || status === 403) {
    return new UnauthorizedError('hub_unauthorized', `${what}: access denied (HTTP ${status})${repo ? `; ${repo} is gated` : ''}`, {
      hint: token
        ? 'accept the model licence (Gemma terms) on its Hugging Face page with the account of your HF_TOKEN'
        : 'PaliGemma is gated: accept the Gemma licence on the model page, create a token at huggingface.co/settings/tokens and set HF_TOKEN',
    });
  }
  if (status === 404) return new NotFoundError('hub_not_found', `${what}: not found (HTTP 404)`, { hint: 'check the repository name, revision and dtype' });
  return new UnavailableError('hub_http_error', `${what}: HTTP ${status}`, { hint: 'try again later' });
}

/** The repo's files at `revision`, with sizes and LFS sha256 when the hub gives them. */
export async function listHubFiles(repo: string, options: HubOptions): Promise<HubFile[]> {
  const rev = encodeURIComponent(options.revision ?? 'main');
  const url = `${options.endpoint}/api/models/${repo}/revision/${rev}?blobs=true`;
  let res: Response;
  try {
    res = await fetch(url, { headers: authHeaders(options.token), signal: options.signal });
  } catch (err) {
    throw new UnavailableError('hub_unreachable', `cannot reach ${options.endpoint}: ${(err as Error).message}`, { hint: 'check the network or HF_ENDPOINT', cause: err });
  }
  if (!res.ok) throw httpError(res.status, `listing ${repo}@${options.revision ?? 'main'}`, repo, options.token);
  const body = (await res.json()) as { siblings?: { rfilename: string; size?: number; lfs?: { sha256?: string; oid?: string; size?: number } }[] };
  return (body.siblings ?? []).map((s) => ({ path: s.rfilename, size: s.lfs?.size ?? s.size, sha256: s.lfs?.sha256 ?? s.lfs?.oid }));
}

const METADATA = ['config.json', 'preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json', 'generation_config.json', 'special_tokens_map.json', 'processor_config.json'];

/** The files a PaliGemma export needs for `dtype`: metadata, the three graphs and their external data. */
export function selectFilesForDtype(files: HubFile[], dtype: Dtype): HubFile[] {
  const suffix = DTYPE_SUFFIX[dtype];
  const graphs = PALIGEMMA_GRAPHS.map((g) => `onnx/${g}${suffix}.onnx`);
  const missing = graphs.filter((g) => !files.some((f) => f.path === g));
  if (missing.length) {
    throw new NotFoundError('hub_dtype_missing', `the repository has no ${dtype} variant: ${missing.join(', ')} not found`, {
      hint: `available graphs: ${files.filter((f) => f.path.startsWith('onnx/decoder_model_merged')).map((f) => f.path).join(', ') || 'none'}`,
    });
  }
  return files.filter((f) => METADATA.includes(f.path) || graphs.some((g) => f.path === g || f.path.startsWith(`${g}_data`)));
}

async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

/**
 * Download `url` to `dest`, resuming `dest.part` with a Range request; checks size and sha256 (when given)
 * and only then renames into place. A complete `dest` of the right size is kept.
 */
export async function downloadFile(url: string, dest: string, file: HubFile, options: { token?: string; signal?: AbortSignal; repo?: string; progress?: DownloadProgress }): Promise<void> {
  const progress = options.progress;
  if (existsSync(dest) && (file.size === undefined || statSync(dest).size === file.size)) {
    progress?.onFileDone?.(file, true);
    return;
  }
  mkdirSync(dirname(dest), { recursive: true });
  const part = `${dest}.part`;
  let have = existsSync(part) ? statSync(part).size : 0;
  if (file.size !== undefined && have > file.size) {
    unlinkSync(part);
    have = 0;
  }
  progress?.onFileStart?.(file, have);
  if (file.size === undefined || have < file.size) {
    const headers: Record<string, string> = { ...authHeaders(options.token) };
    if (have > 0) headers.range = `bytes=${have}-`;
    let res: Response;
    try {
      res = await fetch(url, { headers, signal: options.signal, redirect: 'follow' });
    } catch (err) {
      throw new UnavailableError('download_failed', `cannot download ${url}: ${(err as Error).message}`, { hint: 'run the same command again to resume', cause: err });
    }
    if (res.status === 416 && have > 0) {
      // Nothing left to fetch; verified below.
    } else if (!res.ok) {
      throw httpError(res.status, `downloading ${file.path}`, options.repo, options.token);
    } else {
      const append = have > 0 && res.status === 206;
      if (!append) have = 0;
      const out = createWriteStream(part, { flags: append ? 'a' : 'w' });
      const body = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
      body.on('data', (chunk: Buffer) => progress?.onBytes?.(chunk.length));
      try {
        await pipeline(body, out);
      } catch (err) {
        throw new UnavailableError('download_interrupted', `download of ${file.path} was interrupted: ${(err as Error).message}`, { hint: 'run the same command again: it resumes where it stopped', cause: err });
      }
    }
  }
  const size = statSync(part).size;
  if (file.size !== undefined && size !== file.size) {
    throw new UnavailableError('download_incomplete', `${file.path}: got ${size} of ${file.size} bytes`, { hint: 'run the same command again: it resumes where it stopped' });
  }
  if (file.sha256) {
    const got = await sha256OfFile(part);
    if (got !== file.sha256) {
      unlinkSync(part);
      throw new ModelError('checksum_mismatch', `${file.path}: sha256 ${got} does not match the expected ${file.sha256}; the partial file was deleted`, { hint: 'run the same command again to download it afresh' });
    }
  }
  renameSync(part, dest);
  progress?.onFileDone?.(file, false);
}

export interface PullResult {
  dir: string;
  files: HubFile[];
  bytes: number;
}

/** Pull the files of `repo` needed for `dtype` into `<modelsDir>/<owner>/<repo>`. */
export async function pullHubModel(repo: string, dtype: Dtype, modelsDir: string, options: HubOptions & { progress?: DownloadProgress; onPlan?: (files: HubFile[]) => void }): Promise<PullResult> {
  if (!/^[\w.-]+\/[\w.-]+$/.test(repo)) {
    throw new NotFoundError('bad_repo', `"${repo}" is not a Hugging Face repository name`, { hint: 'use owner/name, e.g. onnx-community/paligemma2-3b-pt-224' });
  }
  const files = selectFilesForDtype(await listHubFiles(repo, options), dtype);
  options.onPlan?.(files);
  const dir = join(modelsDir, ...repo.split('/'));
  const rev = encodeURIComponent(options.revision ?? 'main');
  for (const f of files) {
    const url = `${options.endpoint}/${repo}/resolve/${rev}/${f.path.split('/').map(encodeURIComponent).join('/')}`;
    await downloadFile(url, join(dir, ...f.path.split('/')), f, { token: options.token, signal: options.signal, repo, progress: options.progress });
  }
  return { dir, files, bytes: files.reduce((s, f) => s + (f.size ?? 0), 0) };
}
