/**
 * Grammar-constrained decoding for PaliGemma segmentation output. A small state machine over token ids
 * that says which ids may come next, so greedy decoding can only produce
 *
 *   output   := eos | instance (separator instance)* eos
 *   instance := loc loc loc loc seg{16} label+
 *   label    := text tokens (no special, loc, seg or image token)
 *
 * — a model can never emit 17 seg tokens or a box with 3 corners. Allowed sets are returned as id ranges
 * so the caller takes the arg-max over those ranges without building a vocabulary-sized mask.
 */
import { EOS_ID, LOC_BASE_ID, LOC_COUNT, LOCS_PER_BOX, SEG_BASE_ID, SEG_CODES_PER_MASK, SEG_COUNT } from './paligemmaTokens.ts';

/** Half-open id range [start, end). */
export type IdRange = readonly [number, number];

export interface SegGrammarOptions {
  /** Token ids of the instance separator (` ;` in the Gemma tokenizer), forced once started. */
  separatorIds: number[];
  /** Most instances per output; after the last one only eos may follow the label. */
  maxInstances: number;
  /** Most label tokens per instance; then the label must end. */
  maxLabelTokens: number;
  /** First id of plain text tokens (after `<pad> <eos> <bos> <unk>`). */
  textStart?: number;
  /** End (exclusive) of plain text tokens: the Gemma vocabulary size. */
  textEnd?: number;
}

export type SegGrammarPhase = 'loc' | 'seg' | 'label' | 'separator' | 'done';

export interface SegGrammarState {
  phase: SegGrammarPhase;
  /** Tokens emitted in the current phase. */
  count: number;
  /** Completed or started instances. */
  instances: number;
}

export function initialSegGrammarState(): SegGrammarState {
  return { phase: 'loc', count: 0, instances: 0 };
}

const LOC_RANGE: IdRange = [LOC_BASE_ID, LOC_BASE_ID + LOC_COUNT];
const SEG_RANGE: IdRange = [SEG_BASE_ID, SEG_BASE_ID + SEG_COUNT];
const EOS_RANGE: IdRange = [EOS_ID, EOS_ID + 1];

export class SegGrammar {
  private readonly textStart: number;
  private readonly textEnd: number;

  constructor(readonly options: SegGrammarOptions) {
    if (!options.separatorIds.length) throw new Error('segGrammar: separatorIds must not be empty');
    this.textStart = options.textStart ?? 4;
    this.textEnd = options.textEnd ?? LOC_BASE_ID;
  }

  /** Ids allowed next, as ranges. Empty once the output is complete. */
  allowed(state: SegGrammarState): IdRange[] {
    switch (state.phase) {
      case 'loc':
        // An empty answer (eos straight away) is a valid "no water".
        return state.count === 0 && state.instances === 0 ? [EOS_RANGE, LOC_RANGE] : [LOC_RANGE];
      case 'seg':
        return [SEG_RANGE];
      case 'label': {
        if (state.count === 0) return this.textRanges();
        const ranges: IdRange[] = [EOS_RANGE];
        if (state.count < this.options.maxLabelTokens) ranges.push(...this.textRanges());
        else if (state.instances < this.options.maxInstances) ranges.push(this.single(this.options.separatorIds[0]));
        return ranges;
      }
      case 'separator':
        return [this.single(this.options.separatorIds[state.count])];
      case 'done':
        return [];
    }
  }

  /** The state after emitting `id`. An id outside `allowed` ends the output (phase `done`). */
  advance(state: SegGrammarState, id: number): SegGrammarState {
    if (id === EOS_ID || !this.isAllowed(state, id)) return { ...state, phase: 'done', count: 0 };
    switch (state.phase) {
      case 'loc': {
        const instances = state.count === 0 ? state.instances + 1 : state.instances;
        return state.count + 1 === LOCS_PER_BOX ? { phase: 'seg', count: 0, instances } : { phase: 'loc', count: state.count + 1, instances };
      }
      case 'seg':
        return state.count + 1 === SEG_CODES_PER_MASK ? { ...state, phase: 'label', count: 0 } : { ...state, count: state.count + 1 };
      case 'label':
        if (state.count > 0 && id === this.options.separatorIds[0] && state.instances < this.options.maxInstances) {
          return this.options.separatorIds.length === 1 ? { ...state, phase: 'loc', count: 0 } : { ...state, phase: 'separator', count: 1 };
        }
        return { ...state, count: state.count + 1 };
      case 'separator':
        return state.count + 1 === this.options.separatorIds.length ? { ...state, phase: 'loc', count: 0 } : { ...state, count: state.count + 1 };
      case 'done':
        return state;
    }
  }

  isAllowed(state: SegGrammarState, id: number): boolean {
    return this.allowed(state).some(([a, b]) => id >= a && id < b);
  }

  /** Text tokens for labels: the plain vocabulary, minus the separator start once instances are used up. */
  private textRanges(): IdRange[] {
    return [[this.textStart, this.textEnd]];
  }

  private single(id: number): IdRange {
    return [id, id + 1];
  }
}

/** Index of the largest `values[i]` over `ranges` (first on ties); -1 when the ranges are empty. */
export function argmaxInRanges(values: ArrayLike<number>, ranges: readonly IdRange[], offset = 0): number {
  let best = -1;
  let bestValue = -Infinity;
  for (const [a, b] of ranges) {
    for (let i = a; i < b; i++) {
      const v = values[offset + i];
      if (v > bestValue || best < 0) {
        bestValue = v;
        best = i;
      }
    }
  }
  return best;
}
