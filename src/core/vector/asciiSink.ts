/**
 * ASCII text written straight into a reused byte buffer: `bytes[0..at)` holds what is waiting to be flushed,
 * and `room(n)` makes room for n more bytes at `at` (a file writer flushes the buffer and sets `at` to 0).
 * Serializing a large feature through it builds no string per vertex: a number's digits are written as bytes.
 */
export interface AsciiSink {
  readonly bytes: Uint8Array;
  at: number;
  /** Ensure bytes.length - at ≥ n (n is at most 64, well under the buffer's length). */
  room(n: number): void;
}

/** Append a short ASCII string (under 64 characters: numbers, keys, brackets). */
export function writeAscii(sink: AsciiSink, text: string): void {
  sink.room(text.length);
  const { bytes } = sink;
  let at = sink.at;
  for (let i = 0; i < text.length; i++) bytes[at++] = text.charCodeAt(i);
  sink.at = at;
}
