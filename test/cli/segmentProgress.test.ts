import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createProgressReporter, formatSeconds } from '../../src/cli/progressReporter.ts';

function sink() {
  const chunks: string[] = [];
  return { stream: new Writable({ write(c, _e, cb) { chunks.push(String(c)); cb(); } }), text: () => chunks.join('') };
}

describe('progress reporter (segment progress)', () => {
  it('prints plain lines at 10% steps when stderr is not a terminal', () => {
    const err = sink();
    const p = createProgressReporter({ isTTY: false, stderr: err.stream }, 'segment', 'tiles');
    for (let done = 0; done <= 100; done++) p.update({ done, total: 100, rate: 12.5, etaSeconds: (100 - done) / 12.5, detail: '3 skipped (nodata), 0 failed' });
    p.stop();
    const lines = err.text().trim().split('\n');
    expect(lines).toHaveLength(11);
    expect(lines[5]).toBe('segment: 50/100 tiles (50%), 12.5 tiles/s, ETA 4s, 3 skipped (nodata), 0 failed');
    expect(lines[10]).toBe('segment: 100/100 tiles (100%), 12.5 tiles/s, 3 skipped (nodata), 0 failed');
  });

  it('draws a bar on a terminal', () => {
    const err = sink();
    const stream = Object.assign(err.stream, { isTTY: true, columns: 120, cursorTo: () => true, clearLine: () => true, moveCursor: () => true });
    const p = createProgressReporter({ isTTY: true, stderr: stream }, 'segment', 'tiles');
    p.update({ done: 5, total: 10, rate: 2, etaSeconds: 2.5, detail: '1 skipped (nodata), 0 failed' });
    p.stop();
    expect(err.text()).toContain('5/10 tiles');
    expect(err.text()).toContain('1 skipped (nodata)');
  });

  it('formats durations', () => {
    expect(formatSeconds(5)).toBe('5s');
    expect(formatSeconds(125)).toBe('2m05s');
    expect(formatSeconds(3 * 3600 + 60)).toBe('3h01m');
    expect(formatSeconds(null)).toBe('--');
  });
});
