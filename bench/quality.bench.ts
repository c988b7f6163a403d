/**
 * `npm run bench quality`: water quality on every shared scene that has truth (OpenStreetMap water, coarse),
 * side by side: `auto` (the default: learned model fused with the water index where the bands allow), the
 * learned model alone (`--fusion none`), the same two with the previous default U-Net (`PREVIOUS`: unet9, the default
 * of round 2 sessions 7–11), and each water index the scene's bands allow alone
 * (`--model waterline-spectral --index X`). The row's reference is the best single index on the scene (or the
 * learned model on RGB scenes); the ratio is auto's IoU over it. The scene table is printed to stderr too.
 *
 * Pucallpa carries no band metadata (SWIR1,NIR,Red,Green): its roles are given, as a user would.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadSegmenter } from '../src/adapters/onnx/loadSegmenter.ts';
import { openScene } from '../src/adapters/raster/openScene.ts';
import { chooseWaterIndex, WATER_INDICES, type WaterIndexName } from '../src/core/spectral/waterIndex.ts';
import { evaluateScene } from '../src/pipeline/evaluate.ts';
import { createSceneModel, sceneBandRoles, type SceneModelSettings } from '../src/pipeline/sceneSegmenter.ts';
import type { BenchResult } from './run.ts';
import { QUALITY_SCENES, sharedDataDir } from './qualityScenes.ts';

/** The previous default U-Net, run beside the default (fused as auto fuses the default, and alone). */
const PREVIOUS = 'waterline-unet9';
const PREVIOUS_LABEL = PREVIOUS.replace(/^waterline-(unet-)?/, '');

export interface QualityRow {
  scene: string;
  method: string;
  iou: number;
  f1: number;
  truthWater: number;
  predictedWater: number;
}

/** IoU etc. of one scene under one model request. */
export async function scoreScene(scene: string, truth: string[], settings: SceneModelSettings): Promise<{ iou: number; f1: number; truthWater: number; predictedWater: number }> {
  const model = createSceneModel({ batch: 8, ...settings }, (name) => loadSegmenter({ model: name, device: 'cpu', modelsDir: '/nonexistent-models-dir' }));
  try {
    const r = await evaluateScene(scene, truth, { model });
    return { iou: r.iou, f1: r.f1, truthWater: r.truthWaterFraction, predictedWater: r.predictedWaterFraction };
  } finally {
    await model.dispose();
  }
}

export async function qualityTable(filter?: (name: string) => boolean): Promise<QualityRow[]> {
  const data = sharedDataDir();
  const rows: QualityRow[] = [];
  for (const q of QUALITY_SCENES) {
    if (filter && !filter(q.name)) continue;
    const scene = join(data, 'scenes', q.scene);
    const truth = q.truth.map((t) => join(data, 'osm-water', t));
    if (!existsSync(scene) || !truth.every(existsSync)) continue;
    const opened = await openScene(scene);
    const roles = sceneBandRoles(opened, q.bandRoles);
    await opened.close();
    const indices = (Object.keys(WATER_INDICES) as WaterIndexName[]).filter((i) => chooseWaterIndex(roles.roles, i));
    const runs: [string, SceneModelSettings][] = [
      ['auto', { bandRoles: q.bandRoles }],
      ['learned', { bandRoles: q.bandRoles, model: 'waterline-unet', fusion: false }],
      [`auto, ${PREVIOUS_LABEL}`, { bandRoles: q.bandRoles, model: PREVIOUS }],
      [`learned, ${PREVIOUS_LABEL}`, { bandRoles: q.bandRoles, model: PREVIOUS, fusion: false }],
      ...indices.map((i): [string, SceneModelSettings] => [i, { bandRoles: q.bandRoles, model: 'waterline-spectral', index: i }]),
    ];
    for (const [method, settings] of runs) {
      const r = await scoreScene(scene, truth, settings);
      rows.push({ scene: q.name, method, ...r });
    }
  }
  return rows;
}

export function formatQualityTable(rows: QualityRow[]): string {
  const methods = [...new Set(rows.map((r) => r.method))];
  const scenes = [...new Set(rows.map((r) => r.scene))];
  const out = [`| scene | ${methods.join(' | ')} |`, `|---|${methods.map(() => '---').join('|')}|`];
  for (const s of scenes) {
    out.push(`| ${s} | ${methods.map((m) => rows.find((r) => r.scene === s && r.method === m)?.iou.toFixed(3) ?? '–').join(' | ')} |`);
  }
  return out.join('\n');
}

export default async function bench(): Promise<BenchResult[]> {
  const rows = await qualityTable();
  process.stderr.write(`IoU against OSM water:\n${formatQualityTable(rows)}\n`);
  const out: BenchResult[] = [];
  for (const s of [...new Set(rows.map((r) => r.scene))]) {
    const auto = rows.find((r) => r.scene === s && r.method === 'auto') as QualityRow;
    const singles = rows.filter((r) => r.scene === s && !/^(auto|learned)\b/.test(r.method));
    const best = singles.length ? singles.reduce((a, b) => (b.iou > a.iou ? b : a)) : rows.find((r) => r.scene === s && r.method === 'learned') as QualityRow;
    out.push({ bench: 'quality', metric: `IoU ${s} (auto)`, ours: auto.iou, reference: best.iou, referenceName: best.method, unit: 'IoU', higherIsBetter: true });
  }
  return out;
}
