/** Parse `--connectivity 4|8` (pixel connectivity of a water body), shared by `segment` and `vectorize`. */
import { InputError } from '../core/errors.ts';
import type { Connectivity } from '../core/vector/traceMask.ts';
import { numberOption } from './numberOption.ts';

export function connectivityOption(text: string): Connectivity {
  const connectivity = numberOption('connectivity', text, { integer: true, min: 4, max: 8 });
  if (connectivity !== 4 && connectivity !== 8) throw new InputError('bad_option', `--connectivity ${connectivity} must be 4 or 8`, { hint: 'use --connectivity 4 or --connectivity 8' });
  return connectivity;
}
