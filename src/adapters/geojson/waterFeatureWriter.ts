/**
 * A WaterFeatureSink that writes the features to a GeoJSON file (or stdout) without holding them: each
 * feature, handed over as the tracer closes its polygon (not in id order), is serialized at once — without
 * its id, which is known only at the end — and appended to a spill file in a temporary directory, with
 * its order kept per polygon and (offset, length) per kept one. `finish(waterline)` numbers the polygons by ascending order
 * (as createFeatureOrder does), then writes the provenance followed by the features in id order, read
 * back one by one, through writeFeatureTexts (temporary name + rename): the same bytes as
 * writeWaterGeoJson of the collected collection. Memory: 8 bytes per polygon (28 per kept one) plus one 1 MiB buffer; a
 * large feature (a lake spanning the scene: hundreds of thousands of vertices) is serialized from its
 * typed-array rings straight into that buffer as bytes (no string per vertex) and read back in pieces of
 * 64 KiB, never as one string.
 */
import type { Writable } from 'node:stream';
import { TempSpillFile } from '../raster/tempSpillFile.ts';
import type { AsciiSink } from '../../core/vector/asciiSink.ts';
import { writeCompactFeatureTail } from '../../core/vector/compactWaterFeature.ts';
import type { WaterFeatureSink } from '../../core/vector/featureOrder.ts';
import { writeFeatureTexts, type FeatureText, type WaterFormat } from './writeWaterGeoJson.ts';

export interface WaterFeatureWriter extends WaterFeatureSink {
  /** Write the output: `waterline` provenance first, then the features in id order; removes the spill. */
  finish(waterline: object): Promise<void>;
  /** Remove the spill without writing (after a failure); safe to call after finish. */
  close(): void;
}

const FLUSH_BYTES = 1 << 20;
/** Pieces of a feature's text read back at a time (features are ASCII: characters = bytes). */
const PIECE_BYTES = 1 << 16;

/** A copy of `a` twice as long (the per-polygon arrays grow by doubling). */
function grow<T extends Float64Array | Int32Array>(a: T): T {
  const g = new (a.constructor as new (n: number) => T)(a.length * 2);
  g.set(a);
  return g;
}

function featureHead(id: number): string {
  return `{"type":"Feature","id":${id},"properties":{"id":${id}`;
}

function featureText(id: number, tail: string): string {
  return `${featureHead(id)}${tail}`;
}

/** `spillDir`: where the spill's temporary directory is made (default the system's temp directory). */
export function openWaterFeatureWriter(path: string, format: WaterFormat, stdout?: Writable, options: { spillDir?: string } = {}): WaterFeatureWriter {
  // removed by close(), and by the process/thread 'exit' handler if the process ends before that (tempSpillFile.ts)
  const file = new TempSpillFile('waterline-features-', 'features.json', options.spillDir);
  let closed = false;
  // every polygon's order (dropped ones take an id too), and the order, spill offset and length of each kept one
  let orders = new Float64Array(1024);
  let count = 0;
  let keptOrders = new Float64Array(1024);
  let offsets = new Float64Array(1024);
  let lengths = new Int32Array(1024);
  let kept = 0;
  let spilled = 0;
  // text waiting to be written to the spill, written as bytes into one reused buffer (no string per vertex)
  const pending = Buffer.allocUnsafe(FLUSH_BYTES);
  const flush = (): void => {
    if (!sink.at || closed) return;
    file.writeAt(pending, sink.at, spilled);
    spilled += sink.at;
    sink.at = 0;
  };
  const sink: AsciiSink = {
    bytes: pending,
    at: 0,
    room(n) {
      if (this.at + n > FLUSH_BYTES) flush();
    },
  };
  const close = (): void => {
    closed = true;
    sink.at = 0;
    file.close();
  };

  return {
    add(order, feature) {
      if (closed) throw new Error('feature writer is closed');
      if (count === orders.length) orders = grow(orders);
      orders[count++] = order;
      if (!feature) return;
      if (kept === keptOrders.length) {
        keptOrders = grow(keptOrders);
        offsets = grow(offsets);
        lengths = grow(lengths);
      }
      keptOrders[kept] = order;
      const offset = spilled + sink.at;
      offsets[kept] = offset;
      writeCompactFeatureTail(feature, sink);
      lengths[kept] = spilled + sink.at - offset;
      kept++;
    },
    async finish(waterline) {
      if (closed) throw new Error('feature writer is closed');
      flush();
      // A kept feature's id is its rank among all orders (distinct: a polygon's order is one of its own labels).
      // All orders are sorted in place as numbers (no array of indices: most polygons of a large scene are dropped
      // specks), the kept ones through their indices.
      const allOrders = orders.subarray(0, count).sort();
      const byOrder = Array.from({ length: kept }, (_, i) => i).sort((a, b) => keptOrders[a] - keptOrders[b]);
      const buffer = Buffer.alloc(PIECE_BYTES);
      const read = (at: number, length: number): string => {
        if (file.readAt(buffer, length, at) < length) throw new Error('feature spill file ended early');
        return buffer.toString('latin1', 0, length);
      };
      function* pieces(id: number, offset: number, length: number): Generator<string> {
        yield featureHead(id);
        for (let done = 0; done < length; done += PIECE_BYTES) yield read(offset + done, Math.min(PIECE_BYTES, length - done));
      }
      function* texts(): Generator<FeatureText> {
        let rank = 0;
        for (const i of byOrder) {
          while (allOrders[rank] < keptOrders[i]) rank++;
          const length = lengths[i];
          yield length <= PIECE_BYTES ? featureText(rank + 1, read(offsets[i], length)) : pieces(rank + 1, offsets[i], length);
        }
      }
      try {
        await writeFeatureTexts(path, waterline, texts(), format, stdout);
      } finally {
        close();
      }
    },
    close,
  };
}
