import { describe, expect, it } from 'vitest';
import { Lru } from '../../src/http/lru.ts';
import { TileLru } from '../../src/http/routes/tilesCache.ts';

describe('Lru', () => {
  it('keeps at most `max` entries, evicting the least recently used', () => {
    const evicted: string[] = [];
    const lru = new Lru<string, number>(2, { onEvict: (k) => evicted.push(k) });
    lru.set('a', 1);
    lru.set('b', 2);
    expect(lru.get('a')).toBe(1); // a is now the most recent
    lru.set('c', 3);
    expect(evicted).toEqual(['b']);
    expect(lru.get('b')).toBeUndefined();
    expect(lru.get('a')).toBe(1);
    expect(lru.get('c')).toBe(3);
  });

  it('set on an existing key replaces it without calling onEvict', () => {
    const evicted: string[] = [];
    const lru = new Lru<string, number>(2, { onEvict: (k) => evicted.push(k) });
    lru.set('a', 1);
    lru.set('b', 2);
    lru.set('a', 10);
    expect(evicted).toEqual([]);
    lru.set('c', 3);
    expect(evicted).toEqual(['b']);
    expect(lru.get('a')).toBe(10);
  });

  it('getOrSet builds once and caches nothing when the builder throws', () => {
    const lru = new Lru<string, number>(4);
    let builds = 0;
    expect(lru.getOrSet('a', () => ++builds)).toBe(1);
    expect(lru.getOrSet('a', () => ++builds)).toBe(1);
    expect(() => lru.getOrSet('b', () => { throw new Error('no'); })).toThrow('no');
    expect(lru.getOrSet('b', () => 7)).toBe(7);
  });

  it('bounds the total weight but always keeps the newest entry', () => {
    const lru = new Lru<string, string>(10, { weigh: (v) => v.length });
    lru.set('a', 'xxxx');
    lru.set('b', 'yyyy');
    lru.set('c', 'zzzz'); // 12 > 10: a goes
    expect(lru.get('a')).toBeUndefined();
    expect(lru.get('b')).toBe('yyyy');
    lru.set('big', 'w'.repeat(50));
    expect(lru.get('b')).toBeUndefined();
    expect(lru.get('c')).toBeUndefined();
    expect(lru.get('big')).toHaveLength(50);
    lru.delete('big');
    lru.set('d', 'dddddddddd'); // exactly the bound
    expect(lru.get('d')).toBe('dddddddddd');
  });

  it('TileLru bounds the encoded bytes', () => {
    const lru = new TileLru(3 * (1000 + 4 + 64));
    const tile = (n: number) => ({ body: Buffer.alloc(1000, n), etag: '"ab"' });
    for (let i = 0; i < 4; i++) lru.set(`t${i}`, tile(i));
    expect(lru.get('t0')).toBeUndefined();
    expect(lru.get('t1')?.body?.[0]).toBe(1);
    expect(lru.get('t3')?.body?.[0]).toBe(3);
  });
});
