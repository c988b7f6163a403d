/**
 * Progress for long CLI work, shared by commands: a cli-progress bar on a TTY, plain lines otherwise
 * (at most one per 10% step or every 5 s, so logs stay readable). Writes to the context's stderr. Rate and ETA
 * are derived from the updates when the caller has none.
 */
import cliProgress from 'cli-progress';
import type { CliContext } from './context.ts';

export interface ProgressUpdate {
  done: number;
  total: number;
  /** Items per second, when known. */
  rate?: number;
  /** Seconds left, when known. */
  etaSeconds?: number | null;
  /** Extra text, e.g. "3 skipped (nodata), 0 failed". */
  detail?: string;
}

export interface ProgressReporter {
  update(progress: ProgressUpdate): void;
  stop(): void;
}

export function formatSeconds(s: number | null | undefined): string {
  if (s === null || s === undefined || !Number.isFinite(s)) return '--';
  const t = Math.round(s);
  if (t < 60) return `${t}s`;
  if (t < 3600) return `${Math.floor(t / 60)}m${String(t % 60).padStart(2, '0')}s`;
  return `${Math.floor(t / 3600)}h${String(Math.floor((t % 3600) / 60)).padStart(2, '0')}m`;
}

/** Fills in rate and ETA from the updates' own timing when the caller does not supply them. */
function deriveRate(): (p: ProgressUpdate) => ProgressUpdate {
  let first: { done: number; time: number } | null = null;
  return (p) => {
    if (p.rate !== undefined) return p;
    const now = Date.now();
    first ??= { done: p.done, time: now };
    const seconds = (now - first.time) / 1000;
    if (seconds <= 0 || p.done <= first.done) return p;
    const rate = (p.done - first.done) / seconds;
    return { ...p, rate, etaSeconds: p.etaSeconds ?? (p.total - p.done) / rate };
  };
}

export function createProgressReporter(ctx: Pick<CliContext, 'isTTY' | 'stderr'>, label: string, unit: string): ProgressReporter {
  const reporter = createRawProgressReporter(ctx, label, unit);
  const derive = deriveRate();
  return { update: (p) => reporter.update(derive(p)), stop: () => reporter.stop() };
}

function createRawProgressReporter(ctx: Pick<CliContext, 'isTTY' | 'stderr'>, label: string, unit: string): ProgressReporter {
  if (ctx.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream: ctx.stderr as NodeJS.WritableStream,
        format: `${label} [{bar}] {value}/{total} ${unit} | {rate}/s | ETA {etaText} | {detail}`,
        hideCursor: true,
      },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update(p) {
        const payload = { rate: (p.rate ?? 0).toFixed(1), etaText: formatSeconds(p.etaSeconds), detail: p.detail ?? '' };
        if (!started) {
          bar.start(p.total, p.done, payload);
          started = true;
        } else bar.update(p.done, payload);
      },
      stop() {
        if (started) bar.stop();
        started = false;
      },
    };
  }
  let lastStep = -1;
  let lastTime = 0;
  return {
    update(p) {
      const step = p.total ? Math.floor((p.done / p.total) * 10) : 10;
      const now = Date.now();
      if (step === lastStep && now - lastTime < 5000) return;
      lastStep = step;
      lastTime = now;
      const pct = p.total ? Math.round((p.done / p.total) * 100) : 100;
      const rate = p.rate !== undefined ? `, ${p.rate.toFixed(1)} ${unit}/s` : '';
      const eta = p.etaSeconds !== undefined && p.done < p.total ? `, ETA ${formatSeconds(p.etaSeconds)}` : '';
      ctx.stderr.write(`${label}: ${p.done}/${p.total} ${unit} (${pct}%)${rate}${eta}${p.detail ? `, ${p.detail}` : ''}\n`);
    },
    stop() {},
  };
}
