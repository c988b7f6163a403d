/**
 * big_vision's segmentation VAE checkpoint (`vae-oid.npz`): where it comes from, where it is cached,
 * and loading it with its checksum and array layout verified.
 *
 * `waterline models pull vae` (src/adapters/hub) downloads {@link VAE_URL} to {@link defaultVaePath}.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ModelError, NotFoundError } from '../../core/errors.ts';
import { readNpz, type NpyArray } from './npzArchive.ts';

export const VAE_URL = 'https://storage.googleapis.com/big_vision/paligemma/vae-oid.npz';
export const VAE_FILE_NAME = 'vae-oid.npz';
export const VAE_SIZE_BYTES = 8_479_556;
export const VAE_SHA256 = '5586010257b8536dddefab65e7755077f21d5672d5674dacf911f73ae95a4447';

/** Default location of the pulled checkpoint: `<modelsDir>/vae/vae-oid.npz` (modelsDir from EnvConfig). */
export function defaultVaePath(modelsDir: string): string {
  return join(modelsDir, 'vae', VAE_FILE_NAME);
}

/** Every array the decoder and encoder need, with its PyTorch-layout shape. */
export const VAE_ARRAY_SHAPES: Readonly<Record<string, readonly number[]>> = (() => {
  const s: Record<string, number[]> = { '_vq_vae._embedding': [128, 512] };
  const conv = (name: string, o: number, i: number, k: number) => {
    s[`${name}.weight`] = [o, i, k, k];
    s[`${name}.bias`] = [o];
  };
  const convT = (name: string, i: number, o: number, k: number) => {
    s[`${name}.weight`] = [i, o, k, k];
    s[`${name}.bias`] = [o];
  };
  const res = (name: string) => {
    conv(`${name}.0`, 128, 128, 3);
    conv(`${name}.2`, 128, 128, 3);
    conv(`${name}.4`, 128, 128, 1);
  };
  conv('encoder.0', 16, 1, 4);
  conv('encoder.2', 32, 16, 4);
  conv('encoder.4', 64, 32, 4);
  conv('encoder.6', 128, 64, 4);
  res('encoder.8.net');
  res('encoder.9.net');
  conv('encoder.10', 512, 128, 1);
  conv('decoder.0', 128, 512, 1);
  res('decoder.2.net');
  res('decoder.3.net');
  convT('decoder.4', 128, 128, 4);
  convT('decoder.6', 128, 64, 4);
  convT('decoder.8', 64, 32, 4);
  convT('decoder.10', 32, 16, 4);
  conv('decoder.12', 1, 16, 1);
  return s;
})();

export interface VaeCheckpoint {
  path: string;
  sha256: string;
  /** True when the file is byte-identical to the public checkpoint. */
  isOfficial: boolean;
  arrays: Map<string, NpyArray>;
}

export interface LoadVaeOptions {
  /** Called with a one-line warning (checksum mismatch: a different or fine-tuned VAE). */
  onWarning?: (message: string) => void;
}

export function loadVaeCheckpoint(path: string, options: LoadVaeOptions = {}): VaeCheckpoint {
  if (!existsSync(path)) {
    throw new NotFoundError('vae_missing', `segmentation VAE checkpoint not found: ${path}`, {
      hint: 'run `waterline models pull vae` or pass --vae <vae-oid.npz>',
    });
  }
  const bytes = readFileSync(path);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const isOfficial = sha256 === VAE_SHA256;
  if (!isOfficial) {
    options.onWarning?.(`${path}: sha256 ${sha256} differs from the public vae-oid.npz (${VAE_SHA256}); using it anyway`);
  }
  const arrays = readNpz(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), path);
  const missing: string[] = [];
  const wrong: string[] = [];
  for (const [name, shape] of Object.entries(VAE_ARRAY_SHAPES)) {
    const a = arrays.get(name);
    if (!a) missing.push(name);
    else if (a.shape.length !== shape.length || a.shape.some((d, k) => d !== shape[k])) {
      wrong.push(`${name} is [${a.shape.join(',')}], expected [${shape.join(',')}]`);
    }
  }
  if (missing.length || wrong.length) {
    const parts = [];
    if (missing.length) parts.push(`missing arrays: ${missing.join(', ')}`);
    if (wrong.length) parts.push(`wrong shapes: ${wrong.join('; ')}`);
    throw new ModelError('vae_layout', `${path} is not a big_vision segmentation VAE (${parts.join('; ')})`, {
      hint: 'use the public vae-oid.npz (`waterline models pull vae`)',
    });
  }
  return { path, sha256, isOfficial, arrays };
}
