/**
 * `npm run fuzz [-- --target tiff|upload|tokens|http] [--cases 10000] [--seed 1] [--case-ms 10000] [--in-process]`:
 * the fuzz harness. Each target runs its seeded cases (case i of seed s is reproducible alone with
 * `--seed s --from i --cases 1`); every case must end within the time bound with a result or a clean error,
 * and memory must stay bounded. Cases run in child processes of 1000 (a case that kills its process is
 * found by halving and reported; `--in-process` runs them here). Prints outcome counts, findings, time and
 * RSS per target; exits 1 on a finding.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
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

/** Run cases [from, from + cases) of a target in a child process; null when the child died without a report. */
function runChild(target: string, seed: number, from: number, cases: number, caseMs: number): Promise<TargetReport | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--child', '--target', target, '--seed', String(seed), '--from', String(from), '--cases', String(cases), '--case-ms', String(caseMs)], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('close', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('{'));
      resolve(code === 0 && line ? (JSON.parse(line) as TargetReport) : null);
    });
  });
}

function merge(a: TargetReport | undefined, b: TargetReport): TargetReport {
  if (!a) return b;
  const outcomes = { ...a.outcomes };
  for (const [k, v] of Object.entries(b.outcomes)) outcomes[k] = (outcomes[k] ?? 0) + v;
  return {
    target: a.target,
    cases: a.cases + b.cases,
    outcomes,
    findings: [...a.findings, ...b.findings],
    seconds: a.seconds + b.seconds,
    slowestMs: Math.max(a.slowestMs, b.slowestMs),
    rssStartMb: a.rssStartMb,
    rssEndMb: b.rssEndMb,
    rssPeakMb: Math.max(a.rssPeakMb, b.rssPeakMb),
  };
}

/**
 * A target's cases in child processes of `chunk` cases each, so that a case that kills the process (a V8
 * fatal error, an abort) is a finding, not the end of the run: a chunk that dies is split in halves until
 * the case is found, and every other case still runs.
 */
async function runIsolated(target: string, seed: number, from: number, cases: number, caseMs: number, chunk = 1000): Promise<TargetReport> {
  let report: TargetReport | undefined;
  const range = async (start: number, n: number): Promise<void> => {
    const r = await runChild(target, seed, start, n, caseMs);
    if (r) {
      report = merge(report, r);
      process.stderr.write(`\r${target}: ${report.cases} cases`);
    } else if (n === 1) {
      const dead: TargetReport = { target, cases: 1, outcomes: { 'process-died': 1 }, findings: [{ index: start, seed, finding: 'the process died (V8 fatal error, abort or out of memory)' }], seconds: 0, slowestMs: 0, rssStartMb: 0, rssEndMb: 0, rssPeakMb: 0 };
      report = merge(report, dead);
    } else {
      const half = Math.floor(n / 2);
      await range(start, half);
      await range(start + half, n - half);
    }
  };
  for (let start = from; start < from + cases; start += chunk) await range(start, Math.min(chunk, from + cases - start));
  return report!;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      target: { type: 'string', multiple: true },
      cases: { type: 'string', default: '10000' },
      seed: { type: 'string', default: '1' },
      from: { type: 'string', default: '0' },
      'case-ms': { type: 'string', default: '10000' },
      /** Run in this process (no isolation); used by the child processes. */
      child: { type: 'boolean', default: false },
      'in-process': { type: 'boolean', default: false },
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
    const opts = { seed: Number(values.seed), cases: Number(values.cases), from: Number(values.from), caseMs: Number(values['case-ms']) };
    if (values.child) {
      const report = await runTarget(make(), { ...opts, maxRssGrowthMb: 1024 });
      process.stdout.write(`${JSON.stringify(report)}\n`);
      continue;
    }
    const report = values['in-process']
      ? await runTarget(make(), { ...opts, maxRssGrowthMb: 1024, onProgress: (done) => process.stderr.write(`\r${name}: ${done} cases`) })
      : await runIsolated(name, opts.seed, opts.from, opts.cases, opts.caseMs);
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
