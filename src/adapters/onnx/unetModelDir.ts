/**
 * A U-Net model directory, as models/unet2/train.py and ensemble.py write it: `manifest.json` beside the `.onnx` graph
 * (input size, scale, per-channel mean/std, output kind), or — for an ensemble — a manifest naming its member
 * directories and no graph of its own (`"kind": "ensemble"`; the members' water probabilities are averaged at run
 * time, so two built-ins that share a member ship its weights once).
 *
 * Files only: reading and validating; unetSegmenter.ts runs what this describes.
 */
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { ModelError } from '../../core/errors.ts';
import { UNET_MODEL_NAME } from '../../core/model/modelNames.ts';
import { defaultUnetDir } from './builtinUnets.ts';

/**
 * The tile overlap (px) the model's figures were judged at and that it runs at unless the user gives one (`--overlap`,
 * a job's `options.overlap`): a model that decides more per tile asks for a wider overlap, so that the linear blend
 * gives each pixel more of the tile whose centre is nearer. Absent: the pipeline's default (DEFAULT_OVERLAP, 32).
 */
const tilingSchema = z.object({ overlap: z.number().int().min(0).max(200) }).optional();

const manifestSchema = z.object({
  /**
   * The weights' identity (e.g. waterline-unet-v1), reported as provenance `weights`; never a built-in alias. A
   * built-in name is only believed in that built-in's own directory (unetWeightsName).
   */
  name: z.string().default('unet'),
  file: z.string().default('unet.onnx'),
  input: z.object({
    name: z.string(),
    size: z.number().int().positive(),
    sizeMultiple: z.number().int().positive().default(1),
    scale: z.number().positive(),
    mean: z.array(z.number()).length(3),
    std: z.array(z.number().positive()).length(3),
  }),
  output: z.object({
    name: z.string(),
    kind: z.enum(['probability', 'logits']),
  }),
  tiling: tilingSchema,
});

export type UnetManifest = z.infer<typeof manifestSchema>;

const ensembleSchema = z.object({
  name: z.string().default('unet-ensemble'),
  kind: z.literal('ensemble'),
  /** How the members' outputs become one: the mean of their water probabilities (the only rule so far). */
  combine: z.literal('mean-probability').default('mean-probability'),
  /** Member model directories, relative to the ensemble's own directory; each a single U-Net. */
  members: z.array(z.string().min(1).refine((m) => !isAbsolute(m), 'a member is a path relative to the ensemble\'s directory'))
    .min(2).max(8),
  /** The ensemble's own overlap; its members' `tiling` is not read (they were judged alone). */
  tiling: tilingSchema,
});

/** One graph and how to feed it. */
export interface UnetGraph {
  manifest: UnetManifest;
  onnxPath: string;
}

/** What a U-Net model path describes: one graph, or an ensemble of several (averaged). */
export interface UnetModel {
  /** The manifest's name (provenance `weights`, via unetWeightsName). */
  name: string;
  manifestPath: string;
  /** One member for a single model. */
  members: UnetGraph[];
  ensemble: boolean;
  /** The overlap the manifest asks for (`tiling.overlap`), if any. */
  tileOverlap?: number;
}

/** The parsed manifest.json of a model path (a directory, or a file beside its manifest). */
function readManifestJson(modelPath: string): { raw: unknown; manifestPath: string; dir: string; isDir: boolean } {
  if (!existsSync(modelPath)) {
    throw new ModelError('model_file_missing', `U-Net model not found: ${modelPath}`, {
      hint: `pass the directory holding manifest.json and the .onnx file, or --model ${UNET_MODEL_NAME} for the built-in model`,
    });
  }
  const isDir = statSync(modelPath).isDirectory();
  const dir = isDir ? modelPath : dirname(modelPath);
  const manifestPath = join(dir, 'manifest.json');
  if (!existsSync(manifestPath)) {
    throw new ModelError('model_manifest_missing', `no manifest.json beside the U-Net model ${modelPath}`, {
      hint: 'a U-Net model directory holds manifest.json (input size, mean/std, output kind) next to the .onnx file; see models/unet/',
    });
  }
  try {
    return { raw: JSON.parse(readFileSync(manifestPath, 'utf8')), manifestPath, dir, isDir };
  } catch (err) {
    throw new ModelError('model_manifest_invalid', `${manifestPath} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
}

function invalid(manifestPath: string, error: z.ZodError, like: string): ModelError {
  const issue = error.issues[0];
  return new ModelError('model_manifest_invalid', `${manifestPath}: ${issue.path.join('.') || '(root)'}: ${issue.message}`, {
    hint: `compare with ${like}`,
  });
}

const isEnsemble = (raw: unknown): boolean => typeof raw === 'object' && raw !== null && (raw as { kind?: unknown }).kind === 'ensemble';

/** A single graph's manifest, already parsed from `manifestPath` (readManifestJson); an ensemble's is refused. */
function graphOf(modelPath: string, { raw, manifestPath, dir, isDir }: ReturnType<typeof readManifestJson>): UnetGraph & { manifestPath: string } {
  if (isEnsemble(raw)) {
    throw new ModelError('model_manifest_invalid', `${manifestPath} describes an ensemble, not one graph`, {
      hint: 'an ensemble\'s members are single U-Net directories (manifest.json beside the .onnx file), not ensembles',
    });
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) throw invalid(manifestPath, parsed.error, 'models/unet/manifest.json');
  const onnxPath = isDir ? join(dir, parsed.data.file) : modelPath;
  return { manifest: parsed.data, onnxPath, manifestPath };
}

/** Read and validate the manifest of a single U-Net graph (file or directory path); an ensemble's is refused. */
export function readUnetManifest(modelPath: string): UnetGraph & { manifestPath: string } {
  return graphOf(modelPath, readManifestJson(modelPath));
}

/** Read a U-Net model path: one graph, or an ensemble and each of its members (default: the built-in default). */
export function readUnetModel(modelPath: string = defaultUnetDir): UnetModel {
  const read = readManifestJson(modelPath);
  const { raw, manifestPath, dir } = read;
  if (!isEnsemble(raw)) {
    const { manifest, onnxPath } = graphOf(modelPath, read);
    return { name: manifest.name, manifestPath, members: [{ manifest, onnxPath }], ensemble: false, tileOverlap: manifest.tiling?.overlap };
  }
  const parsed = ensembleSchema.safeParse(raw);
  if (!parsed.success) throw invalid(manifestPath, parsed.error, 'models/unet9/manifest.json');
  // relative to where the manifest really is (a link to models/unet9 still finds ../unet beside the real one)
  const home = realpathSync(dir);
  const members = parsed.data.members.map((member) => {
    const path = resolve(home, member);
    if (!existsSync(path)) {
      throw new ModelError('model_file_missing', `member ${member} of the ensemble ${manifestPath} not found`, {
        hint: 'an ensemble\'s members are paths relative to its directory; keep the members beside it (as models/unet9 keeps ../unet and ../unet8)',
      });
    }
    return readUnetManifest(path);
  });
  const sizes = new Set(members.map((m) => m.manifest.input.size));
  if (sizes.size > 1) {
    throw new ModelError('model_manifest_invalid', `the members of ${manifestPath} take different tile sizes (${[...sizes].join(', ')} px)`, {
      hint: 'an ensemble averages its members tile by tile: they must take the same tile size',
    });
  }
  return {
    name: parsed.data.name, manifestPath, members: members.map(({ manifest, onnxPath }) => ({ manifest, onnxPath })), ensemble: true,
    tileOverlap: parsed.data.tiling?.overlap,
  };
}
