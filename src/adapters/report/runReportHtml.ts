/**
 * The run report as one self-contained HTML page (no external request: the quicklook is an inline PNG
 * encoded with sharp, the histograms inline SVG, the styles inline) — what an analyst attaches to a ticket.
 * Numbers carry data-* attributes with their exact values so tests and scripts can read them back.
 */
import type { Histogram } from '../../core/report/histogram.ts';
import type { RunReport, TilePlace } from '../../core/report/runReport.ts';
import { escapeHtml, pngDataUrl, type RgbaPicture } from './htmlParts.ts';

/** The scene picture with the water drawn in, RGBA row-major; `scale` = picture px per scene px. */
export interface QuicklookImage extends RgbaPicture {
  scale: number;
}

function formatArea(m2: number): string {
  if (m2 >= 1e6) return `${(m2 / 1e6).toFixed(m2 >= 1e8 ? 1 : 3)} km²`;
  if (m2 >= 1e4) return `${(m2 / 1e4).toFixed(2)} ha`;
  return `${Math.round(m2)} m²`;
}

function shortArea(m2: number): string {
  if (m2 >= 1e6) return `${Number((m2 / 1e6).toPrecision(2))} km²`;
  if (m2 >= 1e4) return `${Number((m2 / 1e4).toPrecision(2))} ha`;
  return `${Number(m2.toPrecision(2))} m²`;
}

function formatSeconds(s: number): string {
  return s < 60 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

/** A bar chart of a histogram: one <rect data-count> per bin, edge labels under the axis, an optional marker line. */
function barChart(h: Histogram, opts: { id: string; title: string; edgeLabel: (v: number) => string; unit: string; marker?: { at: number; label: string }; logX?: boolean; countLabels?: boolean }): string {
  if (h.counts.length === 0) return `<figure id="${opts.id}"><figcaption>${escapeHtml(opts.title)}</figcaption><p class="muted">nothing to show</p></figure>`;
  const W = 560;
  const H = 220;
  const left = 48;
  const bottom = 40;
  const top = 16;
  const plotW = W - left - 36;
  const plotH = H - top - bottom;
  const n = h.counts.length;
  const max = Math.max(1, ...h.counts);
  const bw = plotW / n;
  const bars = h.counts
    .map((c, i) => {
      const bh = c > 0 ? Math.max(1.5, (c / max) * plotH) : 0;
      const x = left + i * bw;
      const label = `${opts.edgeLabel(h.edges[i])} – ${opts.edgeLabel(h.edges[i + 1])}: ${c} ${opts.unit}`;
      const count = opts.countLabels && c > 0 ? `<text x="${(x + bw / 2).toFixed(1)}" y="${(top + plotH - bh - 3).toFixed(1)}" text-anchor="middle">${c}</text>` : '';
      return `${count}<rect class="bar" data-count="${c}" data-from="${h.edges[i]}" data-to="${h.edges[i + 1]}" x="${(x + 1).toFixed(1)}" y="${(top + plotH - bh).toFixed(1)}" width="${Math.max(1, bw - 2).toFixed(1)}" height="${bh.toFixed(1)}"><title>${escapeHtml(label)}</title></rect>`;
    })
    .join('');
  const step = Math.max(1, Math.ceil(n / 10));
  const ticks = h.edges
    .map((e, i) => (i % step === 0 || i === n ? `<text x="${(left + i * bw).toFixed(1)}" y="${H - bottom + 16}" text-anchor="middle">${escapeHtml(opts.edgeLabel(e))}</text>` : ''))
    .join('');
  let marker = '';
  if (opts.marker) {
    const lo = h.edges[0];
    const hi = h.edges[n];
    const t = opts.logX ? (Math.log10(opts.marker.at) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)) : (opts.marker.at - lo) / (hi - lo);
    if (t >= 0 && t <= 1) {
      const x = left + t * plotW;
      marker = `<line class="marker" x1="${x.toFixed(1)}" x2="${x.toFixed(1)}" y1="${top}" y2="${top + plotH}"/><text class="marker" x="${(x + 4).toFixed(1)}" y="${top + 10}">${escapeHtml(opts.marker.label)}</text>`;
    }
  }
  const axis = `<line class="axis" x1="${left}" x2="${left + plotW}" y1="${top + plotH}" y2="${top + plotH}"/><text x="${left - 6}" y="${top + 8}" text-anchor="end">${max}</text><text x="${left - 6}" y="${top + plotH}" text-anchor="end">0</text>`;
  const total = h.counts.reduce((s, c) => s + c, 0);
  return `<figure id="${opts.id}" data-total="${total}"><figcaption>${escapeHtml(opts.title)}</figcaption><svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeHtml(opts.title)}">${axis}${bars}${ticks}${marker}</svg></figure>`;
}

function tileRows(places: TilePlace[], withError: boolean): string {
  return places
    .map((t) => {
      const w = t.window;
      const ll = t.lonLat ? `${t.lonLat[0].toFixed(5)}, ${t.lonLat[1].toFixed(5)}` : '—';
      return `<tr><td>${escapeHtml(t.tileId)}</td><td>${w.x}, ${w.y}, ${w.width} × ${w.height}</td><td>${ll}</td>${withError ? `<td>${escapeHtml(t.error ?? '')}</td>` : ''}</tr>`;
    })
    .join('\n');
}

function tileOutline(t: TilePlace, scale: number, cls: string): string {
  const w = t.window;
  return `<rect class="${cls}" x="${(w.x * scale).toFixed(1)}" y="${(w.y * scale).toFixed(1)}" width="${Math.max(1, w.width * scale).toFixed(1)}" height="${Math.max(1, w.height * scale).toFixed(1)}"><title>${escapeHtml(`${t.tileId}${t.error ? `: ${t.error}` : ''}`)}</title></rect>`;
}

/** The page. `quicklook` null: the picture is replaced by `quicklookNote` (e.g. why the scene could not be read). */
export async function renderRunReportHtml(r: RunReport, quicklook: QuicklookImage | null, quicklookNote = ''): Promise<string> {
  const figure = quicklook
    ? `<div class="ql" style="width:${quicklook.width}px;height:${quicklook.height}px"><img id="quicklook" src="${await pngDataUrl(quicklook)}" width="${quicklook.width}" height="${quicklook.height}" alt="scene quicklook with water in blue"><svg viewBox="0 0 ${quicklook.width} ${quicklook.height}" width="${quicklook.width}" height="${quicklook.height}">${r.skipped.map((t) => tileOutline(t, quicklook.scale, 'skipped')).join('')}${r.failed.map((t) => tileOutline(t, quicklook.scale, 'failed')).join('')}</svg></div>
<p class="muted">Scene ${r.scene.width} × ${r.scene.height} px shown at ${quicklook.width} × ${quicklook.height}; water in blue${r.failed.length ? ', failed tiles outlined in red' : ''}${r.skipped.length ? ', skipped (nodata) tiles dashed grey' : ''}.</p>`
    : `<p class="muted">No quicklook: ${escapeHtml(quicklookNote)}</p>`;
  const sizes = barChart(r.polygonSizes, { id: 'polygon-sizes', title: 'Polygon sizes (count per area bin, logarithmic)', edgeLabel: shortArea, unit: 'polygon(s)', logX: true, countLabels: true, marker: r.minAreaM2 ? { at: r.minAreaM2, label: 'min area' } : undefined });
  const probability = r.probability
    ? barChart(r.probability, { id: 'probability', title: 'Blended water probability (valid pixels per bin)', edgeLabel: (v) => v.toFixed(2), unit: 'pixel(s)', marker: r.threshold !== null ? { at: r.threshold, label: `threshold ${r.threshold}` } : undefined })
    : '<figure id="probability"><figcaption>Blended water probability</figcaption><p class="muted">not recorded in this result</p></figure>';
  const settings: [string, string][] = [
    ['scene', r.scene.name],
    ['size', `${r.scene.width} × ${r.scene.height} px, ${r.scene.crs}`],
    ['model', `${r.model ?? '—'}${r.provider ? ` on ${r.provider}` : ''}`],
    ['bands', r.bands ?? '—'],
    ['threshold', r.threshold === null ? '—' : String(r.threshold)],
    ['minimum area', r.minAreaM2 === null ? '—' : formatArea(r.minAreaM2)],
    ['created', r.created ?? '—'],
    ...r.timings.map((t): [string, string] => [`time: ${t.label}`, formatSeconds(t.seconds)]),
  ];
  const tiles = `<p>${r.tilesTotal ?? '?'} tiles; <span id="skipped-count" data-count="${r.skipped.length}">${r.skipped.length}</span> skipped (no data), <span id="failed-count" data-count="${r.failed.length}">${r.failed.length}</span> failed${r.failed.length ? ' — their area has no result' : ''}.</p>
${r.failed.length ? `<table id="failed-tiles"><caption>Failed tiles</caption><thead><tr><th>tile</th><th>pixel window (x, y, w × h)</th><th>centre lon, lat</th><th>error</th></tr></thead><tbody>${tileRows(r.failed, true)}</tbody></table>` : ''}
${r.skipped.length ? `<details><summary>Skipped tiles (${r.skipped.length})</summary><table id="skipped-tiles"><thead><tr><th>tile</th><th>pixel window (x, y, w × h)</th><th>centre lon, lat</th></tr></thead><tbody>${tileRows(r.skipped, false)}</tbody></table></details>` : ''}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,"><title>${escapeHtml(r.title)} — Waterline run report</title>
<style>
body{font:15px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1200px;color:#222;padding:0 1em}
h1{font-size:1.5em;margin-bottom:.2em}h2{font-size:1.15em;margin-top:1.6em}.muted{color:#666}
.numbers{display:flex;gap:2.5em;flex-wrap:wrap;margin:1em 0}.numbers div{min-width:8em}.numbers dt{color:#666;font-size:.85em}.numbers dd{margin:0;font-size:1.6em;font-weight:600}
.ql{position:relative;max-width:100%}.ql img{display:block;image-rendering:pixelated;border:1px solid #ccc}.ql svg{position:absolute;left:0;top:0}
.ql rect.failed{fill:rgba(220,0,0,.15);stroke:#d00;stroke-width:2}.ql rect.skipped{fill:none;stroke:#888;stroke-dasharray:4 3}
figure{display:inline-block;margin:0 2em 1em 0;vertical-align:top}figcaption{font-weight:600;margin-bottom:.3em}
svg text{font-size:11px;fill:#444}rect.bar{fill:#2b7bd6}line.axis{stroke:#999}line.marker{stroke:#d60;stroke-dasharray:3 2}text.marker{fill:#d60}
table{border-collapse:collapse;margin:.6em 0}td,th{padding:.25em .8em;border-bottom:1px solid #e4e4e4;text-align:left;vertical-align:top}th{font-weight:600}caption{text-align:left;font-weight:600}
#provenance td:first-child{white-space:nowrap;color:#555}#provenance td{font-family:ui-monospace,monospace;font-size:.85em;word-break:break-word}
</style></head><body>
<h1>${escapeHtml(r.title)}</h1>
<p class="muted">Waterline run report — ${escapeHtml(r.scene.name)}${r.created ? `, ${escapeHtml(r.created)}` : ''}</p>
<dl class="numbers">
<div><dt>water area</dt><dd id="water-area" data-m2="${r.waterAreaM2}">${escapeHtml(formatArea(r.waterAreaM2))}</dd></div>
<div><dt>water polygons</dt><dd id="polygons" data-count="${r.polygons}">${r.polygons}</dd></div>
<div><dt>tiles failed</dt><dd>${r.failed.length}</dd></div>
<div><dt>model</dt><dd>${escapeHtml(r.model ?? '—')}</dd></div>
</dl>
${figure}
<h2>Distributions</h2>
${sizes}
${probability}
<h2>Tiles</h2>
${tiles}
<h2>Run</h2>
<table id="settings"><tbody>${settings.map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('')}</tbody></table>
<h2>Provenance</h2>
<p class="muted">Every member of the output's <code>waterline</code> provenance.</p>
<table id="provenance"><tbody>${r.provenance.map((row) => `<tr><td>${escapeHtml(row.key)}</td><td>${escapeHtml(row.value)}</td></tr>`).join('\n')}</tbody></table>
</body></html>
`;
}
