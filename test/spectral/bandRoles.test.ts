import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyBandRoles, BAND_ROLES, BandRoleError, formatBandRoles, inferBandRoles, parseBandRoles, rgbBandsFromRoles, type BandFacts, type BandRole } from '../../src/core/bands/bandRoles.ts';

const described = (...names: string[]): BandFacts[] => names.map((d, i) => ({ band: i + 1, description: d, colorInterpretation: i === 0 ? 'Gray' : 'Undefined' }));
const bare = (n: number): BandFacts[] => Array.from({ length: n }, (_, i) => ({ band: i + 1, description: '', colorInterpretation: i === 0 ? 'Gray' : 'Undefined' }));

describe('band roles from what the file says', () => {
  it('Sentinel-2 L1C, 13 bands B1..B12 with B8A: B4,B3,B2 is the RGB picture, B11 is SWIR1', () => {
    const a = inferBandRoles(described('B1', 'B2', 'B3', 'B4', 'B5', 'B6', 'B7', 'B8', 'B8A', 'B9', 'B10', 'B11', 'B12'));
    expect(a.roles).toMatchObject({ coastal: 1, blue: 2, green: 3, red: 4, nir: 8, nir08: 9, cirrus: 11, swir1: 12, swir2: 13 });
    expect(rgbBandsFromRoles(a)).toEqual([4, 3, 2]);
    expect(a.guessed).toBe(false);
  });
  it('Sentinel-2 zero-padded names and a 20 m stack without visible bands', () => {
    expect(inferBandRoles(described('B02', 'B03', 'B04', 'B08')).roles).toEqual({ blue: 1, green: 2, red: 3, nir: 4 });
    expect(inferBandRoles(described('B05', 'B06', 'B07', 'B8A', 'B11', 'B12')).roles).toEqual({ rededge1: 1, rededge2: 2, rededge3: 3, nir08: 4, swir1: 5, swir2: 6 });
  });
  it('Landsat: TM/ETM+ stacks skip the thermal B6; OLI has B6 = SWIR1; Collection 2 SR_B names', () => {
    expect(inferBandRoles(described('B1', 'B2', 'B3', 'B4', 'B5', 'B7')).roles).toEqual({ blue: 1, green: 2, red: 3, nir: 4, swir1: 5, swir2: 6 });
    expect(inferBandRoles(described('B1', 'B2', 'B3', 'B4', 'B5', 'B6', 'B7')).roles).toEqual({ coastal: 1, blue: 2, green: 3, red: 4, nir: 5, swir1: 6, swir2: 7 });
    expect(inferBandRoles(described('SR_B1', 'SR_B2', 'SR_B3', 'SR_B4', 'SR_B5', 'SR_B7')).roles).toMatchObject({ blue: 1, green: 2, nir: 4, swir1: 5, swir2: 6 });
    expect(inferBandRoles(described('SR_B2', 'SR_B3', 'SR_B4', 'SR_B5', 'SR_B6', 'SR_B7')).roles).toMatchObject({ blue: 1, green: 2, red: 3, nir: 4, swir1: 5, swir2: 6 });
  });
  it('common names and words', () => {
    expect(inferBandRoles(described('red', 'green', 'blue', 'nir')).roles).toEqual({ red: 1, green: 2, blue: 3, nir: 4 });
    expect(inferBandRoles(described('Near Infrared', 'SWIR 1', 'swir22', 'Green')).roles).toEqual({ nir: 1, swir1: 2, swir2: 3, green: 4 });
    expect(inferBandRoles(described('nir08', 'swir16')).roles).toEqual({ nir08: 1, swir1: 2 });
  });
  it('colour interpretation, including GDAL 3.10 infrared names', () => {
    const a = inferBandRoles([
      { band: 1, description: '', colorInterpretation: 'Red' }, { band: 2, description: '', colorInterpretation: 'Green' },
      { band: 3, description: '', colorInterpretation: 'Blue' }, { band: 4, description: '', colorInterpretation: 'NIR' },
    ]);
    expect(a.roles).toEqual({ red: 1, green: 2, blue: 3, nir: 4 });
    expect(a.guessed).toBe(false);
  });
  it('nothing described: a guess from the band count, flagged', () => {
    expect(inferBandRoles(bare(4)).roles).toEqual({ red: 1, green: 2, blue: 3, nir: 4 });
    expect(inferBandRoles(bare(6)).roles).toMatchObject({ green: 2, nir: 4, swir1: 5 });
    expect(inferBandRoles(bare(13)).roles).toMatchObject({ red: 4, green: 3, blue: 2, swir1: 12 });
    expect(inferBandRoles(bare(4)).guessed).toBe(true);
    expect(inferBandRoles(bare(5)).roles).toEqual({});
  });
});

describe('--band-roles', () => {
  it('parses, and overrides what was inferred (Pucallpa: SWIR1,NIR,Red,Green)', () => {
    const user = parseBandRoles('swir1=1, nir=2,red=3,green=4', 4);
    const a = applyBandRoles(inferBandRoles(bare(4)), user);
    expect(a.roles).toEqual({ swir1: 1, nir: 2, red: 3, green: 4 });
    expect(a.sources.green).toBe('user');
    expect(rgbBandsFromRoles(a)).toBeNull();
  });
  it('one clear error naming the band count, a duplicate role or a band with two roles', () => {
    expect(() => parseBandRoles('nir=9', 6)).toThrow(/nir=9: the scene has 6 bands \(1\.\.6\)/);
    expect(() => parseBandRoles('nir=2,swir1=2', 6)).toThrow(/band 2 is given two roles \(nir and swir1\)/);
    expect(() => parseBandRoles('nir=2,nir=3', 6)).toThrow(/nir is given twice/);
    expect(() => parseBandRoles('water=2', 6)).toThrow(/unknown band role "water"/);
    expect(() => parseBandRoles('nir:2', 6)).toThrow(BandRoleError);
  });
  it('property: any assignment of distinct bands to distinct roles round-trips through the flag text', () => {
    const roles = BAND_ROLES.filter((r) => r !== 'alpha');
    fc.assert(fc.property(fc.integer({ min: 1, max: 20 }), fc.uniqueArray(fc.constantFrom(...roles), { minLength: 1, maxLength: 8 }), fc.integer(), (count, picked, seed) => {
      const n = Math.max(count, picked.length);
      const bands = Array.from({ length: n }, (_, i) => i + 1).sort((a, b) => ((a * 7919 + seed) % 101) - ((b * 7919 + seed) % 101)).slice(0, picked.length);
      const assignment = Object.fromEntries(picked.map((r, i) => [r, bands[i]])) as Partial<Record<BandRole, number>>;
      expect(parseBandRoles(formatBandRoles(assignment), n)).toEqual(assignment);
    }));
  });
  it('property: garbage never throws anything but a BandRoleError', () => {
    fc.assert(fc.property(fc.string({ maxLength: 40 }), fc.integer({ min: 1, max: 16 }), (text, n) => {
      try {
        parseBandRoles(text, n);
      } catch (err) {
        expect(err).toBeInstanceOf(BandRoleError);
      }
    }));
  });
});
