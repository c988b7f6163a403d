/** Parse a numeric CLI flag, with an error that names the flag and the accepted range (the one number parser of every command). */
import { InputError } from '../core/errors.ts';

export function numberOption(name: string, text: string, range: { integer?: boolean; min?: number; max?: number; example?: number } = {}): number {
  const n = Number(text);
  const ok = text.trim() !== '' && Number.isFinite(n) && (!range.integer || Number.isInteger(n)) && (range.min === undefined || n >= range.min) && (range.max === undefined || n <= range.max);
  if (!ok) {
    const what = range.integer ? 'a whole number' : 'a number';
    const bounds = range.min !== undefined && range.max !== undefined ? ` between ${range.min} and ${range.max}` : range.min !== undefined ? ` ≥ ${range.min}` : '';
    // The message already states the range; an example is added only when it cannot mislead (given, or no range).
    const example = range.example ?? (bounds ? undefined : 1);
    throw new InputError('bad_option', `--${name} "${text}" is not ${what}${bounds}`, example === undefined ? {} : { hint: `e.g. --${name} ${example}` });
  }
  return n;
}
