import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { expect, it } from 'vitest';
import { readEnvConfig } from '../../src/config.ts';
import { parseSegmentationText } from '../../src/core/tokens/segmentationParser.ts';
import { describeShared, sharedData } from '../helpers/shared.ts';
import { randomVaePath } from '../helpers/vaeFixture.ts';
import { runCli } from '../helpers/runCli.ts';

const run = (args: string[]) => runCli(args, { env: readEnvConfig({}) });

describeShared('waterline prepare on the water-bodies pairs', () => {
  const wb = join(sharedData, 'water-bodies');
  const names = ['water_body_1478', ...readFileSync(join(wb, 'train_images.txt'), 'utf8').split('\n').filter(Boolean).slice(0, 5).map((f) => f.replace(/\.jpg$/, ''))];

  it('writes JSONL + 224 px PNGs, reproduces big_vision boxes, skips a bad pair, and resumes', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'prepare-'));
    const images = join(tmp, 'images');
    const masks = join(tmp, 'masks');
    mkdirSync(images);
    mkdirSync(masks);
    for (const n of new Set(names)) {
      copyFileSync(join(wb, 'images', `${n}.jpg`), join(images, `${n}.jpg`));
      copyFileSync(join(wb, 'masks', `${n}.jpg`), join(masks, `${n}.jpg`));
    }
    copyFileSync(join(wb, 'images', 'water_body_10.jpg'), join(images, 'broken.jpg'));
    writeFileSync(join(masks, 'broken.png'), 'not an image');
    const out = join(tmp, 'dataset');
    const args = ['prepare', '--images', images, '--masks', masks, '--out', out, '--vae', randomVaePath(), '--val', '0.3', '--empty-ratio', '1'];
    const first = await run(args);
    expect(first.code).toBe(0);
    expect(first.stderr).toMatch(/skipped broken: cannot read mask image/);
    const pairs = new Set(names).size;
    const lines = ['train.jsonl', 'val.jsonl'].flatMap((f) => {
      try { return readFileSync(join(out, f), 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)); } catch { return []; }
    });
    expect(lines).toHaveLength(pairs);
    for (const line of lines) {
      expect(Object.keys(line)).toEqual(['image', 'prefix', 'suffix']);
      expect(line.prefix).toBe('segment water');
      const meta = await sharp(join(out, line.image)).metadata();
      expect([meta.width, meta.height, meta.format]).toEqual([224, 224, 'png']);
      const parsed = parseSegmentationText(line.suffix, { size: 224 });
      expect(parsed.defects).toEqual([]);
      expect(parsed.instances.length).toBeLessThanOrEqual(10);
    }
    // water_body_1478 is in the notebook's big_vision-encoded data: its four boxes are among ours (bin-exact);
    // we also keep four 2–7 px specks that the notebook's mask preparation did not.
    const ours = lines.find((l) => l.image === 'images/water_body_1478.png')!.suffix.match(/(<loc\d{4}>){4}/g)!.sort();
    const notebook = readFileSync(join(wb, 'notebook-vae-encoded-suffixes.txt'), 'utf8')
      .split('\n').find((l) => l.includes('water_body_1478'))!.match(/(<loc\d{4}>){4}/g)!.sort();
    expect(notebook).toHaveLength(4);
    expect(ours).toEqual(expect.arrayContaining(notebook));
    expect(ours).toHaveLength(8);

    const again = await run(args);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`wrote 0 train + 0 val examples (0 water instances) to ${out}; ${pairs} already there`);
  });
});
