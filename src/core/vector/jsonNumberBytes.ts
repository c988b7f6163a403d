/**
 * A number written as JSON.stringify writes it (Number#toString for finite doubles, `null` otherwise), as ASCII
 * digits straight into a byte buffer, without a string per number. The fast path covers the values the feature
 * maker produces — coordinates rounded to ≤ 9 decimals, measures rounded to 2 or 4 — and every other value falls
 * back to String(v):
 *
 * Let m = Math.round(|v| · 10⁹). If m / 10⁹ === |v| (IEEE division is correctly rounded), |v| is the double
 * nearest the decimal D = m / 10⁹. When m < 10¹⁵, D has at most 15 significant digits, and distinct decimals
 * of ≤ 15 significant digits are distinct doubles (DBL_DIG), so no shorter decimal rounds to |v| either: the
 * shortest round-trip digits Number#toString prints are D's, trailing zeros trimmed. Number#toString prints
 * them in fixed notation for 1e-6 ≤ |v| < 1e21 (m ≥ 1000 here); below that it uses an exponent (`1e-7`), so
 * 0 < m < 1000 falls back. -0 prints as `0`, as JSON.stringify does.
 */
const DECIMALS = 9;
const SCALE = 1e9;
const MAX_SCALED = 1e15;
const MIN_FIXED_SCALED = 1000; // 1e-6 · SCALE
const ZERO = 48;
const digits = new Uint8Array(24);

/** JSON text of `v` into `bytes` from `at`; returns the new end. Needs at most 24 bytes of room. */
export function writeJsonNumber(v: number, bytes: Uint8Array, at: number): number {
  const a = Math.abs(v);
  const m = Math.round(a * SCALE);
  if (!(m < MAX_SCALED) || m / SCALE !== a || (m > 0 && m < MIN_FIXED_SCALED)) {
    const text = Number.isFinite(v) ? String(v) : 'null';
    for (let i = 0; i < text.length; i++) bytes[at++] = text.charCodeAt(i);
    return at;
  }
  if (m === 0) {
    bytes[at++] = ZERO;
    return at;
  }
  if (v < 0) bytes[at++] = 45; // '-'
  let whole = Math.floor(m / SCALE);
  let fraction = m - whole * SCALE; // exact: integers below 2^53
  let n = 0;
  do {
    const q = Math.floor(whole / 10);
    digits[n++] = ZERO + (whole - q * 10);
    whole = q;
  } while (whole > 0);
  while (n > 0) bytes[at++] = digits[--n];
  if (fraction === 0) return at;
  let places = DECIMALS;
  while (fraction % 10 === 0) {
    fraction /= 10;
    places--;
  }
  bytes[at++] = 46; // '.'
  for (let i = places - 1; i >= 0; i--) {
    const q = Math.floor(fraction / 10);
    bytes[at + i] = ZERO + (fraction - q * 10);
    fraction = q;
  }
  return at + places;
}
