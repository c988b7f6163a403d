/**
 * Fuzz target `tokens`: random and adversarial token streams through the segmentation parser (ids and
 * text) and the constrained grammar. Rules: the parser never throws and every instance it returns is sound
 * (box inside the model input with positive size, 16 codes 0..127 when it has codes); a stream generated
 * under the grammar (any allowed token at every step) always parses into complete instances with masks, at
 * most `maxInstances`, and the grammar never offers an empty choice before it is done.
 */
import { parseSegmentationIds, parseSegmentationText, type ParsedSegmentation } from '../../../src/core/tokens/segmentationParser.ts';
import { SegGrammar, initialSegGrammarState } from '../../../src/core/tokens/segGrammar.ts';
import { EOS_ID, LOC_BASE_ID, LOC_COUNT, SEG_BASE_ID, SEG_COUNT, IMAGE_TOKEN_ID, locToken, segToken } from '../../../src/core/tokens/paligemmaTokens.ts';
import { Rng, caseSeed } from '../rng.ts';
import type { CaseOutcome, FuzzTarget } from '../target.ts';

const SIZES = [224, 448, 896];
const SEPARATOR = [2162]; // ' ;' in the Gemma tokenizer (any plain text id works for the grammar)

function unsound(parsed: ParsedSegmentation, size: number): string | undefined {
  for (const inst of parsed.instances) {
    const { x0, y0, x1, y1 } = inst.box;
    if (![x0, y0, x1, y1].every(Number.isInteger) || x0 < 0 || y0 < 0 || x1 > size || y1 > size || x1 <= x0 || y1 <= y0) return `box ${JSON.stringify(inst.box)} outside ${size}px or empty`;
    if (inst.codes && (inst.codes.length !== 16 || inst.codes.some((c) => !Number.isInteger(c) || c < 0 || c >= SEG_COUNT))) return `codes ${JSON.stringify(inst.codes)}`;
    if (typeof inst.label !== 'string') return 'label is not a string';
  }
  return undefined;
}

function randomId(rng: Rng): number {
  switch (rng.int(0, 7)) {
    case 0: return LOC_BASE_ID + rng.int(0, LOC_COUNT - 1);
    case 1: return SEG_BASE_ID + rng.int(0, SEG_COUNT - 1);
    case 2: return rng.pick([0, 1, 2, 3, EOS_ID, IMAGE_TOKEN_ID, SEPARATOR[0]]);
    case 3: return rng.pick([-1, -LOC_BASE_ID, 2 ** 31, Number.NaN, Infinity, 1.5, LOC_BASE_ID - 1, LOC_BASE_ID + LOC_COUNT, SEG_BASE_ID + SEG_COUNT, 300000]);
    default: return rng.int(4, 256000);
  }
}

/** An adversarial stream: mostly well-formed instances with one structural defect each. */
function adversarialIds(rng: Rng): number[] {
  const ids: number[] = [];
  for (let n = rng.int(0, 6); n > 0; n--) {
    const locs = rng.pick([0, 1, 3, 4, 4, 4, 5, 8]);
    for (let i = 0; i < locs; i++) ids.push(LOC_BASE_ID + rng.pick([0, 1, 511, 1022, 1023, rng.int(0, 1023)]));
    const segs = rng.pick([0, 3, 15, 16, 16, 16, 17, 32]);
    for (let i = 0; i < segs; i++) ids.push(SEG_BASE_ID + rng.int(0, SEG_COUNT - 1));
    for (let i = rng.int(0, 3); i > 0; i--) ids.push(rng.int(4, 256000));
    if (rng.chance(0.8)) ids.push(SEPARATOR[0]);
  }
  if (rng.chance(0.7)) ids.push(EOS_ID);
  return ids;
}

function randomText(rng: Rng): string {
  const parts: string[] = [];
  for (let n = rng.int(0, 40); n > 0; n--) {
    parts.push(rng.pick([
      () => locToken(rng.int(0, 1023)),
      () => segToken(rng.int(0, 127)),
      () => `<loc${rng.string(rng.int(0, 6), '0123456789x-')}>`,
      () => `<seg${rng.string(rng.int(0, 5), '0123456789')}>`,
      () => ' ; ',
      () => '<eos>',
      () => '<pad>',
      () => rng.string(rng.int(0, 12), 'water river lake ;<>\u00e9\u4e2d\n\t'),
    ])());
  }
  return parts.join('');
}

export function tokensTarget(): FuzzTarget {
  return {
    name: 'tokens',
    async run(seed, index): Promise<CaseOutcome> {
      const rng = new Rng(caseSeed(seed, index));
      const size = rng.pick(SIZES);
      const mode = rng.int(0, 3);
      if (mode === 0 || mode === 1) {
        const ids = mode === 0 ? Array.from({ length: rng.int(0, 200) }, () => randomId(rng)) : adversarialIds(rng);
        const parsed = parseSegmentationIds(ids, { size, detokenize: rng.chance(0.5) ? (run) => run.map(String).join(' ') : undefined });
        const bad = unsound(parsed, size);
        return bad ? { outcome: 'unsound', finding: `ids ${JSON.stringify(ids.slice(0, 60))}: ${bad}` } : { outcome: `ids: ${parsed.instances.length ? 'instances' : 'none'}${parsed.defects.length ? ' + defects' : ''}` };
      }
      if (mode === 2) {
        const text = randomText(rng);
        const parsed = parseSegmentationText(text, { size });
        const bad = unsound(parsed, size);
        return bad ? { outcome: 'unsound', finding: `text ${JSON.stringify(text.slice(0, 300))}: ${bad}` } : { outcome: `text: ${parsed.instances.length ? 'instances' : 'none'}${parsed.defects.length ? ' + defects' : ''}` };
      }
      // Under the grammar: any allowed token at every step, until done or the budget runs out.
      const maxInstances = rng.int(1, 5);
      const grammar = new SegGrammar({ separatorIds: rng.chance(0.5) ? SEPARATOR : [SEPARATOR[0], 2], maxInstances, maxLabelTokens: rng.int(1, 4) });
      let state = initialSegGrammarState();
      const ids: number[] = [];
      for (let step = 0; step < 400 && state.phase !== 'done'; step++) {
        const allowed = grammar.allowed(state);
        if (allowed.length === 0) return { outcome: 'grammar-stuck', finding: `no allowed token in phase ${state.phase} after ${JSON.stringify(ids)}` };
        // mostly keep going (eos only now and then), so outputs reach the instance limit too
        const going = allowed.filter(([x]) => x !== EOS_ID);
        const [a, b] = going.length && !rng.chance(0.08) ? rng.pick(going) : rng.pick(allowed);
        const id = a + rng.int(0, b - a - 1);
        ids.push(id);
        state = grammar.advance(state, id);
      }
      const parsed = parseSegmentationIds(ids, { size });
      const bad = unsound(parsed, size);
      if (bad) return { outcome: 'unsound', finding: `grammar ids ${JSON.stringify(ids.slice(0, 60))}: ${bad}` };
      if (parsed.instances.length > maxInstances) return { outcome: 'too-many', finding: `grammar output has ${parsed.instances.length} instances, more than ${maxInstances}` };
      if (parsed.instances.some((i) => !i.codes)) return { outcome: 'maskless', finding: `grammar output has an instance without 16 seg codes: ${JSON.stringify(ids.slice(0, 60))}` };
      // The grammar guarantees structure (4 locs, 16 segs, labels, separators), not geometry: an inverted or
      // zero-area box is dropped by the parser's documented rule, which is a clean outcome.
      const structural = parsed.defects.filter((d) => !/inverted|degenerate|empty|zero|equal/i.test(`${d.kind} ${d.message}`));
      if (structural.length) return { outcome: 'defect', finding: `grammar output parsed with defects ${JSON.stringify(structural)}: ${JSON.stringify(ids.slice(0, 60))}` };
      return { outcome: `grammar: ${parsed.instances.length} instance(s)${parsed.defects.length ? ', boxes dropped' : ''}` };
    },
  };
}
