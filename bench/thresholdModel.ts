/** Bench tool, not a model: water where the stretched grey value is below 90 (the pipeline's own cost, no inference). */
import type { ModelTile, Segmenter } from '../src/core/model/segmenter.ts';

export const thresholdModel: Segmenter = {
  info: { name: 'bench-threshold', kind: 'bench', inputSize: 224, provider: 'cpu', usesPrompt: false },
  async segment(tiles: ModelTile[]) {
    return tiles.map((t) => {
      const p = new Float32Array(t.size * t.size);
      for (let i = 0; i < p.length; i++) p[i] = t.rgb[i * 3] < 90 ? 1 : 0;
      return { tileId: t.id, probability: p, defects: [] };
    });
  },
  async dispose() {},
};
