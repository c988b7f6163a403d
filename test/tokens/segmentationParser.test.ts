import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { binToEdge, edgeToBin, binsToPixelBox, pixelBoxToBins, type LocBins } from '../../src/core/tokens/locBins.ts';
import { formatSegmentationSuffix, parseSegmentationIds, parseSegmentationText } from '../../src/core/tokens/segmentationParser.ts';
import { EOS_ID, LOC_BASE_ID, SEG_BASE_ID, locToken, segToken } from '../../src/core/tokens/paligemmaTokens.ts';
import { describeShared, sharedData } from '../helpers/shared.ts';

const locs = (...b: number[]) => b.map(locToken).join('');
const segs = (codes: number[]) => codes.map(segToken).join('');
const sixteen = Array.from({ length: 16 }, (_, k) => (k * 7) % 128);
const kinds = (text: string, size = 224) => parseSegmentationText(text, { size }).defects.map((d) => d.kind);

describe('loc-bin convention', () => {
  it('round-trips every pixel edge exactly for 224, 448 and 896 px inputs', () => {
    for (const size of [224, 448, 896]) {
      for (let e = 0; e <= size; e++) expect(binToEdge(edgeToBin(e, size), size)).toBe(e);
    }
  });
  it('maps the extreme bins to the image edges', () => {
    expect(binsToPixelBox([0, 0, 1023, 1023], 224)).toEqual({ y0: 0, x0: 0, y1: 224, x1: 224 });
    expect(pixelBoxToBins({ y0: 0, x0: 0, y1: 224, x1: 224 }, 224)).toEqual([0, 0, 1023, 1023]);
  });
});

describe('segmentation parser: clean output', () => {
  it('parses several instances with multi-word labels', () => {
    const text = `${locs(100, 200, 300, 400)}${segs(sixteen)} water body ; ${locs(0, 0, 1023, 1023)}${segs(sixteen)} river`;
    const { instances, defects } = parseSegmentationText(text, { size: 224 });
    expect(defects).toEqual([]);
    expect(instances).toHaveLength(2);
    expect(instances[0].label).toBe('water body');
    expect(instances[0].bins).toEqual([100, 200, 300, 400]);
    expect(instances[0].box).toEqual({ y0: 22, x0: 44, y1: 66, x1: 88 });
    expect(instances[0].codes).toEqual(sixteen);
    expect(instances[1].box).toEqual({ y0: 0, x0: 0, y1: 224, x1: 224 });
  });

  it('parses token ids, stopping at <eos>', () => {
    const ids = [
      ...[100, 200, 300, 400].map((b) => LOC_BASE_ID + b), ...sixteen.map((c) => SEG_BASE_ID + c), 2003,
      EOS_ID, LOC_BASE_ID + 5,
    ];
    const parsed = parseSegmentationIds(ids, { size: 224, detokenize: (run) => (run[0] === 2003 ? ' water' : '?') });
    expect(parsed.defects).toEqual([]);
    expect(parsed.instances).toHaveLength(1);
    expect(parsed.instances[0].label).toBe('water');
    expect(parseSegmentationIds(ids, { size: 224 }).instances[0].codes).toEqual(sixteen);
  });
});

describe('segmentation parser: defect rules', () => {
  it('keeps a detection-only instance without codes', () => {
    const r = parseSegmentationText(`${locs(10, 10, 500, 500)} water`, { size: 224 });
    expect(r.instances).toHaveLength(1);
    expect(r.instances[0].codes).toBeUndefined();
    expect(r.defects.map((d) => d.kind)).toEqual(['missing_seg']);
  });
  it('keeps 3 or 17 seg tokens as detection only, never as a mask', () => {
    for (const n of [3, 17]) {
      const r = parseSegmentationText(`${locs(10, 10, 500, 500)}${segs(Array(n).fill(5))} water`, { size: 224 });
      expect(r.instances[0].codes).toBeUndefined();
      expect(r.defects.map((d) => d.kind)).toEqual(['wrong_seg_count']);
    }
  });
  it('drops inverted and degenerate boxes', () => {
    expect(kinds(`${locs(500, 10, 100, 500)}${segs(sixteen)} water`)).toEqual(['inverted_box']);
    expect(kinds(`${locs(100, 10, 100, 500)}${segs(sixteen)} water`)).toEqual(['degenerate_box']);
    const thin = parseSegmentationText(`${locs(100, 10, 101, 500)}${segs(sixteen)} water`, { size: 224 });
    expect(thin.defects).toEqual([]);
    expect(thin.instances[0].box).toEqual({ y0: 22, x0: 2, y1: 23, x1: 109 });
    expect(parseSegmentationText(`${locs(500, 10, 100, 500)}${segs(sixteen)} water`, { size: 224 }).instances).toEqual([]);
  });
  it('drops incomplete boxes and uses the last 4 of a long loc run', () => {
    expect(kinds(`${locs(1, 2, 3)}${segs(sixteen)} water`)).toEqual(['incomplete_box']);
    const r = parseSegmentationText(`${locs(9, 9, 100, 100, 300, 400)}${segs(sixteen)} water`, { size: 224 });
    expect(r.defects.map((d) => d.kind)).toEqual(['extra_loc']);
    expect(r.instances[0].bins).toEqual([100, 100, 300, 400]);
  });
  it('reports stray text, stray seg tokens, out-of-range tokens and missing labels', () => {
    expect(kinds(`hello ${locs(0, 0, 1023, 1023)}${segs(sixteen)} water`)).toEqual(['stray_text']);
    expect(kinds(`${segs([1, 2])}${locs(0, 0, 1023, 1023)}${segs(sixteen)} water`)).toEqual(['stray_seg']);
    expect(kinds(`${locs(0, 0, 1023, 1023)}${segs(sixteen)} water ; junk`)).toEqual(['stray_text']);
    expect(kinds(`${locs(0, 0, 1023)}<loc1500>${segs(sixteen)} water`)).toEqual(['invalid_token', 'stray_seg', 'incomplete_box']);
    expect(kinds(`${locs(0, 0, 1023, 1023)}${segs(sixteen)}`)).toEqual(['missing_label']);
    expect(parseSegmentationText('', { size: 224 })).toEqual({ instances: [], defects: [] });
  });
});

describe('segmentation parser: properties', () => {
  const label = fc.string({ minLength: 1, maxLength: 12 }).map((s) => s.replace(/[;<>\s]/g, 'a')).map((s) => `w ${s}`);
  const instance = fc
    .record({
      y0: fc.integer({ min: 0, max: 1000 }), x0: fc.integer({ min: 0, max: 1000 }),
      h: fc.integer({ min: 6, max: 1023 }), w: fc.integer({ min: 6, max: 1023 }),
      codes: fc.array(fc.integer({ min: 0, max: 127 }), { minLength: 16, maxLength: 16 }),
      label,
    })
    .map(({ y0, x0, h, w, codes, label }) => ({
      bins: [y0, x0, Math.min(1023, y0 + h), Math.min(1023, x0 + w)] as LocBins,
      codes, label,
    }))
    .filter((i) => i.bins[2] - i.bins[0] >= 6 && i.bins[3] - i.bins[1] >= 6);

  it('format → parse is the identity for well-formed instances', () => {
    fc.assert(fc.property(fc.array(instance, { maxLength: 6 }), (list) => {
      const parsed = parseSegmentationText(formatSegmentationSuffix(list), { size: 224 });
      expect(parsed.defects).toEqual([]);
      expect(parsed.instances.map(({ bins, codes, label }) => ({ bins, codes, label }))).toEqual(list);
    }));
  });

  it('never throws on arbitrary token soup, and every instance it returns is drawable', () => {
    const piece = fc.oneof(
      fc.integer({ min: 0, max: 1100 }).map((b) => `<loc${String(b).padStart(4, '0')}>`),
      fc.integer({ min: 0, max: 140 }).map((c) => `<seg${String(c).padStart(3, '0')}>`),
      fc.constantFrom(' ; ', ' water', ' ', ';', '<eos>', 'x'),
      fc.string({ maxLength: 4 }),
    );
    fc.assert(fc.property(fc.array(piece, { maxLength: 80 }), fc.constantFrom(224, 448), (pieces, size) => {
      const { instances } = parseSegmentationText(pieces.join(''), { size });
      for (const inst of instances) {
        expect(inst.box.y1).toBeGreaterThan(inst.box.y0);
        expect(inst.box.x1).toBeGreaterThan(inst.box.x0);
        expect(inst.box.y0).toBeGreaterThanOrEqual(0);
        expect(inst.box.x1).toBeLessThanOrEqual(size);
        if (inst.codes) {
          expect(inst.codes).toHaveLength(16);
          for (const c of inst.codes) expect(c >= 0 && c < 128).toBe(true);
        }
      }
    }), { numRuns: 500 });
  });
});

describeShared('segmentation parser on real big_vision-encoded suffixes', () => {
  const file = join(sharedData, 'water-bodies', 'notebook-vae-encoded-suffixes.txt');
  it('parses every suffix in notebook-vae-encoded-suffixes.txt with no defects', () => {
    expect(existsSync(file)).toBe(true);
    const suffixes = [...readFileSync(file, 'utf8').matchAll(/['"]suffix['"]: ['"]([^'"]*)['"]/g)].map((m) => m[1]);
    expect(suffixes.length).toBeGreaterThan(4);
    let total = 0;
    for (const suffix of suffixes) {
      const { instances, defects } = parseSegmentationText(suffix, { size: 224 });
      expect(defects).toEqual([]);
      expect(instances).toHaveLength(suffix.split(' ; ').length);
      for (const inst of instances) {
        expect(inst.label).toBe('water');
        expect(inst.codes).toHaveLength(16);
      }
      expect(formatSegmentationSuffix(instances)).toBe(suffix);
      total += instances.length;
    }
    expect(total).toBeGreaterThan(suffixes.length);
  });
});
