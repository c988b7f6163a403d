import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { polygons, typed } from '../helpers/lonLatPolygons.ts';
import type { AsciiSink } from '../../src/core/vector/asciiSink.ts';
import { toWaterFeature, writeCompactFeatureTail, type CompactWaterFeature } from '../../src/core/vector/compactWaterFeature.ts';

// A compact water feature (typed-array rings) serializes to exactly JSON.stringify of its GeoJSON feature.

/** The tail's text through a sink of `size` bytes, and how many times it was flushed. */
function tailText(compact: CompactWaterFeature, size = 1 << 16): { text: string; flushes: number } {
  const chunks: string[] = [];
  const sink: AsciiSink = {
    bytes: new Uint8Array(size),
    at: 0,
    room(n) {
      if (this.at + n > size) {
        chunks.push(Buffer.from(this.bytes.subarray(0, this.at)).toString('latin1'));
        this.at = 0;
      }
    },
  };
  writeCompactFeatureTail(compact, sink);
  const flushes = chunks.length;
  chunks.push(Buffer.from(sink.bytes.subarray(0, sink.at)).toString('latin1'));
  return { text: chunks.join(''), flushes };
}

describe('compact water feature', () => {
  it('its text is JSON.stringify of its GeoJSON feature (after the ids), whatever the size of the sink buffer', () => {
    const properties = fc.record({
      area_m2: fc.double({ noNaN: true, noDefaultInfinity: true }),
      perimeter_m: fc.double({ noNaN: true, noDefaultInfinity: true }),
      mean_probability: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: null }),
      pixel_count: fc.nat(),
    });
    fc.assert(
      fc.property(polygons, properties, fc.integer({ min: 64, max: 500 }), fc.nat(), (polys, props, size, id) => {
        const compact: CompactWaterFeature = { properties: props, polygons: typed(polys) };
        const text = JSON.stringify(toWaterFeature(compact, id));
        const head = `{"type":"Feature","id":${id},"properties":{"id":${id}`;
        const tail = tailText(compact, size);
        expect(head + tail.text).toBe(text);
        if (text.length > 2 * size) expect(tail.flushes).toBeGreaterThan(0);
      }),
      { numRuns: 300 },
    );
  });

  it('writes -0 as 0, as JSON does', () => {
    const compact: CompactWaterFeature = {
      properties: { area_m2: -0, perimeter_m: 1.5, mean_probability: null, pixel_count: 3 },
      polygons: [[Float64Array.from([-0, 0, 1, 0, 1, 1, -0, 0])]],
    };
    expect(tailText(compact).text).toBe(JSON.stringify(toWaterFeature(compact, 0)).slice('{"type":"Feature","id":0,"properties":{"id":0'.length));
  });
});
