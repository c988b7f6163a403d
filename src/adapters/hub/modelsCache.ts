/**
 * The local models cache (`WATERLINE_MODELS_DIR`): `<dir>/<owner>/<repo>/` per pulled Hugging Face repo
 * (the export layout as on the hub) and `<dir>/vae/vae-oid.npz`.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { DTYPES, DTYPE_SUFFIX, PALIGEMMA_GRAPHS } from '../onnx/paligemmaModelDir.ts';

export interface CachedModel {
  /** `owner/repo` (or `vae`). */
  name: string;
  dir: string;
  kind: 'paligemma' | 'vae' | 'other';
  /** dtype variants whose three graphs are all present (PaliGemma). */
  dtypes: string[];
  bytes: number;
}

/** Directory of a cached repo, or undefined. Accepts `owner/repo` or an unambiguous bare `repo`. */
export function findCachedModel(modelsDir: string, name: string): string | undefined {
  const direct = join(modelsDir, ...name.split('/'));
  if (name.includes('/') && existsSync(join(direct, 'config.json'))) return direct;
  const matches = listCachedModels(modelsDir).filter((m) => m.name === name || m.name.split('/').pop() === name);
  return matches.length === 1 ? matches[0].dir : undefined;
}

function dirBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    total += entry.isDirectory() ? dirBytes(p) : statSync(p).size;
  }
  return total;
}

export function listCachedModels(modelsDir: string): CachedModel[] {
  if (!existsSync(modelsDir)) return [];
  const out: CachedModel[] = [];
  const visit = (dir: string, depth: number) => {
    if (existsSync(join(dir, 'config.json'))) {
      const onnxDir = join(dir, 'onnx');
      const files = existsSync(onnxDir) ? readdirSync(onnxDir) : [];
      const dtypes: string[] = DTYPES.filter((d) => PALIGEMMA_GRAPHS.every((g) => files.includes(`${g}${DTYPE_SUFFIX[d]}.onnx`)));
      out.push({ name: relative(modelsDir, dir).split(/[\\/]/).join('/'), dir, kind: dtypes.length ? 'paligemma' : 'other', dtypes, bytes: dirBytes(dir) });
      return;
    }
    if (existsSync(join(dir, 'vae-oid.npz'))) {
      out.push({ name: relative(modelsDir, dir) || 'vae', dir, kind: 'vae', dtypes: [], bytes: statSync(join(dir, 'vae-oid.npz')).size });
      return;
    }
    if (depth >= 2) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory() && !e.name.startsWith('.')) visit(join(dir, e.name), depth + 1);
  };
  visit(modelsDir, 0);
  return out.sort((a, b) => a.name.localeCompare(b.name));
}
