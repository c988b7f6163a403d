/**
 * Which models an HTTP request (job body `model`, on-demand `?model=`, the QGIS plugin) may name: the
 * built-in names (src/core/model/modelNames.ts) and the PaliGemma exports in the models cache
 * (`owner/repo`, or an unambiguous bare `repo`). Never a path: a request's string is only ever compared
 * with this list, so the answer to an unknown name is the same whatever exists on the server's disk.
 */
import { InputError } from '../core/errors.ts';
import { BUILTIN_MODEL_NAMES, DEFAULT_MODEL_NAME, retiredUnet, retiredUnetMessage } from '../core/model/modelNames.ts';
import { listCachedModels } from '../adapters/hub/modelsCache.ts';

export interface ModelRegistry {
  /** The models cache this registry lists. */
  readonly modelsDir: string;
  /** Every name a request may use: the built-ins, then the cached models (sorted). */
  names(): string[];
  /**
   * The canonical model a request's `model` means: null for the server's default (absent, empty or
   * `auto`), a built-in name, or a cached model's `owner/repo`. Unknown → InputError (400) listing the names.
   */
  resolve(requested: string | null | undefined): string | null;
}

export interface ModelRegistryOptions {
  modelsDir: string;
  /** Names of the cached models (default: the PaliGemma exports in `modelsDir`). */
  listCached?: () => string[];
  /** How long a listing of the models cache is reused (default 5 s). */
  ttlMs?: number;
  now?: () => number;
}

/** Longest model name a request may send (cache names are `owner/repo`, at most 96 + 1 + 96 on the hub). */
export const MAX_MODEL_NAME_LENGTH = 200;

/** `name` or `owner/name` (Hugging Face repo ids). */
const NAME_SHAPE = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)?$/;

export function createModelRegistry(options: ModelRegistryOptions): ModelRegistry {
  const listCached = options.listCached ?? (() => listCachedModels(options.modelsDir).filter((m) => m.kind === 'paligemma').map((m) => m.name));
  const ttl = options.ttlMs ?? 5000;
  const now = options.now ?? Date.now;
  let cached: { at: number; names: string[] } | undefined;

  const cachedNames = (): string[] => {
    if (!cached || now() - cached.at > ttl) {
      let names: string[] = [];
      try {
        names = listCached();
      } catch {
        names = [];
      }
      cached = { at: now(), names: [...names].sort() };
    }
    return cached.names;
  };
  const names = (): string[] => [...BUILTIN_MODEL_NAMES, ...cachedNames()];

  return {
    modelsDir: options.modelsDir,
    names,
    resolve(requested) {
      if (requested === null || requested === undefined || requested === '' || requested === DEFAULT_MODEL_NAME) return null;
      if ((BUILTIN_MODEL_NAMES as readonly string[]).includes(requested)) return requested;
      const retired = retiredUnet(requested);
      if (retired) {
        throw new InputError('model_retired', retiredUnetMessage(requested, retired).message, {
          hint: `use ${retired.successor}, or leave model out for the server default (GET /models lists the names)`,
        });
      }
      if (requested.length <= MAX_MODEL_NAME_LENGTH) {
        const list = cachedNames();
        if (list.includes(requested)) return requested;
        if (!requested.includes('/')) {
          const bare = list.filter((n) => n.split('/').pop() === requested);
          if (bare.length === 1) return bare[0];
        }
      }
      // Echo the value only when it looks like a name (a path is never repeated back).
      const shown = NAME_SHAPE.test(requested) && requested.length <= 60 ? `model "${requested}"` : 'the model sent';
      throw new InputError('unknown_model', `${shown} is not a registered model name; the names are: ${names().join(', ')}`, {
        hint: 'use one of these names (GET /models lists them), or leave model out for the server default',
      });
    },
  };
}
