/** The change report page: warnings above the table, escaped; the table's rows; notes below. */
import { describe, expect, it } from 'vitest';
import { renderChangeReport } from '../../src/adapters/report/changeReport.ts';
import { CLASS_COLOURS } from '../../src/pipeline/changeReportImages.ts';

const summary = {
  classes: [
    { class: 'permanent', areaKm2: 1.5, percentOfCommonValid: 10 },
    { class: 'gained', areaKm2: 0.25, percentOfCommonValid: 1.67 },
    { class: 'lost', areaKm2: 0.5, percentOfCommonValid: 3.33 },
    { class: 'unknown', areaKm2: 0, percentOfCommonValid: null },
  ],
  commonValidKm2: 15,
  waterAKm2: 2,
  waterBKm2: 1.75,
  netChangeKm2: -0.25,
} as unknown as Parameters<typeof renderChangeReport>[0]['summary'];

describe('the change report page', () => {
  it('shows each warning above the table, escaped, and the notes below the pictures', async () => {
    const html = await renderChangeReport({ title: 'A → B', summary, colours: CLASS_COLOURS, pictures: [], notes: ['a note'], warnings: ['Date A <b>without</b> its index'] });
    const warn = html.indexOf('<p class="warn">Date A &lt;b&gt;without&lt;/b&gt; its index</p>');
    expect(warn).toBeGreaterThan(0);
    expect(warn).toBeLessThan(html.indexOf('<table>'));
    expect(html).toContain('gained</td><td>0.2500</td><td>1.67 %</td>');
    expect(html).toContain('net change <b>-0.2500 km²</b>');
    expect(html.indexOf('<p>a note</p>')).toBeGreaterThan(html.indexOf('</table>'));
    const quiet = await renderChangeReport({ title: 'A → B', summary, colours: CLASS_COLOURS, pictures: [], notes: [] });
    expect(quiet).not.toContain('class="warn"');
  });
});
