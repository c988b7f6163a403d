/**
 * Most bytes one compressed TIFF block may decode to: its decoded size from the decoder's parameters (tile or
 * strip size × bytes per pixel) plus slack. Decoders that can expand without bound (DEFLATE, LZW) stop there,
 * so a small hostile block cannot decode to gigabytes.
 */
/** Bytes a block may decode to beyond its computed size. */
export const BLOCK_OUTPUT_SLACK = 65536;

export function maxBlockOutput(parameters: unknown): number {
  const p = (parameters ?? {}) as { tileWidth?: number; tileHeight?: number; bitsPerSample?: number | ArrayLike<number>; planarConfiguration?: number };
  const raw = p.bitsPerSample;
  const bits = raw !== undefined && typeof raw === 'object' ? Array.from(raw) : [Number(raw ?? 8)];
  const bytes = p.planarConfiguration === 2 ? Math.max(...bits.map((b) => Math.ceil(b / 8))) : bits.reduce((a, b) => a + Math.ceil(b / 8), 0);
  const expected = Number(p.tileWidth) * Number(p.tileHeight) * bytes;
  return Number.isFinite(expected) && expected > 0 ? expected + BLOCK_OUTPUT_SLACK : 1024 * 1024 * 1024;
}

export class BlockTooLargeError extends Error {
  constructor(codec: string, limit: number) {
    super(`a ${codec} block decodes to more than the ${limit} bytes its tile size allows`);
    this.name = 'BlockTooLargeError';
  }
}
