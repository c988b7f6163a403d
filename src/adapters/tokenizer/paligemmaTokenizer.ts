/**
 * The model's own `tokenizer.json` run by @huggingface/tokenizers (no hand-rolled BPE). Builds PaliGemma
 * prompts (`<image>` x N, `<bos>`, prompt, `\n`) and decodes generated ids back to text, with loc/seg
 * tokens rendered as `<loc0123>` / `<seg045>`.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { ModelError } from '../../core/errors.ts';
import { BOS_ID, EOS_ID, IMAGE_TOKEN_ID, PAD_ID, isLocId, isSegId, locToken, segToken, LOC_BASE_ID, SEG_BASE_ID } from '../../core/tokens/paligemmaTokens.ts';

export interface PaliGemmaTokenizer {
  /** Ids of `text` without special tokens. */
  encode(text: string): number[];
  /** `<image>` x numImageTokens, `<bos>`, prompt, `\n`. */
  promptIds(prompt: string, numImageTokens: number): number[];
  /** Text of `ids`; loc/seg tokens as `<loc0123>`/`<seg045>`, special tokens (bos, eos, pad) dropped. */
  decode(ids: readonly number[]): string;
  /** Ids of the instance separator ` ; ` (`▁;` `▁` in Gemma) (used by the decoding grammar). */
  separatorIds(): number[];
  /** Number of plain vocabulary entries (before the loc tokens). */
  readonly vocabSize: number;
}

// Parsing a 17 MB tokenizer.json takes seconds: keep loaded tokenizers per file content.
const loaded = new Map<string, PaliGemmaTokenizer>();

/** Load `tokenizer.json` (+ `tokenizer_config.json` when present) from a model directory. */
export function loadPaliGemmaTokenizer(modelDir: string): PaliGemmaTokenizer {
  const file = join(modelDir, 'tokenizer.json');
  if (!existsSync(file)) {
    throw new ModelError('model_file_missing', `tokenizer.json not found in ${modelDir}`, { hint: 'the model directory needs the tokenizer.json of the export; re-run `waterline models pull`' });
  }
  const bytes = readFileSync(file); // read once: hashed for the cache key, parsed on a miss
  const key = createHash('sha256').update(bytes).digest('hex');
  const cached = loaded.get(key);
  if (cached) return cached;
  const tokenizer = readTokenizer(modelDir, file, bytes);
  loaded.set(key, tokenizer);
  return tokenizer;
}

function readTokenizer(modelDir: string, file: string, bytes: Buffer): PaliGemmaTokenizer {
  let json: any;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new ModelError('model_file_invalid', `${file} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  const configFile = join(modelDir, 'tokenizer_config.json');
  const config = existsSync(configFile) ? JSON.parse(readFileSync(configFile, 'utf8')) : { bos_token: '<bos>', eos_token: '<eos>', pad_token: '<pad>', add_bos_token: true };
  return fromJson(json, config, file);
}

export function fromJson(json: unknown, config: unknown, source = 'tokenizer.json'): PaliGemmaTokenizer {
  const tokenizer = new Tokenizer(json as object, config as object);
  const check = (token: string, id: number) => {
    const got = tokenizer.token_to_id(token);
    if (got !== id) {
      throw new ModelError('tokenizer_mismatch', `${source} maps ${token} to ${got ?? 'nothing'}, expected ${id}`, { hint: 'this is not a PaliGemma tokenizer (it needs the <loc>, <seg> and <image> tokens)' });
    }
  };
  check('<image>', IMAGE_TOKEN_ID);
  check(locToken(0), LOC_BASE_ID);
  check(segToken(0), SEG_BASE_ID);
  const encode = (text: string) => tokenizer.encode(text, { add_special_tokens: false }).ids;
  const newline = encode('\n');
  let separator: number[] = [];
  return {
    vocabSize: LOC_BASE_ID,
    encode,
    promptIds(prompt, numImageTokens) {
      return [...new Array<number>(numImageTokens).fill(IMAGE_TOKEN_ID), BOS_ID, ...encode(prompt), ...newline];
    },
    decode(ids) {
      let out = '';
      let run: number[] = [];
      const flush = () => {
        if (run.length) out += tokenizer.decode(run, { skip_special_tokens: false });
        run = [];
      };
      for (const id of ids) {
        if (id === BOS_ID || id === EOS_ID || id === PAD_ID) continue;
        if (isLocId(id)) { flush(); out += locToken(id - LOC_BASE_ID); }
        else if (isSegId(id)) { flush(); out += segToken(id - SEG_BASE_ID); }
        else if (id === IMAGE_TOKEN_ID) { flush(); out += '<image>'; }
        else run.push(id);
      }
      flush();
      return out;
    },
    separatorIds() {
      if (!separator.length) separator = encode(' ; ');
      return separator;
    },
  };
}
