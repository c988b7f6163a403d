/**
 * A sanity check for band roles guessed from the band count alone: is the index's "water" plausibly water?
 *
 * Open water is darker than the land around it in the infrared and, over all bands, on (geometric) average. So per
 * band the median of the index's water class is compared with the median of its dry class, and the guess is refused
 * when the water class is brighter on the geometric mean of those ratios AND not clearly darker in the guessed NIR
 * (ratio above `MAX_NIR_RATIO`). Muddy flood water over dark forest can be brighter in the visible bands, but it is
 * far darker in NIR, so it passes; a SWIR1,NIR,Red,Green file read as R,G,B,NIR — where "NDWI" becomes
 * (NIR − Green)/(NIR + Green) and picks the forest, 5–20x brighter than the river in two bands — fails.
 * Only guessed roles are checked; roles the file or the user states are trusted.
 */

export interface RoleGuessCheck {
  ok: boolean;
  /** exp(mean over bands of ln(median water / median dry)): > 1 = the water class is brighter. */
  brightnessRatio: number;
  /** median water / median dry in the guessed NIR band (NaN without one). */
  nirRatio: number;
}

/** Fewest pixels of each class for the check to say anything (else it passes). */
const MIN_CLASS = 50;
export const MAX_NIR_RATIO = 0.3;

function median(values: number[]): number {
  if (!values.length) return Number.NaN;
  values.sort((a, b) => a - b);
  return values[values.length >> 1];
}

/** `bands`: every band of the scene over the sample; `nirIndex`: which of them is the guessed NIR (or -1). */
export function checkGuessedRoles(index: Float32Array, threshold: number, bands: Float32Array[], nirIndex = -1): RoleGuessCheck {
  let water = 0;
  let dry = 0;
  for (let i = 0; i < index.length; i++) {
    if (!Number.isFinite(index[i])) continue;
    if (index[i] >= threshold) water++;
    else dry++;
  }
  if (water < MIN_CLASS || dry < MIN_CLASS) return { ok: true, brightnessRatio: Number.NaN, nirRatio: Number.NaN };
  const ratios = bands.map((band) => {
    const w: number[] = [];
    const d: number[] = [];
    for (let i = 0; i < index.length; i++) {
      const v = index[i];
      const x = band[i];
      if (!Number.isFinite(v) || !Number.isFinite(x)) continue;
      (v >= threshold ? w : d).push(x);
    }
    const mw = median(w);
    const md = median(d);
    return mw > 0 && md > 0 ? mw / md : Number.NaN;
  });
  const logs = ratios.filter((r) => r > 0).map(Math.log);
  const brightnessRatio = logs.length ? Math.exp(logs.reduce((a, b) => a + b, 0) / logs.length) : Number.NaN;
  const nirRatio = nirIndex >= 0 ? ratios[nirIndex] : Number.NaN;
  const brighter = brightnessRatio > 1;
  const nirNotDark = Number.isNaN(nirRatio) || nirRatio > MAX_NIR_RATIO;
  return { ok: !(brighter && nirNotDark), brightnessRatio, nirRatio };
}
