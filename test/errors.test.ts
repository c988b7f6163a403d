import { describe, expect, it } from 'vitest';
import { InputError, describeError, WaterlineError } from '../src/core/errors.ts';

describe('errors', () => {
  it('carry a code, an HTTP status and a hint shown to users', () => {
    const e = new InputError('not_tiff', 'scene.txt is not a TIFF file', { hint: 'pass a GeoTIFF' });
    expect(e).toBeInstanceOf(WaterlineError);
    expect(e.status).toBe(400);
    expect(e.code).toBe('not_tiff');
    expect(describeError(e)).toBe('scene.txt is not a TIFF file (pass a GeoTIFF)');
  });
});
