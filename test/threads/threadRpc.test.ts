/**
 * Worker threads behind threadRpc: a thread whose setup fails is terminated (not left running with what it
 * loaded), and a thread killed by an uncaught exception says it is dead and rejects every call.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { startThread } from '../../src/adapters/threads/threadRpc.ts';

const dir = mkdtempSync(join(tmpdir(), 'waterline-threadrpc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const module = new URL('./fixtures/testThread.ts', import.meta.url);
const beats = (file: string): number => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').length - 1 : 0);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

it('a thread whose setup fails rejects startThread and is terminated', async () => {
  const heartbeat = join(dir, 'failed-setup.log');
  await expect(startThread(module, { heartbeat, failSetup: true })).rejects.toThrow('the model file is corrupt');
  const after = beats(heartbeat);
  await sleep(200);
  expect(beats(heartbeat)).toBe(after);
}, 30_000);

it('a thread killed by an uncaught exception is dead: the call in flight and every later call reject', async () => {
  const heartbeat = join(dir, 'crash.log');
  const client = await startThread(module, { heartbeat, failSetup: false });
  try {
    expect(client.dead).toBe(false);
    expect(await client.call('echo', { a: 1 })).toEqual({ a: 1 });
    await expect(client.call('crash', null)).rejects.toThrow('out of bounds in the model runtime');
    expect(client.dead).toBe(true);
    await expect(client.call('echo', 1)).rejects.toThrow();
  } finally {
    await client.close();
  }
}, 30_000);
