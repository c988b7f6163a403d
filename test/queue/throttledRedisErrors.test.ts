/** A Redis outage is logged at once, then once per period with the count of errors in between (not a line a second). */
import { describe, expect, it } from 'vitest';
import { throttledRedisErrors } from '../../src/adapters/queue/redisConnection.ts';

describe('throttledRedisErrors', () => {
  it('logs the first error, then one line per period saying how many came in between', () => {
    let t = 0;
    const lines: { err: string; repeated?: number }[] = [];
    const onError = throttledRedisErrors((f) => lines.push(f), 30_000, () => t);
    for (t = 0; t < 61_000; t += 1000) onError(new Error(`ECONNREFUSED ${t}`));
    expect(lines).toEqual([{ err: 'ECONNREFUSED 0' }, { err: 'ECONNREFUSED 30000', repeated: 29 }, { err: 'ECONNREFUSED 60000', repeated: 29 }]);
  });
});
