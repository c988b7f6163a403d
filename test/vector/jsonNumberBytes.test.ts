import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { writeJsonNumber } from '../../src/core/vector/jsonNumberBytes.ts';

const json = (v: number): string => {
  const bytes = new Uint8Array(32);
  return Buffer.from(bytes.subarray(0, writeJsonNumber(v, bytes, 0))).toString('latin1');
};
const roundTo = (v: number, decimals: number): number => Math.round(v * 10 ** decimals) / 10 ** decimals;

describe('writeJsonNumber', () => {
  it('writes what JSON.stringify writes for coordinates rounded as the feature maker rounds them (0–9 decimals)', () => {
    fc.assert(
      fc.property(fc.double({ min: -180, max: 180, noNaN: true }), fc.integer({ min: 0, max: 9 }), (v, decimals) => {
        const rounded = roundTo(v, decimals);
        expect(json(rounded)).toBe(JSON.stringify(rounded));
      }),
      { numRuns: 20000 },
    );
  });

  it('writes what JSON.stringify writes for integer-scaled decimals of any size and precision', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }), fc.integer({ min: 0, max: 12 }), (m, decimals) => {
        const v = m / 10 ** decimals;
        expect(json(v)).toBe(JSON.stringify(v));
      }),
      { numRuns: 20000 },
    );
  });

  it('writes what JSON.stringify writes for any double (the fallback), and null for non-finite numbers', () => {
    fc.assert(
      fc.property(fc.double(), (v) => {
        expect(json(v)).toBe(JSON.stringify(v));
      }),
      { numRuns: 20000 },
    );
  });

  it('edge cases: zeros, exponent forms, few decimals, large magnitudes', () => {
    const cases = [
      0, -0, 1, -1, 0.5, -0.5, 1e-7, -1e-7, 9e-7, 1e-6, -1e-6, 1.5e-6, 0.000001, 0.0000012, 0.1, 0.12, 10, 100,
      -75.1234567, -75.12, 45.0000001, 179.9999999, -180, 180, 0.1 + 0.2, 1 / 3, 123456.123456789, 999999.999999999,
      1e15, 1e21, 1e-9, 1e-10, 2 ** 53, Number.MAX_VALUE, Number.MIN_VALUE, Number.EPSILON, NaN, Infinity, -Infinity,
    ];
    for (const v of cases) expect(json(v), String(v)).toBe(JSON.stringify(v));
  });

  it('writes at the given offset and returns the new end', () => {
    const bytes = new Uint8Array(32).fill(120);
    expect(writeJsonNumber(-12.5, bytes, 3)).toBe(8);
    expect(Buffer.from(bytes.subarray(0, 9)).toString('latin1')).toBe('xxx-12.5x');
  });
});
