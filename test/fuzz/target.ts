/**
 * The fuzz harness's contract: a target makes case `i` of a seeded run and runs it; every case must end
 * within the time bound with a result or a clean error (an outcome label such as `ok`, `400 malformed_tiff`),
 * else it is a finding (a crash, an unclean error, a hang, unbounded memory).
 */
export interface CaseOutcome {
  /** Short label counted in the report: `ok`, an error code, an HTTP status and code... */
  outcome: string;
  /** Set when the case broke a rule: what happened. */
  finding?: string;
}

export interface FuzzTarget {
  name: string;
  /** Start servers, temp dirs... */
  setup?(): Promise<void>;
  /** Run case `index` of the run seeded `seed`. */
  run(seed: number, index: number): Promise<CaseOutcome>;
  teardown?(): Promise<void>;
}

export interface TargetReport {
  target: string;
  cases: number;
  outcomes: Record<string, number>;
  findings: { index: number; seed: number; finding: string }[];
  seconds: number;
  slowestMs: number;
  rssStartMb: number;
  rssEndMb: number;
  rssPeakMb: number;
}

/** Fail a case that takes longer than `ms`. */
export async function withinTime<T>(ms: number, what: string, run: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new HangError(`${what} did not end within ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([run(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export class HangError extends Error {}

/** Run `cases` cases of a target (seeded), each within `caseMs`, recording outcomes and findings. */
export async function runTarget(target: FuzzTarget, opts: { seed: number; cases: number; from?: number; caseMs?: number; maxRssGrowthMb?: number; onProgress?: (done: number) => void }): Promise<TargetReport> {
  const caseMs = opts.caseMs ?? 10_000;
  const rss = (): number => process.memoryUsage().rss / 1024 / 1024;
  await target.setup?.();
  const report: TargetReport = { target: target.name, cases: 0, outcomes: {}, findings: [], seconds: 0, slowestMs: 0, rssStartMb: rss(), rssEndMb: 0, rssPeakMb: 0 };
  const started = Date.now();
  try {
    const from = opts.from ?? 0;
    for (let i = from; i < from + opts.cases; i++) {
      const t0 = Date.now();
      let result: CaseOutcome;
      try {
        result = await withinTime(caseMs, `case ${i}`, () => target.run(opts.seed, i));
      } catch (err) {
        result = { outcome: err instanceof HangError ? 'hang' : 'crash', finding: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
      }
      report.slowestMs = Math.max(report.slowestMs, Date.now() - t0);
      report.cases++;
      report.outcomes[result.outcome] = (report.outcomes[result.outcome] ?? 0) + 1;
      if (result.finding) report.findings.push({ index: i, seed: opts.seed, finding: result.finding });
      report.rssPeakMb = Math.max(report.rssPeakMb, rss());
      if (opts.maxRssGrowthMb !== undefined && rss() - report.rssStartMb > opts.maxRssGrowthMb) {
        report.findings.push({ index: i, seed: opts.seed, finding: `RSS grew by ${(rss() - report.rssStartMb).toFixed(0)} MB, more than ${opts.maxRssGrowthMb} MB` });
        break;
      }
      if (report.cases % 100 === 0) opts.onProgress?.(report.cases);
    }
  } finally {
    await target.teardown?.();
  }
  report.seconds = (Date.now() - started) / 1000;
  report.rssEndMb = rss();
  return report;
}
