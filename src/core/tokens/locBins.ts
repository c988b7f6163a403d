/**
 * Loc-bin ⇄ pixel conventions for PaliGemma boxes.
 *
 * A `<locNNNN>` token holds a bin 0..1023 over the model input. Waterline uses ONE convention both
 * ways, chosen so that encoding a pixel box and decoding it again gives the same pixels back:
 *
 * - encode (mask → tokens, as big_vision's data prep): bin = clip(round(edge / size * 1023), 0, 1023),
 *   where `edge` is a pixel-edge coordinate (y0/x0 = first row/column, y1/x1 = last + 1);
 * - decode (tokens → pixels): edge = round(bin / 1023 * size), and the box covers rows y0..y1-1 and
 *   columns x0..x1-1 (end-exclusive, the slice `[y0:y1, x0:x1]`).
 *
 * The round trip is exact for every size ≤ 1023 (the rounding error is ≤ size/2046 < 0.5 px). This
 * differs from big_vision's evaluator (`int(bin/1023*size)`, which truncates and can lose a pixel at
 * the top/left) by at most 1 px, and from the demo (`round(bin/1024*size)`) by at most size/1024 px.
 */
import { LOC_COUNT } from './paligemmaTokens.ts';

const MAX_BIN = LOC_COUNT - 1;

/** A box in pixels, end-exclusive: rows y0..y1-1, columns x0..x1-1. */
export interface PixelBox {
  y0: number;
  x0: number;
  y1: number;
  x1: number;
}

/** The four loc bins of a box, in token order: y0, x0, y1, x1. */
export type LocBins = [number, number, number, number];

export function binToEdge(bin: number, size: number): number {
  return Math.round((bin / MAX_BIN) * size);
}

export function edgeToBin(edge: number, size: number): number {
  return Math.min(MAX_BIN, Math.max(0, Math.round((edge / size) * MAX_BIN)));
}

/**
 * Bins → pixel box. When the end bin is after the start bin but both round to the same edge (a region
 * thinner than one pixel at this size, e.g. big_vision boxes made on a larger original image), the box
 * is widened to 1 px so it is not lost; equal or inverted bins are left as they are (the parser drops them).
 */
export function binsToPixelBox(bins: LocBins, size: number): PixelBox {
  const [y0, y1] = edgesOf(bins[0], bins[2], size);
  const [x0, x1] = edgesOf(bins[1], bins[3], size);
  return { y0, x0, y1, x1 };
}

function edgesOf(b0: number, b1: number, size: number): [number, number] {
  let e0 = binToEdge(b0, size);
  let e1 = binToEdge(b1, size);
  if (b1 > b0 && e1 <= e0) {
    if (e0 >= size) e0 = size - 1;
    e1 = e0 + 1;
  }
  return [e0, e1];
}

export function pixelBoxToBins(box: PixelBox, size: number): LocBins {
  return [edgeToBin(box.y0, size), edgeToBin(box.x0, size), edgeToBin(box.y1, size), edgeToBin(box.x1, size)];
}
