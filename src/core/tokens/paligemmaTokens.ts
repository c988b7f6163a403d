/**
 * Token ids of the PaliGemma tokenizer (Gemma's 256000 entries + 1024 loc + 128 seg + <image>).
 * Source: the tokenizer.json of the PaliGemma exports (see ../shared/models/README.md).
 */
export const PAD_ID = 0;
export const EOS_ID = 1;
export const BOS_ID = 2;
export const LOC_BASE_ID = 256000;
export const LOC_COUNT = 1024;
export const SEG_BASE_ID = 257024;
export const SEG_COUNT = 128;
export const IMAGE_TOKEN_ID = 257152;
/** Number of <seg> codes per instance mask. */
export const SEG_CODES_PER_MASK = 16;
/** Number of <loc> tokens per box (y0, x0, y1, x1). */
export const LOCS_PER_BOX = 4;

export function isLocId(id: number): boolean {
  return id >= LOC_BASE_ID && id < LOC_BASE_ID + LOC_COUNT;
}

export function isSegId(id: number): boolean {
  return id >= SEG_BASE_ID && id < SEG_BASE_ID + SEG_COUNT;
}

export function locToken(bin: number): string {
  return `<loc${String(bin).padStart(4, '0')}>`;
}

export function segToken(code: number): string {
  return `<seg${String(code).padStart(3, '0')}>`;
}
