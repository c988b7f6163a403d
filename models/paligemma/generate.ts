/**
 * Write the tiny PaliGemma test models to disk (random weights, real export names/shapes):
 *   npx tsx models/paligemma/generate.ts <outDir> [--scripted "<loc0010>...<seg000>... water"]
 * The same builders run at test time (test/helpers/tinyModels.ts). Test tools, never user output.
 */
import { join } from 'node:path';
import { TINY_PALIGEMMA1, TINY_PALIGEMMA2, scriptedPaliGemma, tinyPaliGemma } from '../../test/helpers/tinyModels.ts';

const out = process.argv[2];
if (!out) {
  process.stderr.write('usage: npx tsx models/paligemma/generate.ts <outDir> [--scripted "<tokens>"]\n');
  process.exit(2);
}
const scripted = process.argv.indexOf('--scripted');
if (scripted > 0) {
  process.stdout.write(`${scriptedPaliGemma(process.argv[scripted + 1] ?? '')}\n`);
} else {
  process.stdout.write(`${tinyPaliGemma(TINY_PALIGEMMA1, join(out, 'tiny-paligemma1'))}\n`);
  process.stdout.write(`${tinyPaliGemma(TINY_PALIGEMMA2, join(out, 'tiny-paligemma2'))}\n`);
}
