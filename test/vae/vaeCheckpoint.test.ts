import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { strToU8, unzipSync, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { ModelError, NotFoundError } from '../../src/core/errors.ts';
import { readNpz } from '../../src/adapters/vae/npzArchive.ts';
import { VAE_ARRAY_SHAPES, VAE_SHA256, defaultVaePath, loadVaeCheckpoint } from '../../src/adapters/vae/vaeCheckpoint.ts';
import { randomVaePath } from '../helpers/vaeFixture.ts';

function npy(descr: string, shape: number[], body: Uint8Array): Uint8Array {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  while ((10 + header.length + 1) % 64) header += ' ';
  header += '\n';
  const out = new Uint8Array(10 + header.length + body.length);
  out.set([0x93, ...strToU8('NUMPY'), 1, 0, header.length & 255, header.length >> 8]);
  out.set(strToU8(header), 10);
  out.set(body, 10 + header.length);
  return out;
}

describe('VAE checkpoint', () => {
  const path = randomVaePath();

  it('loads every array with its PyTorch-layout shape and warns that it is not the public file', () => {
    const warnings: string[] = [];
    const ckpt = loadVaeCheckpoint(path, { onWarning: (m) => warnings.push(m) });
    expect(ckpt.isOfficial).toBe(false);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(VAE_SHA256);
    expect(ckpt.arrays.get('decoder.4.weight')?.shape).toEqual([128, 128, 4, 4]);
    expect(ckpt.arrays.get('_vq_vae._embedding')?.data.length).toBe(128 * 512);
    expect(Object.keys(VAE_ARRAY_SHAPES)).toHaveLength(47);
  });

  it('names missing arrays and wrong shapes', () => {
    const entries: Record<string, Uint8Array> = unzipSync(readFileSync(path));
    delete entries['decoder.12.bias.npy'];
    entries['encoder.10.bias.npy'] = npy('<f4', [3], new Uint8Array(12));
    const dir = mkdtempSync(join(tmpdir(), 'vae-'));
    const bad = join(dir, 'bad.npz');
    writeFileSync(bad, zipSync(entries, { level: 0 }));
    const err = (() => { try { loadVaeCheckpoint(bad); } catch (e) { return e; } })() as ModelError;
    expect(err).toBeInstanceOf(ModelError);
    expect(err.message).toContain('missing arrays: decoder.12.bias');
    expect(err.message).toContain('encoder.10.bias is [3], expected [512]');
    expect(() => loadVaeCheckpoint(join(dir, 'nope.npz'))).toThrow(NotFoundError);
    writeFileSync(join(dir, 'trunc.npz'), readFileSync(path).subarray(0, 1000));
    expect(() => loadVaeCheckpoint(join(dir, 'trunc.npz'))).toThrow(/not a readable .npz/);
  });

  it('reads float64 and int64 .npy entries in a deflated archive', () => {
    const f8 = new Float64Array([1.5, -2, 3]);
    const i8 = new BigInt64Array([7n, -1n]);
    const zip = zipSync({
      'a.npy': npy('<f8', [3], new Uint8Array(f8.buffer)),
      'b.npy': npy('<i8', [1, 2], new Uint8Array(i8.buffer)),
    }, { level: 6 });
    const arrays = readNpz(zip, 'mem.npz');
    expect([...arrays.get('a')!.data]).toEqual([1.5, -2, 3]);
    expect(arrays.get('b')!.shape).toEqual([1, 2]);
    expect([...arrays.get('b')!.data]).toEqual([7, -1]);
  });

  it('caches the pulled checkpoint under the models directory', () => {
    expect(defaultVaePath('/m')).toBe('/m/vae/vae-oid.npz');
  });
});
