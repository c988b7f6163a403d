/**
 * `npm run fuzz [-- --target tiff|upload|tokens|http] [--cases 10000] [--seed 1] [--case-ms 10000]`:
 * the fuzz harness. Each target runs its seeded cases (case i of seed s is reproducible alone with
 * `--seed s --from i --cases 1`); every case must end within the time bound with a result or a clean error,
 * and memory must stay bounded. Prints outcome counts, findings, time and RSS per target; exits 1 on a finding.
 */
import { parseArgs } from 'node:util';
import { runTarget, type FuzzTarget, type TargetReport } from './target.ts';
import { tiffFilesTarget } from './targets/tiffFiles.ts';
import { uploadTarget } from './targets/upload.ts';
import { tokensTarget } from './targets/tokens.ts';
import { httpTarget } from './targets/http.ts';

export const TARGETS: Record<string, () => FuzzTarget> = {
  tiff: tiffFilesTarget,
  upload: uploadTarget,
  tokens: tokensTarget,
  http: httpTarget,
};

export function formatReport(r: TargetReport): string {
  const outcomes = Object.entries(r.outcomes).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ');
  const lines = [
    `${r.target}: ${r.cases} cases in ${r.seconds.toFixed(1)} s (slowest ${r.slowestMs} ms), RSS ${r.rssStartMb.toFixed(0)} -> ${r.rssEndMb.toFixed(0)} MB (peak ${r.rssPeakMb.toFixed(0)}), findings ${r.findings.length}`,
    `  outcomes: ${outcomes}`,
  ];
  for (const f of r.findings.slice(0, 20)) lines.push(`  FINDING case ${f.index} (seed ${f.seed}): ${f.finding}`);
  return lines.join('\n');
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      target: { type: 'string', multiple: true },
      cases: { type: 'string', default: '10000' },
      seed: { type: 'string', default: '1' },
      from: { type: 'string', default: '0' },
      'case-ms': { type: 'string', default: '10000' },
    },
  });
  const names = values.target?.length ? values.target : Object.keys(TARGETS);
  let findings = 0;
  for (const name of names) {
    const make = TARGETS[name];
    if (!make) {
      process.stderr.write(`error: unknown fuzz target ${name} (targets: ${Object.keys(TARGETS).join(', ')})\n`);
      return 2;
    }
    const report = await runTarget(make(), {
      seed: Number(values.seed),
      cases: Number(values.cases),
      from: Number(values.from),
      caseMs: Number(values['case-ms']),
      maxRssGrowthMb: 1024,
      onProgress: (done) => process.stderr.write(`\r${name}: ${done} cases`),
    });
    process.stderr.write('\r');
    process.stdout.write(`${formatReport(report)}\n`);
    findings += report.findings.length;
  }
  return findings ? 1 : 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().then((code) => process.exit(code), (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(2);
  });
}
