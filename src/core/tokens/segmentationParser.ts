/**
 * Parser for PaliGemma detection/segmentation output: token ids or text → instances + defects.
 *
 * Grammar (what a clean `segment water` answer looks like), instances separated by ` ; `:
 *
 *     <locY0><locX0><locY1><locX1> <seg…>×16 label ; <loc…>×4 <seg…>×16 label …
 *
 * Real models stray from it. Every deviation is reported as a {@link SegmentationDefect} and handled by
 * one rule — the parser never throws and never turns doubtful tokens into a mask:
 *
 * | defect kind        | when                                                        | rule                                     |
 * |--------------------|-------------------------------------------------------------|------------------------------------------|
 * | `stray_text`       | non-blank text outside a label (before the first box, after `;`) | ignored                              |
 * | `stray_seg`        | `<seg>` tokens not directly after a box                     | ignored                                  |
 * | `invalid_token`    | `<locNNNN>` > 1023 or `<segNNN>` > 127 in text              | ignored; it ends the run it interrupts   |
 * | `incomplete_box`   | fewer than 4 consecutive `<loc>`                            | instance dropped (its codes too)         |
 * | `extra_loc`        | more than 4 consecutive `<loc>`                             | the last 4 (next to the codes) are the box |
 * | `inverted_box`     | y1 < y0 or x1 < x0 (bins)                                   | instance dropped                         |
 * | `degenerate_box`   | y1 = y0 or x1 = x0 (bins); thinner than 1 px → widened to 1 px, no defect | instance dropped                |
 * | `missing_seg`      | a box with no `<seg>` (detection-only)                      | kept without codes: no mask drawn        |
 * | `wrong_seg_count`  | 1–15 or more than 16 `<seg>` after a box                    | kept without codes: no mask drawn (a partial code sequence decodes to a wrong mask) |
 * | `missing_label`    | no label text after the codes (only when labels are known)  | kept, label `''`                         |
 *
 * Parsing stops at `<eos>`. Box pixels follow the convention in `locBins.ts`.
 */
import type { SegmentationDefect } from '../model/segmenter.ts';
import { binsToPixelBox, type LocBins, type PixelBox } from './locBins.ts';
import { EOS_ID, LOC_BASE_ID, LOC_COUNT, LOCS_PER_BOX, PAD_ID, SEG_BASE_ID, SEG_CODES_PER_MASK, SEG_COUNT, isLocId, isSegId, locToken, segToken } from './paligemmaTokens.ts';

export interface SegmentationInstance {
  /** Box in pixels of the model input, end-exclusive (see locBins.ts). */
  box: PixelBox;
  /** The raw loc bins y0, x0, y1, x1. */
  bins: LocBins;
  /** Exactly 16 VAE codebook indices 0..127, or absent for a detection-only instance. */
  codes?: number[];
  label: string;
}

export interface ParsedSegmentation {
  instances: SegmentationInstance[];
  defects: SegmentationDefect[];
}

export interface ParseOptions {
  /** Side of the square model input in pixels (224, 448, 896). */
  size: number;
}

export type SegmentationItem =
  | { kind: 'loc'; value: number }
  | { kind: 'seg'; value: number }
  | { kind: 'text'; text: string }
  | { kind: 'invalid'; text: string }
  | { kind: 'eos' };

const TOKEN_RE = /<loc(\d{4})>|<seg(\d{3})>|<eos>|<pad>/g;

/** Split decoded text into loc/seg/eos tokens and the text between them. */
export function tokenizeSegmentationText(text: string): SegmentationItem[] {
  const items: SegmentationItem[] = [];
  let last = 0;
  for (const m of text.matchAll(TOKEN_RE)) {
    const at = m.index ?? 0;
    if (at > last) items.push({ kind: 'text', text: text.slice(last, at) });
    last = at + m[0].length;
    if (m[1] !== undefined) {
      const v = Number(m[1]);
      items.push(v < LOC_COUNT ? { kind: 'loc', value: v } : { kind: 'invalid', text: m[0] });
    } else if (m[2] !== undefined) {
      const v = Number(m[2]);
      items.push(v < SEG_COUNT ? { kind: 'seg', value: v } : { kind: 'invalid', text: m[0] });
    } else if (m[0] === '<eos>') {
      items.push({ kind: 'eos' });
    }
  }
  if (last < text.length) items.push({ kind: 'text', text: text.slice(last) });
  return items;
}

/**
 * Token ids → items. Runs of ordinary ids go through `detokenize` (the Gemma tokenizer) to give label
 * text; without it they become empty text and labels are not checked.
 */
export function segmentationItemsFromIds(ids: ArrayLike<number>, detokenize?: (ids: number[]) => string): SegmentationItem[] {
  const items: SegmentationItem[] = [];
  let run: number[] = [];
  const flush = () => {
    if (run.length) items.push({ kind: 'text', text: detokenize ? detokenize(run) : '' });
    run = [];
  };
  for (let i = 0; i < ids.length; i++) {
    const id = Number(ids[i]);
    if (isLocId(id)) { flush(); items.push({ kind: 'loc', value: id - LOC_BASE_ID }); }
    else if (isSegId(id)) { flush(); items.push({ kind: 'seg', value: id - SEG_BASE_ID }); }
    else if (id === EOS_ID) { flush(); items.push({ kind: 'eos' }); break; }
    else if (id === PAD_ID) continue;
    else run.push(id);
  }
  flush();
  return items;
}

export function parseSegmentationText(text: string, options: ParseOptions): ParsedSegmentation {
  return parseSegmentationItems(tokenizeSegmentationText(text), options, true);
}

export function parseSegmentationIds(ids: ArrayLike<number>, options: ParseOptions & { detokenize?: (ids: number[]) => string }): ParsedSegmentation {
  return parseSegmentationItems(segmentationItemsFromIds(ids, options.detokenize), options, options.detokenize !== undefined);
}

const isBlank = (s: string) => !/[^\s;]/.test(s);

export function parseSegmentationItems(items: SegmentationItem[], options: ParseOptions, labelsKnown = true): ParsedSegmentation {
  const { size } = options;
  const instances: SegmentationInstance[] = [];
  const defects: SegmentationDefect[] = [];
  const defect = (kind: string, message: string) => defects.push({ kind, message });
  let i = 0;
  let group = 0;
  const skipBlank = () => {
    while (i < items.length) {
      const it = items[i];
      if (it.kind === 'text' && /^\s*$/.test(it.text)) i++;
      else break;
    }
  };
  while (i < items.length) {
    const it = items[i];
    if (it.kind === 'eos') break;
    if (it.kind === 'text') {
      if (!isBlank(it.text)) defect('stray_text', `ignored text outside any instance: ${JSON.stringify(it.text.trim().slice(0, 40))}`);
      i++;
      continue;
    }
    if (it.kind === 'invalid') {
      defect('invalid_token', `ignored out-of-range token ${it.text}`);
      i++;
      continue;
    }
    if (it.kind === 'seg') {
      let n = 0;
      while (i < items.length && items[i].kind === 'seg') { n++; i++; skipBlank(); }
      defect('stray_seg', `ignored ${n} <seg> token(s) not preceded by a box`);
      continue;
    }
    // A box starts: a run of loc tokens.
    group++;
    const locs: number[] = [];
    while (i < items.length && items[i].kind === 'loc') {
      locs.push((items[i] as { value: number }).value);
      i++;
      skipBlank();
    }
    const codes: number[] = [];
    while (i < items.length && items[i].kind === 'seg') {
      codes.push((items[i] as { value: number }).value);
      i++;
      skipBlank();
    }
    let labelText = '';
    let straySegs = 0;
    while (i < items.length) {
      const cur = items[i];
      if (cur.kind === 'loc' || cur.kind === 'eos') break;
      if (cur.kind === 'text') labelText += cur.text;
      else if (cur.kind === 'seg') straySegs++;
      else defect('invalid_token', `instance ${group}: ignored out-of-range token ${cur.text}`);
      i++;
    }
    if (straySegs) defect('stray_seg', `instance ${group}: ignored ${straySegs} <seg> token(s) not directly after the box`);
    const semi = labelText.indexOf(';');
    const label = (semi < 0 ? labelText : labelText.slice(0, semi)).trim();
    if (semi >= 0 && !isBlank(labelText.slice(semi + 1))) {
      defect('stray_text', `instance ${group}: ignored text after ';': ${JSON.stringify(labelText.slice(semi + 1).trim().slice(0, 40))}`);
    }

    if (locs.length < LOCS_PER_BOX) {
      defect('incomplete_box', `instance ${group}: dropped, only ${locs.length} <loc> token(s) (a box needs 4)`);
      continue;
    }
    if (locs.length > LOCS_PER_BOX) {
      defect('extra_loc', `instance ${group}: ${locs.length} consecutive <loc> tokens; used the last 4 as the box`);
    }
    const bins = locs.slice(-LOCS_PER_BOX) as LocBins;
    if (bins[2] < bins[0] || bins[3] < bins[1]) {
      defect('inverted_box', `instance ${group}: dropped, inverted box ${bins.map(locToken).join('')} (y1 < y0 or x1 < x0)`);
      continue;
    }
    const box = binsToPixelBox(bins, size);
    if (box.y1 <= box.y0 || box.x1 <= box.x0) {
      defect('degenerate_box', `instance ${group}: dropped, box ${bins.map(locToken).join('')} has no area at ${size} px`);
      continue;
    }
    const instance: SegmentationInstance = { box, bins, label };
    if (codes.length === SEG_CODES_PER_MASK) instance.codes = codes;
    else if (codes.length === 0) defect('missing_seg', `instance ${group}: detection only (no <seg> tokens), no mask drawn`);
    else defect('wrong_seg_count', `instance ${group}: ${codes.length} <seg> tokens instead of 16, kept as detection only, no mask drawn`);
    if (labelsKnown && label === '') defect('missing_label', `instance ${group}: no label`);
    instances.push(instance);
  }
  return { instances, defects };
}

export interface SuffixInstance {
  bins: LocBins;
  codes?: number[];
  label: string;
}

/** Instances → the canonical suffix text (`<loc>`x4 `<seg>`x16 label, joined by ` ; `). */
export function formatSegmentationSuffix(instances: SuffixInstance[]): string {
  return instances
    .map((inst) => `${inst.bins.map(locToken).join('')}${(inst.codes ?? []).map(segToken).join('')} ${inst.label}`)
    .join(' ; ');
}
