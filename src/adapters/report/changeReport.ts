/**
 * `waterline change --report change.html`: one self-contained HTML page (no external request: the
 * pictures are inline PNGs encoded with sharp, the styles inline) with both dates' quicklooks, the change
 * map and the area table. The pictures come from pipeline/changeReportImages.ts.
 */
import type { ChangeClass } from '../../core/change/changeClasses.ts';
import type { ChangeSummary } from '../../core/change/changeSummary.ts';
import { writeTextFileAtomic } from '../files/atomicWrite.ts';
import { escapeHtml, pngDataUrl, type RgbaPicture } from './htmlParts.ts';

export interface ReportPicture extends RgbaPicture {
  title: string;
  caption: string;
}

export interface ChangeReportPage {
  title: string;
  summary: ChangeSummary;
  colours: Readonly<Record<ChangeClass, readonly [number, number, number]>>;
  /** Date A, date B, the change map. */
  pictures: ReportPicture[];
  /** Lines under the pictures (model, threshold, resampling). */
  notes: string[];
  /** What a reader must know before trusting the table (a date mapped without its water index), shown above it. */
  warnings?: string[];
}

export async function renderChangeReport(page: ChangeReportPage): Promise<string> {
  const s = page.summary;
  const rows = s.classes
    .map((c) => {
      const [r, g, b] = page.colours[c.class];
      return `<tr><td><span class="sw" style="background:rgb(${r},${g},${b})"></span>${c.class}</td><td>${c.areaKm2.toFixed(4)}</td><td>${c.percentOfCommonValid === null ? '—' : `${c.percentOfCommonValid.toFixed(2)} %`}</td></tr>`;
    })
    .join('\n');
  const figures: string[] = [];
  for (const p of page.pictures) {
    figures.push(`<figure><img src="${await pngDataUrl(p)}" width="${p.width}" height="${p.height}" alt="${escapeHtml(p.title)}"><figcaption><b>${escapeHtml(p.title)}</b><br>${escapeHtml(p.caption)}</figcaption></figure>`);
  }
  const widest = Math.max(0, ...page.pictures.map((p) => p.width));
  const signed = (v: number) => `${v >= 0 ? '+' : ''}${v.toFixed(4)}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(page.title)}</title>
<style>
body{font:15px/1.45 system-ui,sans-serif;margin:2em auto;max-width:${Math.max(960, widest + 40)}px;color:#222;padding:0 1em}
h1{font-size:1.5em}figure{display:inline-block;margin:0 1em 1.5em 0;vertical-align:top}figure img{max-width:100%;height:auto;border:1px solid #ccc;image-rendering:pixelated}
table{border-collapse:collapse;margin:1em 0}td,th{padding:.3em .9em;border-bottom:1px solid #ddd;text-align:right}td:first-child,th:first-child{text-align:left}
.sw{display:inline-block;width:.9em;height:.9em;margin-right:.5em;border:1px solid #888;vertical-align:-.1em}.notes{color:#555;font-size:.9em}
.warn{background:#fff3cd;border:1px solid #e0c36a;padding:.5em .8em}
</style></head><body>
<h1>${escapeHtml(page.title)}</h1>
${(page.warnings ?? []).map((w) => `<p class="warn">${escapeHtml(w)}</p>`).join('\n')}
<table><thead><tr><th>class</th><th>km²</th><th>% of common valid area</th></tr></thead><tbody>
${rows}
</tbody><tfoot><tr><th>common valid area</th><th>${s.commonValidKm2.toFixed(4)}</th><th>100 %</th></tr></tfoot></table>
<p>Water at A: <b>${s.waterAKm2.toFixed(4)} km²</b>, at B: <b>${s.waterBKm2.toFixed(4)} km²</b>, net change <b>${signed(s.netChangeKm2)} km²</b> (on the area both dates cover with data).</p>
${figures.join('\n')}
<div class="notes">${page.notes.map((n) => `<p>${escapeHtml(n)}</p>`).join('\n')}</div>
</body></html>
`;
}

/** Write the page atomically (temporary name, then rename). */
export async function writeChangeReport(path: string, page: ChangeReportPage): Promise<void> {
  await writeTextFileAtomic(path, await renderChangeReport(page), '--report');
}
