/**
 * The fuzz harness's fixed seeded sample in `npm test`: 500 cases per target (the full run, 10,000 per
 * target, is `npm run fuzz`). Every case must end within 10 s with a result or a clean error.
 */
import { describe, expect, it } from 'vitest';
import { runTarget } from './target.ts';
import { formatReport, TARGETS } from './run.ts';

const SAMPLE = 500;

describe('fuzz harness (seeded sample)', () => {
  for (const [name, make] of Object.entries(TARGETS)) {
    it(`${name}: ${SAMPLE} cases end cleanly`, async () => {
      const report = await runTarget(make(), { seed: 20261129, cases: SAMPLE, caseMs: 10_000, maxRssGrowthMb: 512 });
      console.log(formatReport(report));
      expect(report.cases).toBe(SAMPLE);
      expect(report.findings).toEqual([]);
      // the sample reaches more than one outcome (a generator that only makes garbage would test nothing)
      expect(Object.keys(report.outcomes).length).toBeGreaterThan(3);
    }, 120_000);
  }
});
