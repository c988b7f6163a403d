/** What the self-contained HTML reports (run report, change report) share: text escaping and inline PNG pictures. */
import sharp from 'sharp';

/** Text for HTML content or a quoted attribute value. */
export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

/** An RGBA picture, row-major. */
export interface RgbaPicture {
  width: number;
  height: number;
  rgba: Uint8Array;
}

/** The picture as a `data:image/png;base64,…` URL (PNG encoded with sharp), for an inline <img src>. */
export async function pngDataUrl(p: RgbaPicture): Promise<string> {
  const png = await sharp(Buffer.from(p.rgba.buffer, p.rgba.byteOffset, p.rgba.byteLength), { raw: { width: p.width, height: p.height, channels: 4 } }).png().toBuffer();
  return `data:image/png;base64,${png.toString('base64')}`;
}
