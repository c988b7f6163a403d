import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SegGrammar, argmaxInRanges, initialSegGrammarState } from '../../src/core/tokens/segGrammar.ts';
import { parseSegmentationIds } from '../../src/core/tokens/segmentationParser.ts';
import { EOS_ID, LOC_BASE_ID, SEG_BASE_ID } from '../../src/core/tokens/paligemmaTokens.ts';

const SEP = [2161, 235248];
const grammar = new SegGrammar({ separatorIds: SEP, maxInstances: 3, maxLabelTokens: 2 });

/** Greedy decoding of random "logits" through the grammar. */
const row = new Float32Array(257216);
function decode(seed: number): number[] {
  let state = initialSegGrammarState();
  const out: number[] = [];
  let x = seed >>> 0 || 1;
  for (let step = 0; step < 200; step++) {
    const ranges = grammar.allowed(state);
    if (!ranges.length) break;
    for (let i = 0; i < row.length; i++) {
      x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
      row[i] = x / 2 ** 32;
    }
    const id = argmaxInRanges(row, ranges);
    state = grammar.advance(state, id);
    if (id === EOS_ID) break;
    out.push(id);
    if (state.phase === 'done') break;
  }
  return out;
}

describe('segmentation grammar', () => {
  it('always yields 4 loc, 16 seg, a label, at most maxInstances instances', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), (seed) => {
      const ids = decode(seed);
      const parsed = parseSegmentationIds(ids, { size: 224, detokenize: (x) => x.map((i) => (i === SEP[0] ? ' ;' : i === SEP[1] ? ' ' : 'w')).join('') });
      expect(parsed.defects.filter((d) => d.kind !== 'inverted_box' && d.kind !== 'degenerate_box')).toEqual([]);
      expect(ids.filter((i) => i >= LOC_BASE_ID && i < SEG_BASE_ID).length % 4).toBe(0);
      const instances = ids.filter((i) => i >= LOC_BASE_ID && i < SEG_BASE_ID).length / 4;
      expect(instances).toBeLessThanOrEqual(3);
      expect(ids.filter((i) => i >= SEG_BASE_ID && i < SEG_BASE_ID + 128).length).toBe(16 * instances);
    }), { numRuns: 12 });
  });

  it('forces the 17th token after 16 seg to be label text, not another seg', () => {
    let s = initialSegGrammarState();
    for (const id of [LOC_BASE_ID, LOC_BASE_ID + 1, LOC_BASE_ID + 2, LOC_BASE_ID + 3]) s = grammar.advance(s, id);
    for (let i = 0; i < 16; i++) s = grammar.advance(s, SEG_BASE_ID + i);
    expect(grammar.isAllowed(s, SEG_BASE_ID)).toBe(false);
    expect(grammar.isAllowed(s, EOS_ID)).toBe(false); // a label comes first
    expect(grammar.isAllowed(s, 2003)).toBe(true);
  });

  it('allows an empty answer (eos first) and rejects a 3-corner box', () => {
    const s0 = initialSegGrammarState();
    expect(grammar.isAllowed(s0, EOS_ID)).toBe(true);
    let s = s0;
    for (let i = 0; i < 3; i++) s = grammar.advance(s, LOC_BASE_ID + i);
    expect(grammar.allowed(s)).toEqual([[LOC_BASE_ID, LOC_BASE_ID + 1024]]);
  });
});
