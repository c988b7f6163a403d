import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { JobStore } from '../../src/adapters/store/jobStore.ts';
import { dequantizeProbability, quantizeProbability } from '../../src/core/masks/probabilityCodec.ts';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'waterline-store-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('probability codec', () => {
  it('round-trips any probability within 1/508 and keeps NaN (no data) as NaN', () => {
    fc.assert(fc.property(fc.array(fc.oneof(fc.float({ min: 0, max: 1, noNaN: true }), fc.constant(Number.NaN)), { maxLength: 500 }), (values) => {
      const p = Float32Array.from(values);
      const back = dequantizeProbability(quantizeProbability(p));
      for (let i = 0; i < p.length; i++) {
        if (Number.isNaN(p[i])) expect(Number.isNaN(back[i])).toBe(true);
        else expect(Math.abs(back[i] - p[i])).toBeLessThanOrEqual(1 / 508 + 1e-7);
      }
    }));
  });

  it('clamps values outside [0,1] instead of wrapping', () => {
    expect([...quantizeProbability(Float32Array.from([-3, 2, 0, 1, 0.5]))]).toEqual([0, 254, 0, 254, 127]);
  });
});

describe('JobStore', () => {
  it('persists jobs and tiles across a reopen (WAL), one byte per pixel', () => {
    const dir = tempDir();
    const a = JobStore.open(dir);
    expect(a.db().pragma('journal_mode', { simple: true })).toBe('wal');
    const scene = a.insertScene({ name: 's.tif', path: '/data/s.tif', info: { size: [10, 10] } });
    expect(a.insertScene({ name: 's.tif', path: '/data/s.tif', info: {} }).id).toBe(scene.id);
    const job = a.createJob({ scene: scene.id, prompt: 'segment water', model: null, options: { threshold: 0.4 } });
    expect(job.state).toBe('queued');
    const prob = new Float32Array(224 * 224).map((_, i) => (i % 3 === 0 ? Number.NaN : (i % 255) / 254));
    expect(a.putTile(job.id, 'r0c0', prob, [])).toBe(true);
    expect(a.putTile(job.id, 'r0c0', new Float32Array(224 * 224), [])).toBe(false); // first result kept
    a.putTile(job.id, 'r0c1', new Float32Array(224 * 224).fill(1), [{ kind: 'extra_seg', message: 'x' }]);
    a.setJobState(job.id, 'running');
    a.close();

    const b = JobStore.open(dir);
    expect(b.unfinishedJobs().map((j) => j.id)).toEqual([job.id]);
    expect(b.getJob(job.id)!.options).toEqual({ threshold: 0.4 });
    const tiles = b.loadTiles(job.id);
    expect([...tiles.keys()].sort()).toEqual(['r0c0', 'r0c1']);
    const r = tiles.get('r0c0')!;
    for (let i = 0; i < prob.length; i += 97) {
      if (Number.isNaN(prob[i])) expect(Number.isNaN(r[i])).toBe(true);
      else expect(r[i]).toBeCloseTo(prob[i], 2);
    }
    expect(b.loadTileDefects(job.id).get('r0c1')).toEqual([{ kind: 'extra_seg', message: 'x' }]);
    expect(b.countTiles(job.id)).toBe(2);
    b.close();
    // two one-byte-per-pixel tiles plus at most 16 pages of schema (tables, indexes); Float32 tiles would need 401,408 bytes
    expect(statSync(join(dir, 'waterline.db')).size).toBeLessThan(2 * 224 * 224 + 16 * 4096);
  });

  it('only transitions jobs from the allowed states', () => {
    const s = JobStore.open(tempDir());
    const scene = s.insertScene({ name: 's.tif', path: '/s.tif', info: {} });
    const job = s.createJob({ scene: scene.id, prompt: 'p', model: null, options: {} });
    expect(s.transitionJob(job.id, ['running'], 'succeeded')).toBeUndefined();
    expect(s.transitionJob(job.id, ['queued'], 'running')!.startedAt).not.toBeNull();
    expect(s.transitionJob(job.id, ['running'], 'succeeded')!.finishedAt).not.toBeNull();
    expect(s.transitionJob(job.id, ['queued', 'running'], 'cancelled')).toBeUndefined();
    expect(s.unfinishedJobs()).toEqual([]);
    s.close();
  });

  it('keeps a job\'s crash count (0 at first, set with a state change, kept by later ones), also in databases from before it', () => {
    const dir = tempDir();
    const s = JobStore.open(dir);
    const scene = s.insertScene({ name: 's.tif', path: '/s.tif', info: {} });
    const job = s.createJob({ scene: scene.id, prompt: 'p', model: null, options: {} });
    expect(job.crashes).toBe(0);
    s.transitionJob(job.id, ['queued'], 'running');
    expect(s.transitionJob(job.id, ['running'], 'queued', { crashes: 1 })!.crashes).toBe(1);
    expect(s.transitionJob(job.id, ['queued'], 'running')!.crashes).toBe(1);
    s.close();
    // a database written before jobs had a crash count: the column is added, existing jobs have none
    const old = JobStore.open(dir);
    old.db().exec('ALTER TABLE jobs DROP COLUMN crashes');
    old.close();
    const reopened = JobStore.open(dir);
    expect(reopened.getJob(job.id)).toMatchObject({ state: 'running', crashes: 0 });
    reopened.close();
  });
});
