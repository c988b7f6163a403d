/**
 * Slow clients cannot hold the server: a body trickling below the minimum rate ends in 408 and releases its
 * upload slot; headers that never finish are cut by the headers timeout; a normal upload is unaffected.
 */
import { readdirSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { geoTiff } from '../raster/hostileTiff.ts';
import { startHarness, type Harness } from './serverHarness.ts';

function trickle(h: Harness, path: string, total: number, bytesPerTick: number, tickMs: number): { socket: Socket; response: Promise<string> } {
  const socket = connect(h.port, '127.0.0.1');
  let answer = '';
  const response = new Promise<string>((resolve) => {
    socket.on('data', (d) => { answer += d.toString('latin1'); });
    socket.on('close', () => resolve(answer));
    socket.on('error', () => resolve(answer));
  });
  socket.write(`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: image/tiff\r\nContent-Length: ${total}\r\n\r\n`);
  const timer = setInterval(() => {
    if (socket.destroyed) clearInterval(timer);
    else socket.write(Buffer.alloc(bytesPerTick, 7));
  }, tickMs);
  socket.on('close', () => clearInterval(timer));
  return { socket, response };
}

describe('slow clients', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ maxConcurrentUploads: 2, minBodyRate: 16, bodyGrace: 1, headersTimeout: 1 });
  });
  afterAll(async () => h.stop());

  it('answers 408 to uploads trickling at 100 B/s and frees their slots', async () => {
    const t0 = Date.now();
    const a = trickle(h, '/scenes?name=a.tif', 1_000_000, 10, 100);
    const b = trickle(h, '/scenes?name=b.tif', 1_000_000, 10, 100);
    await new Promise((r) => setTimeout(r, 300));
    // both slots are taken while they trickle
    const busy = await fetch(`${h.url}/scenes?name=c.tif`, { method: 'POST', headers: { 'content-type': 'image/tiff' }, body: new Uint8Array(geoTiff()) });
    expect(busy.status).toBe(429);
    const [ra, rb] = await Promise.all([a.response, b.response]);
    const seconds = (Date.now() - t0) / 1000;
    console.log(`two 100 B/s uploads answered 408 after ${seconds.toFixed(1)} s`);
    for (const r of [ra, rb]) {
      expect(r).toMatch(/^HTTP\/1\.1 408/);
      expect(r).toMatch(/"code":"request_timeout"/);
      expect(r).toMatch(/arrived too slowly/);
    }
    // grace 1 s + checks every second: ~2 s on an idle machine; the bound leaves room for a loaded CI runner
    // (the trickling uploads held their slots for 40 s and more)
    expect(seconds).toBeLessThan(15);
    const ok = await fetch(`${h.url}/scenes?name=c.tif`, { method: 'POST', headers: { 'content-type': 'image/tiff' }, body: new Uint8Array(geoTiff()) });
    expect(ok.status).toBe(201);
    // the trickled uploads left no file behind
    await new Promise((r) => setTimeout(r, 500));
    expect(readdirSync(join(h.dataDir, 'uploads')).filter((f) => !f.endsWith('-c.tif'))).toEqual([]);
  });

  it('cuts a connection whose headers never finish', async () => {
    const socket = connect(h.port, '127.0.0.1');
    const t0 = Date.now();
    socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
    const timer = setInterval(() => socket.write('X-Slow: 1\r\n'), 200);
    const answer = await new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (d) => { text += d.toString(); });
      socket.on('close', () => resolve(text));
    });
    clearInterval(timer);
    const seconds = (Date.now() - t0) / 1000;
    console.log(`slow headers cut after ${seconds.toFixed(1)} s`);
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(seconds).toBeLessThan(12);
  });
});
