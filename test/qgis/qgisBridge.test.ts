/**
 * Runs the QGIS plugin's Python tests (qgis-bridge/tests, stdlib unittest) so `npm test` covers them:
 * the HTTP client against an in-process fake (no QGIS), the plugin inside real headless QGIS
 * (Debian python3-qgis) against the fake, and *Segment water* end to end against a real
 * `waterline serve` running the scripted PaliGemma test model on a shared scene.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hasShared, repoRoot, scenePath } from '../helpers/shared.ts';
import { scriptedPaliGemma, TINY_PALIGEMMA1 } from '../helpers/tinyModels.ts';
import { fillVaePath } from '../helpers/vaeFixture.ts';

const PYTHON = process.env.WATERLINE_PYTHON ?? '/usr/bin/python3';
const bridgeDir = join(repoRoot, 'qgis-bridge');
const baseEnv = { ...process.env, QT_QPA_PLATFORM: 'offscreen', PYTHONDONTWRITEBYTECODE: '1' };

const hasPython = existsSync(PYTHON);
const hasQgis = hasPython && spawnSync(PYTHON, ['-c', 'import qgis.core'], { env: baseEnv }).status === 0;
const noQgis = hasPython ? `python3-qgis not importable by ${PYTHON}; install Debian's python3-qgis` : `${PYTHON} not found`;
const SCENE = 'landsat8-stlawrence-rgb16-4326-cog.tif';

/** `python -m unittest <modules>` in qgis-bridge/; resolves with the exit code and the whole output. */
function unittest(modules: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, ['-m', 'unittest', '-v', ...modules], { cwd: bridgeDir, env: { ...baseEnv, ...env } });
    let output = '';
    child.stdout.on('data', (d: Buffer) => { output += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { output += d.toString(); });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

function expectPassed(result: { code: number | null; output: string }, minTests: number): void {
  if (result.code !== 0) throw new Error(`python unittest failed (exit ${result.code}):\n${result.output.slice(-6000)}`);
  const ran = Number(/Ran (\d+) tests?/.exec(result.output)?.[1] ?? 0);
  expect(ran).toBeGreaterThanOrEqual(minTests);
  expect(result.output).toMatch(/\nOK/);
}

describe('QGIS bridge (Python)', () => {
  it.skipIf(!hasPython)(`HTTP client against a fake server (stdlib, no QGIS)${hasPython ? '' : ` [skipped: ${PYTHON} not found]`}`, async () => {
    expectPassed(await unittest(['tests.test_client']), 14);
  });

  it.skipIf(!hasQgis)(`plugin in headless QGIS against a fake server${hasQgis ? '' : ` [skipped: ${noQgis}]`}`, async () => {
    const result = await unittest(['tests.test_qgis_plugin']);
    expectPassed(result, 17);
    expect(result.output).not.toMatch(/skipped/);
  }, 120_000);

  describe('against a real waterline serve', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'waterline-qgis-models-'));
    afterAll(() => rmSync(tmp, { recursive: true, force: true }));
    const why = !hasQgis ? noQgis : !hasShared ? '../shared/data not found beside the checkout; set WATERLINE_SHARED_DIR' : '';

    it.skipIf(Boolean(why))(`Segment water on ${SCENE}, then Add Waterline layers${why ? ` [skipped: ${why}]` : ''}`, async () => {
      // Test tools, not user output: a 224 px PaliGemma whose decoder always answers one box in the middle
      // of each tile, and a VAE whose masks fill their box, so the job yields known, non-empty water.
      const seg = Array.from({ length: 16 }, (_, i) => `<seg${String(i * 7).padStart(3, '0')}>`).join('');
      const model = scriptedPaliGemma(`<loc0256><loc0256><loc0768><loc0768>${seg} water`, {
        base: { ...TINY_PALIGEMMA1, imageSize: 224 },
      });
      mkdirSync(join(tmp, 'vae'), { recursive: true });
      symlinkSync(fillVaePath(), join(tmp, 'vae', 'vae-oid.npz'));
      const result = await unittest(['tests.test_integration'], {
        WATERLINE_QGIS_MODEL: model,
        WATERLINE_MODELS_DIR: tmp,
        WATERLINE_QGIS_SCENE: scenePath(SCENE),
      });
      expectPassed(result, 1);
      expect(result.output).not.toMatch(/skipped/);
    }, 300_000);
  });
});
