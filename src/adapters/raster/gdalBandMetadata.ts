/**
 * Per-band metadata GDAL writes beside the pixels: the `GDAL_METADATA` TIFF tag (`<Item name="DESCRIPTION"
 * sample="0" role="description">B8A</Item>`, scale, offset, colour interpretation) and the PAM sidecar
 * `<scene>.aux.xml` (`<PAMRasterBand band="1"><Description>…</Description><Scale>…`). gdalinfo shows both; so do we
 * (the sidecar wins, as in GDAL).
 */
import { readFile } from 'node:fs/promises';

export interface GdalBandMetadata {
  description?: string;
  scale?: number;
  offset?: number;
  colorInterpretation?: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function unescapeXml(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (_, e: string) => {
    if (e[0] === '#') return String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : Number(e.slice(1)));
    return ENTITIES[e.toLowerCase()];
  });
}

function attributes(tag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of tag.matchAll(/([A-Za-z_][\w-]*)\s*=\s*"([^"]*)"/g)) out[m[1].toLowerCase()] = unescapeXml(m[2]);
  return out;
}

function finite(text: string): number | undefined {
  const v = Number(text.trim());
  return text.trim() !== '' && Number.isFinite(v) ? v : undefined;
}

function entry(map: Map<number, GdalBandMetadata>, band: number): GdalBandMetadata {
  let e = map.get(band);
  if (!e) {
    e = {};
    map.set(band, e);
  }
  return e;
}

/** 1-based band → metadata, from the GDAL_METADATA tag's XML. */
export function parseGdalMetadataTag(xml: string | undefined): Map<number, GdalBandMetadata> {
  const out = new Map<number, GdalBandMetadata>();
  if (!xml) return out;
  for (const m of xml.matchAll(/<Item\b([^>]*)>([^<]*)<\/Item>/g)) {
    const attrs = attributes(m[1]);
    if (attrs.sample === undefined || !/^\d+$/.test(attrs.sample)) continue;
    const band = Number(attrs.sample) + 1;
    const value = unescapeXml(m[2]);
    const role = (attrs.role ?? '').toLowerCase();
    if (role === 'description') entry(out, band).description = value.trim();
    else if (role === 'scale') entry(out, band).scale = finite(value);
    else if (role === 'offset') entry(out, band).offset = finite(value);
    else if (role === 'colorinterp') entry(out, band).colorInterpretation = value.trim();
  }
  return out;
}

/** 1-based band → metadata, from a PAM `.aux.xml` document. */
export function parsePamAuxXml(xml: string): Map<number, GdalBandMetadata> {
  const out = new Map<number, GdalBandMetadata>();
  for (const m of xml.matchAll(/<PAMRasterBand\b([^>]*)>([\s\S]*?)<\/PAMRasterBand>/g)) {
    const band = Number(attributes(m[1]).band);
    if (!Number.isInteger(band) || band < 1) continue;
    // Histograms and metadata domains can be long; only the band's own simple elements matter.
    const body = m[2].replace(/<Histograms>[\s\S]*?<\/Histograms>/g, '').replace(/<Metadata\b[\s\S]*?<\/Metadata>/g, '');
    const text = (name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(body)?.[1];
    const description = text('Description');
    const scale = text('Scale');
    const offset = text('Offset');
    const ci = text('ColorInterp');
    if (description !== undefined) entry(out, band).description = unescapeXml(description).trim();
    if (scale !== undefined) entry(out, band).scale = finite(scale);
    if (offset !== undefined) entry(out, band).offset = finite(offset);
    if (ci !== undefined) entry(out, band).colorInterpretation = ci.trim();
  }
  return out;
}

/** The PAM sidecar of a local file (`<path>.aux.xml`), or an empty map when there is none or it is unreadable. */
export async function readPamSidecar(path: string): Promise<Map<number, GdalBandMetadata>> {
  try {
    const xml = await readFile(`${path}.aux.xml`, 'utf8');
    return xml.length > 64 * 1024 * 1024 ? new Map() : parsePamAuxXml(xml);
  } catch {
    return new Map();
  }
}

/** Sidecar values over tag values, per band. */
export function mergeBandMetadata(tag: Map<number, GdalBandMetadata>, pam: Map<number, GdalBandMetadata>): Map<number, GdalBandMetadata> {
  const out = new Map<number, GdalBandMetadata>();
  for (const [band, e] of tag) out.set(band, { ...e });
  for (const [band, e] of pam) {
    const merged = entry(out, band);
    for (const [k, v] of Object.entries(e)) if (v !== undefined) (merged as Record<string, unknown>)[k] = v;
  }
  return out;
}
