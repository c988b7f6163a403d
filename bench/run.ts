/**
 * `npm run bench`: runs every bench/*.bench.ts (or the one named argv[2], else those whose name contains it) and prints a table.
 * Each bench module default-exports an async function returning BenchResult rows. A row compares our
 * code with a reference run in the same process/run (GDAL, PyTorch...): the figure to read is the ratio.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface BenchResult {
  bench: string;
  /** What was measured, e.g. `tiles/s ottawa`. */
  metric: string;
  ours: number;
  /** The reference figure measured in the same run, when there is one. */
  reference?: number;
  referenceName?: string;
  unit: string;
  /** true when a higher number is better (throughput); false for times. */
  higherIsBetter: boolean;
  note?: string;
}

const here = dirname(fileURLToPath(import.meta.url));
const filter = process.argv[2];
const all = readdirSync(here).filter((f) => f.endsWith('.bench.ts')).sort();
// an exact name runs that bench alone (`segment` is not also `segmentUnet`); otherwise every name containing it
const files = all.includes(`${filter}.bench.ts`) ? [`${filter}.bench.ts`] : all.filter((f) => !filter || f.includes(filter));
const rows: BenchResult[] = [];
for (const file of files) {
  const mod = (await import(pathToFileURL(join(here, file)).href)) as { default: () => Promise<BenchResult[]> };
  process.stderr.write(`running ${file}...\n`);
  try {
    const result = await mod.default();
    rows.push(...result);
    for (const r of result) process.stderr.write(`  ${formatRow(r)}\n`);
  } catch (err) {
    process.stderr.write(`  ${file} failed: ${(err as Error).message}\n`);
  }
}

function formatRow(r: BenchResult): string {
  let ratio = '';
  if (r.reference !== undefined && r.reference > 0) {
    const x = r.higherIsBetter ? r.ours / r.reference : r.reference / r.ours;
    ratio = ` | ${x.toFixed(2)}x ${r.referenceName ?? 'reference'} (${r.reference.toPrecision(4)} ${r.unit})`;
  }
  return `${r.bench}: ${r.metric} = ${r.ours.toPrecision(4)} ${r.unit}${ratio}${r.note ? ` — ${r.note}` : ''}`;
}

process.stdout.write('\n# Waterline benchmarks (ratio > 1: Waterline faster than the reference)\n');
for (const r of rows) process.stdout.write(`${formatRow(r)}\n`);
