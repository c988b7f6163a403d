/**
 * Fuzz target `upload`: each TIFF case uploaded to a real server (`POST /scenes?name=`). Rules: the answer
 * is 201 or a 4xx problem+json (never 5xx, never a hang); its detail names no server path; a refused upload
 * stores nothing (no scene, no file left in uploads/).
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startHarness, type Harness } from '../../http/serverHarness.ts';
import { Rng, caseSeed } from '../rng.ts';
import type { CaseOutcome, FuzzTarget } from '../target.ts';
import { tiffCase } from '../tiffCases.ts';

export function uploadTarget(): FuzzTarget {
  let h: Harness;
  let accepted = 0;
  return {
    name: 'upload',
    async setup() {
      h = await startHarness({ maxConcurrentUploads: 4 });
    },
    async teardown() {
      await h.stop();
    },
    async run(seed, index): Promise<CaseOutcome> {
      const { bytes } = tiffCase(new Rng(caseSeed(seed, index)));
      const res = await fetch(`${h.url}/scenes?name=case-${index}.tif`, { method: 'POST', headers: { 'content-type': 'image/tiff' }, body: new Uint8Array(bytes) });
      const text = await res.text();
      if (res.status >= 500) return { outcome: String(res.status), finding: `upload answered ${res.status}: ${text.slice(0, 300)}` };
      if (res.status === 201) {
        accepted++;
        return { outcome: '201' };
      }
      if (!/problem\+json/.test(res.headers.get('content-type') ?? '')) return { outcome: String(res.status), finding: `a ${res.status} without problem+json: ${text.slice(0, 200)}` };
      const problem = JSON.parse(text) as { code: string; detail: string };
      if (problem.detail.includes(h.dataDir) || /\.part\b/.test(problem.detail)) return { outcome: 'leak', finding: `detail names a server path: ${problem.detail}` };
      const uploads = join(h.dataDir, 'uploads');
      const files = existsSync(uploads) ? readdirSync(uploads).length : 0;
      if (files !== accepted) return { outcome: 'stored', finding: `a refused upload left a file: ${files} files for ${accepted} accepted uploads` };
      return { outcome: `${res.status} ${problem.code}` };
    },
  };
}
