/**
 * A sanity check for band roles guessed from the band count alone: is the index's "water" plausibly water?
 *
 * Open water is darker than the land around it in nearly every band (it absorbs red, NIR and SWIR and reflects
 * little visible light). So the pixels the index calls water must be darker, on average over all the scene's bands
 * (each band divided by its scene median, so no band's units dominate), than the pixels it calls dry. A wrong guess —
 * e.g. a SWIR1,NIR,Red,Green file read as R,G,B,NIR, where "NDWI" becomes (NIR − Green)/(NIR + Green) and picks the
 * forest — fails it: the picked class is the brightest in NIR. Snow (bright) is excluded by the same test, which is
 * why it only runs on guessed roles; roles the file or the user states are trusted.
 */

export interface RoleGuessCheck {
  ok: boolean;
  /** Mean relative brightness of the index's water and dry classes (1 = scene median). */
  waterBrightness: number;
  dryBrightness: number;
}

/** Fewest pixels of each class for the check to say anything (else it passes). */
const MIN_CLASS = 50;

export function checkGuessedRoles(index: Float32Array, threshold: number, bands: Float32Array[]): RoleGuessCheck {
  const medians = bands.map((b) => {
    const v = Array.from(b).filter(Number.isFinite).sort((x, y) => x - y);
    return v.length ? v[v.length >> 1] : Number.NaN;
  });
  const usable = bands.map((_, k) => medians[k] > 0);
  let water = 0;
  let dry = 0;
  let waterSum = 0;
  let drySum = 0;
  for (let i = 0; i < index.length; i++) {
    const v = index[i];
    if (!Number.isFinite(v)) continue;
    let s = 0;
    let n = 0;
    for (let k = 0; k < bands.length; k++) {
      const x = bands[k][i];
      if (usable[k] && Number.isFinite(x)) {
        s += x / medians[k];
        n++;
      }
    }
    if (!n) continue;
    if (v >= threshold) {
      water++;
      waterSum += s / n;
    } else {
      dry++;
      drySum += s / n;
    }
  }
  const waterBrightness = water ? waterSum / water : Number.NaN;
  const dryBrightness = dry ? drySum / dry : Number.NaN;
  const ok = water < MIN_CLASS || dry < MIN_CLASS || waterBrightness < dryBrightness;
  return { ok, waterBrightness, dryBrightness };
}
