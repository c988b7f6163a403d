import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { readEnvConfig } from '../../src/config.ts';
import { locToken, segToken } from '../../src/core/tokens/paligemmaTokens.ts';
import { fillVaePath, randomVaePath } from '../helpers/vaeFixture.ts';
import { runCli } from '../helpers/runCli.ts';

/** Every run gets its own empty models directory. */
const run = (args: string[]) => runCli(args, { env: { ...readEnvConfig({}), modelsDir: mkdtempSync(join(tmpdir(), 'models-')) } });

describe('waterline tokens', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tokens-'));
  const codes = Array.from({ length: 16 }, (_, k) => segToken(k * 3)).join('');

  it('decode writes a 0/255 PNG whose water is exactly the boxes (fill VAE) and reports defects', async () => {
    const out = join(dir, 'mask.png');
    const text = `${[100, 200, 300, 400].map(locToken).join('')}${codes} water ; ${[0, 0, 50, 50].map(locToken).join('')}<seg001> water`;
    const r = await run(['tokens', 'decode', text, '--vae', fillVaePath(), '-o', out]);
    expect(r.stderr).toContain('defect wrong_seg_count');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('2 instance(s), 1 drawn, 1 defect(s); 1936 water px');
    const meta = await sharp(out).metadata();
    expect([meta.width, meta.height, meta.channels, meta.format]).toEqual([224, 224, 1, 'png']);
    const data = await sharp(out).extractChannel(0).raw().toBuffer();
    let water = 0;
    for (let y = 0; y < 224; y++) for (let x = 0; x < 224; x++) {
      const v = data[y * 224 + x];
      expect(v === 0 || v === 255).toBe(true);
      if (v) { water++; expect(y >= 22 && y < 66 && x >= 44 && x < 88).toBe(true); }
    }
    expect(water).toBe(44 * 44);
  });

  it('encode prints the suffix of the mask; decoding it with the fill VAE gives the region boxes back', async () => {
    const maskPath = join(dir, 'in.png');
    const grey = Buffer.alloc(224 * 224);
    for (let y = 30; y < 80; y++) for (let x = 100; x < 190; x++) grey[y * 224 + x] = 255;
    for (let y = 150; y < 160; y++) for (let x = 10; x < 20; x++) grey[y * 224 + x] = 200;
    await sharp(grey, { raw: { width: 224, height: 224, channels: 1 } }).png().toFile(maskPath);
    const enc = await run(['tokens', 'encode', maskPath, '--vae', randomVaePath()]);
    expect(enc.code).toBe(0);
    const suffix = enc.stdout.trim();
    expect(suffix).toMatch(/^(<loc\d{4}>){4}(<seg\d{3}>){16} water ; (<loc\d{4}>){4}(<seg\d{3}>){16} water$/);
    const back = join(dir, 'back.png');
    expect((await run(['tokens', 'decode', suffix, '--vae', fillVaePath(), '-o', back])).code).toBe(0);
    const data = await sharp(back).extractChannel(0).raw().toBuffer();
    expect(Buffer.compare(data, grey.map((v) => (v ? 255 : 0)))).toBe(0);
  });

  it('fails in one line when the VAE is missing', async () => {
    const r = await run(['tokens', 'decode', '<loc0000>', '-o', join(dir, 'x.png')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: segmentation VAE checkpoint not found: .*vae-oid\.npz \(run `waterline models pull vae`/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
