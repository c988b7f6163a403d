/**
 * What each band of a scene measures ("band roles"): blue, green, red, nir, swir1, ... — inferred from what the
 * file says about its bands, overridable by the user, and used to pick the RGB picture and the spectral water
 * index. Pure: works on the band descriptions and colour interpretations of a SceneInfo.
 *
 * Sources, strongest first (per band):
 * 1. the user's `--band-roles green=3,nir=8` (source `user`);
 * 2. the band description (GDAL_METADATA `DESCRIPTION` / `.aux.xml`): Sentinel-2 `B01`..`B12`/`B1`..`B12`/`B8A`,
 *    Landsat `B1`..`B11` and `SR_B1`..`SR_B7` (which Landsat is decided from the set of names), STAC common names
 *    (`coastal`, `blue`, `green`, `red`, `rededge`, `nir`, `nir08`, `swir16`, `swir22`, `pan`, ...) and plain words
 *    ("Near Infrared", "SWIR 1", ...) (source `description`);
 * 3. the colour interpretation: Red/Green/Blue/Alpha, and GDAL ≥ 3.10's NIR/SWIR/RedEdge/Coastal/Pan (source
 *    `colorinterp`);
 * 4. nothing described at all: a guess from the band count — 1 → pan, 3 → R,G,B, 4 → R,G,B,NIR (NAIP), 6 →
 *    Landsat TM/ETM+ B1,B2,B3,B4,B5,B7, 7 → Landsat 8/9 B1..B7, 12 → Sentinel-2 L2A, 13 → Sentinel-2 L1C
 *    (source `band-count`, reported as a guess; pass `--band-roles` when it is wrong).
 */

export const BAND_ROLES = [
  'coastal', 'blue', 'green', 'yellow', 'red', 'rededge1', 'rededge2', 'rededge3', 'nir', 'nir08', 'watervapour', 'cirrus',
  'swir1', 'swir2', 'pan', 'thermal', 'alpha',
] as const;
export type BandRole = (typeof BAND_ROLES)[number];

export type RoleSource = 'user' | 'description' | 'colorinterp' | 'band-count';

/** What the role inference needs to know of a band. */
export interface BandFacts {
  band: number;
  description: string;
  colorInterpretation: string;
}

export interface BandRoleAssignment {
  /** 1-based band number per role (only the roles the scene has). */
  roles: Partial<Record<BandRole, number>>;
  /** Per 1-based band: its role or null. */
  byBand: (BandRole | null)[];
  /** Where each assigned role came from. */
  sources: Partial<Record<BandRole, RoleSource>>;
  /** True when some role rests only on the band count (nothing in the file named it). */
  guessed: boolean;
}

export class BandRoleError extends Error {}

const SENTINEL2: Record<string, BandRole> = {
  B1: 'coastal', B2: 'blue', B3: 'green', B4: 'red', B5: 'rededge1', B6: 'rededge2', B7: 'rededge3', B8: 'nir', B8A: 'nir08',
  B9: 'watervapour', B10: 'cirrus', B11: 'swir1', B12: 'swir2',
};
/** Landsat 8/9 OLI/TIRS band numbers. */
const LANDSAT_OLI: Record<string, BandRole> = {
  B1: 'coastal', B2: 'blue', B3: 'green', B4: 'red', B5: 'nir', B6: 'swir1', B7: 'swir2', B8: 'pan', B9: 'cirrus', B10: 'thermal', B11: 'thermal',
};
/** Landsat 4/5 TM and 7 ETM+ band numbers. */
const LANDSAT_TM: Record<string, BandRole> = {
  B1: 'blue', B2: 'green', B3: 'red', B4: 'nir', B5: 'swir1', B6: 'thermal', B7: 'swir2', B8: 'pan',
};

/** Common names (STAC eo:common_name and plain words), lower case, spaces/underscores/dashes removed. */
const COMMON_NAMES: Record<string, BandRole> = {
  coastal: 'coastal', coastalaerosol: 'coastal', aerosol: 'coastal', ultrablue: 'coastal',
  blue: 'blue', green: 'green', yellow: 'yellow', red: 'red',
  rededge: 'rededge1', rededge1: 'rededge1', rededge2: 'rededge2', rededge3: 'rededge3', re1: 'rededge1', re2: 'rededge2', re3: 'rededge3',
  nir: 'nir', nearinfrared: 'nir', nearir: 'nir', infrared: 'nir', nir08: 'nir08', nir09: 'watervapour', narrownir: 'nir08', nirnarrow: 'nir08',
  watervapour: 'watervapour', watervapor: 'watervapour', cirrus: 'cirrus',
  swir: 'swir1', swir1: 'swir1', swir16: 'swir1', shortwaveinfrared1: 'swir1', swir2: 'swir2', swir22: 'swir2', shortwaveinfrared2: 'swir2',
  pan: 'pan', panchromatic: 'pan', gray: 'pan', grey: 'pan',
  thermal: 'thermal', tir: 'thermal', lwir: 'thermal', lwir11: 'thermal', lwir12: 'thermal', alpha: 'alpha',
};

/** GDAL colour interpretations that name a role (GDAL ≥ 3.10 adds the infrared ones). */
const COLOR_INTERP: Record<string, BandRole> = {
  red: 'red', green: 'green', blue: 'blue', alpha: 'alpha', yellow: 'yellow', coastal: 'coastal', rededge: 'rededge1', nir: 'nir',
  swir: 'swir1', pan: 'pan', panchromatic: 'pan', tir: 'thermal', lwir: 'thermal',
};

const COUNT_GUESS: Record<number, BandRole[]> = {
  1: ['pan'],
  3: ['red', 'green', 'blue'],
  4: ['red', 'green', 'blue', 'nir'],
  6: ['blue', 'green', 'red', 'nir', 'swir1', 'swir2'],
  7: ['coastal', 'blue', 'green', 'red', 'nir', 'swir1', 'swir2'],
  12: ['coastal', 'blue', 'green', 'red', 'rededge1', 'rededge2', 'rededge3', 'nir', 'nir08', 'watervapour', 'swir1', 'swir2'],
  13: ['coastal', 'blue', 'green', 'red', 'rededge1', 'rededge2', 'rededge3', 'nir', 'nir08', 'watervapour', 'cirrus', 'swir1', 'swir2'],
};

function squash(text: string): string {
  return text.toLowerCase().replace(/[\s_\-.()]/g, '');
}

/** `B01`, `b8a`, `SR_B5`, `Band 4`... → `{ prefix, name: 'B1' | 'B8A' }`; null when it is not a band-number name. */
function bandNumberName(description: string): { sr: boolean; name: string } | null {
  const m = /^(sr_|toa_)?b(?:and)?\s*0*(\d{1,2})(a?)$/i.exec(description.trim());
  if (!m) return null;
  return { sr: Boolean(m[1]), name: `B${Number(m[2])}${m[3].toUpperCase()}` };
}

type Family = 'sentinel2' | 'oli' | 'tm';

/**
 * Which band numbering the described names follow, from the whole set of names: Sentinel-2 (`B01`, `B8A`, `B12`,
 * `B11` without `B10`, or a 10 m stack with `B8` and no Landsat `B6`/`B7`), Landsat TM/ETM+ (`B7` without the
 * thermal `B6`), else Landsat 8/9 OLI.
 */
function numberingFamily(rawNames: string[], names: string[]): Family {
  const has = (n: string) => names.includes(n);
  if (rawNames.some((n) => /^(sr_|toa_)?b0\d/i.test(n.trim())) || has('B8A') || has('B12')) return 'sentinel2';
  if (has('B11') && !has('B10')) return 'sentinel2';
  if (has('B8') && !has('B6') && !has('B7') && !has('B9') && !has('B10')) return 'sentinel2';
  if (has('B7') && !has('B6')) return 'tm';
  return 'oli';
}

function roleFromDescription(description: string, family: Family | null): BandRole | null {
  const numbered = bandNumberName(description);
  if (numbered && family) {
    const table = family === 'sentinel2' ? SENTINEL2 : family === 'oli' ? LANDSAT_OLI : LANDSAT_TM;
    return table[numbered.name] ?? null;
  }
  const key = squash(description);
  if (key in COMMON_NAMES) return COMMON_NAMES[key];
  // "B4 (red)", "Band 8 - NIR", "sentinel:B11 swir": look for a common name as a word.
  const words = description.toLowerCase().split(/[^a-z0-9]+/).filter(Boolean);
  for (const w of words) if (w in COMMON_NAMES && w !== 'infrared') return COMMON_NAMES[w];
  const joined = words.join('');
  for (const phrase of ['nearinfrared', 'shortwaveinfrared1', 'shortwaveinfrared2', 'coastalaerosol', 'rededge']) {
    if (joined.includes(phrase)) return COMMON_NAMES[phrase];
  }
  return null;
}

/** Infer the roles of a scene's bands (see the module comment for the order of sources). */
export function inferBandRoles(bands: BandFacts[]): BandRoleAssignment {
  const count = bands.length;
  const byBand: (BandRole | null)[] = bands.map(() => null);
  const source: (RoleSource | null)[] = bands.map(() => null);
  const numbered = bands.map((b) => bandNumberName(b.description));
  const names = numbered.filter((n): n is { sr: boolean; name: string } => n !== null).map((n) => n.name);
  const family = names.length ? numberingFamily(bands.map((b) => b.description), names) : null;
  bands.forEach((b, i) => {
    if (b.description) {
      const role = roleFromDescription(b.description, family);
      if (role) {
        byBand[i] = role;
        source[i] = 'description';
        return;
      }
    }
    const ci = COLOR_INTERP[b.colorInterpretation.toLowerCase()];
    if (ci) {
      byBand[i] = ci;
      source[i] = 'colorinterp';
    }
  });
  const described = bands.some((b, i) => b.description && source[i] === 'description');
  const guess = COUNT_GUESS[bands.filter((b) => b.colorInterpretation.toLowerCase() !== 'alpha').length];
  // Only guess from the count when the file names nothing beyond plain RGB/grey colour interpretation.
  if (!described && guess) {
    guess.forEach((role, i) => {
      if (i < count && byBand[i] === null && !byBand.includes(role)) {
        byBand[i] = role;
        source[i] = 'band-count';
      }
    });
  }
  return assignment(byBand, source);
}

function assignment(byBand: (BandRole | null)[], source: (RoleSource | null)[]): BandRoleAssignment {
  const roles: Partial<Record<BandRole, number>> = {};
  const sources: Partial<Record<BandRole, RoleSource>> = {};
  byBand.forEach((role, i) => {
    if (role && role !== 'alpha' && roles[role] === undefined) {
      roles[role] = i + 1;
      sources[role] = source[i] ?? undefined;
    }
  });
  return { roles, byBand, sources, guessed: Object.values(sources).includes('band-count') };
}

/** Parse `green=3,nir=8,swir1=11` into role → band; throws BandRoleError with one clear line. */
export function parseBandRoles(text: string, bandCount: number): Partial<Record<BandRole, number>> {
  const out: Partial<Record<BandRole, number>> = {};
  const seen = new Map<number, BandRole>();
  const parts = text.split(',').map((s) => s.trim()).filter(Boolean);
  if (!parts.length) throw new BandRoleError(`band roles "${text}" are empty (expected e.g. green=3,nir=8,swir1=11)`);
  for (const part of parts) {
    const m = /^([a-z0-9]+)\s*=\s*(\d+)$/i.exec(part);
    if (!m) throw new BandRoleError(`band role "${part}" is not role=band (e.g. nir=4)`);
    const role = m[1].toLowerCase() === 'swir' ? 'swir1' : m[1].toLowerCase();
    if (!(BAND_ROLES as readonly string[]).includes(role)) {
      throw new BandRoleError(`unknown band role "${m[1]}" (known: ${BAND_ROLES.join(', ')})`);
    }
    const band = Number(m[2]);
    if (!(band >= 1 && band <= bandCount)) {
      throw new BandRoleError(`band role ${role}=${band}: the scene has ${bandCount} band${bandCount === 1 ? '' : 's'} (1..${bandCount})`);
    }
    if (out[role as BandRole] !== undefined) throw new BandRoleError(`band role ${role} is given twice`);
    const other = seen.get(band);
    if (other) throw new BandRoleError(`band ${band} is given two roles (${other} and ${role}); each band measures one thing`);
    seen.set(band, role as BandRole);
    out[role as BandRole] = band;
  }
  return out;
}

/**
 * The inferred assignment with the user's roles on top: a user role replaces whatever that band or that role
 * had before.
 */
export function applyBandRoles(inferred: BandRoleAssignment, user: Partial<Record<BandRole, number>>): BandRoleAssignment {
  const byBand = [...inferred.byBand];
  const source: (RoleSource | null)[] = byBand.map((role) => (role ? inferred.sources[role] ?? null : null));
  for (const [role, band] of Object.entries(user) as [BandRole, number][]) {
    byBand.forEach((r, i) => {
      if (r === role) {
        byBand[i] = null;
        source[i] = null;
      }
    });
    byBand[band - 1] = role;
    source[band - 1] = 'user';
  }
  return assignment(byBand, source);
}

/** The RGB bands for the learned models and imagery tiles from roles: red,green,blue; else pan/one band; else null. */
export function rgbBandsFromRoles(a: BandRoleAssignment): number[] | null {
  const { red, green, blue, pan } = a.roles;
  if (red && green && blue) return [red, green, blue];
  if (pan && a.byBand.filter((r) => r !== 'alpha').length <= 2) return [pan];
  return null;
}

/** `green=3,nir=4` — the roles as the flag would give them (for provenance and messages). */
export function formatBandRoles(roles: Partial<Record<BandRole, number>>): string {
  return BAND_ROLES.filter((r) => roles[r] !== undefined).map((r) => `${r}=${roles[r]}`).join(',');
}
