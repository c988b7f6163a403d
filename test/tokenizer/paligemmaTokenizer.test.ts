import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fromJson } from '../../src/adapters/tokenizer/paligemmaTokenizer.ts';
import { paligemmaTokenizerJson } from '../helpers/tinyModels.ts';
import { LOC_BASE_ID, SEG_BASE_ID } from '../../src/core/tokens/paligemmaTokens.ts';
import { parseSegmentationText } from '../../src/core/tokens/segmentationParser.ts';

const { tokenizer: json, config } = paligemmaTokenizerJson();
const tokenizer = fromJson(json, config);

describe('PaliGemma tokenizer (@huggingface/tokenizers on Gemma tokenizer.json + PaliGemma tokens)', () => {
  it('encodes the known PaliGemma prompt', () => {
    expect(tokenizer.promptIds('segment water', 2)).toEqual([257152, 257152, 2, 32318, 2003, 108]);
  });

  it('encodes loc/seg tokens written in text as single ids', () => {
    expect(tokenizer.encode('<loc0123><seg045>')).toEqual([LOC_BASE_ID + 123, SEG_BASE_ID + 45]);
  });

  it('decodes generated ids to the text the parser reads back', () => {
    const text = '<loc0010><loc0020><loc0300><loc0400>' + Array.from({ length: 16 }, (_, i) => `<seg${String(i * 7).padStart(3, '0')}>`).join('') + ' water';
    const ids = tokenizer.encode(text);
    expect(tokenizer.decode([...ids, 1])).toBe(text);
    const parsed = parseSegmentationText(tokenizer.decode(ids), { size: 224 });
    expect(parsed.defects).toEqual([]);
    expect(parsed.instances[0].codes).toEqual(Array.from({ length: 16 }, (_, i) => i * 7));
  });

  it('round-trips random loc/seg sequences', () => {
    fc.assert(fc.property(fc.array(fc.oneof(fc.integer({ min: 0, max: 1023 }).map((b) => LOC_BASE_ID + b), fc.integer({ min: 0, max: 127 }).map((c) => SEG_BASE_ID + c)), { maxLength: 40 }), (ids) => {
      expect(tokenizer.encode(tokenizer.decode(ids))).toEqual(ids);
    }), { numRuns: 50 });
  });

  it('separator is " ; " as the model writes it', () => {
    expect(tokenizer.decode(tokenizer.separatorIds())).toBe(' ; ');
  });

  it('rejects a tokenizer without the PaliGemma tokens', () => {
    const plain = JSON.parse(JSON.stringify(json));
    plain.added_tokens = plain.added_tokens.slice(0, 4);
    expect(() => fromJson(plain, config, 'plain/tokenizer.json')).toThrow(/plain\/tokenizer.json maps <image> to nothing, expected 257152/);
  });
});
