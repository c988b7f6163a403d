/**
 * onnxruntime sessions in worker threads (threadedOnnxSession.ts) when a thread dies: the test kills a real
 * inference thread (the committed U-Net) by terminating it. The call running on it fails with a ModelError naming
 * the model; the next call starts the thread again and gets the same output as before; release ends every thread.
 * A restart that fails is not tried again: later calls fail at once, naming the model and never the server path.
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import { ModelError } from '../../src/core/errors.ts';
import type { ThreadClient } from '../../src/adapters/threads/threadRpc.ts';
import { createThreadedOnnxSession, type ThreadedOnnxSession } from '../../src/adapters/onnx/threadedOnnxSession.ts';
import { loadUnetSegmenter } from '../../src/adapters/onnx/unetSegmenter.ts';
import { readUnetManifest } from '../../src/adapters/onnx/unetModelDir.ts';
import { builtinUnetDir } from '../../src/adapters/onnx/builtinUnets.ts';
import type { ModelTile, Segmenter } from '../../src/core/model/segmenter.ts';

/** Every thread the code under test starts, so the test can kill one. */
const started = vi.hoisted(() => [] as { name: string; client: ThreadClient }[]);
/** While set, starting an inference thread fails (with a server path in the error); counts the attempts. */
const failing = vi.hoisted(() => ({ on: false, attempts: 0 }));
vi.mock('../../src/adapters/threads/threadRpc.ts', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/adapters/threads/threadRpc.ts')>();
  return {
    ...real,
    startThread: async (...args: Parameters<typeof real.startThread>) => {
      if (failing.on && args[2] === 'waterline-onnx') {
        failing.attempts++;
        throw new Error('/srv/secret/models/unet/unet.onnx: thread waterline-onnx exited with code 1 while starting');
      }
      const client = await real.startThread(...args);
      started.push({ name: args[2] ?? '', client });
      return client;
    },
  };
});

const inference = () => started.filter((t) => t.name === 'waterline-onnx').map((t) => t.client);
const kill = (client: ThreadClient) => client.close(); // Worker.terminate(): the thread exits at once

const { manifest, onnxPath } = readUnetManifest(builtinUnetDir('waterline-unet-v1')); // the smallest built-in model
const SIZE = manifest.input.size;
const input = new Float32Array(3 * SIZE * SIZE).map((_, i) => Math.sin(i / 97));
const request = { input: manifest.input.name, data: input, dims: [1, 3, SIZE, SIZE], output: manifest.output.name };

describe('threaded onnxruntime session whose thread dies', () => {
  let session: ThreadedOnnxSession | undefined;
  afterAll(async () => session?.release());

  it('starts a killed thread again on the next call, which gives the same output', async () => {
    session = await createThreadedOnnxSession(onnxPath, { device: 'cpu', sessions: 1, intraOpNumThreads: 1 });
    const before = inference().length;
    const expected = await session.run(request);
    const [first] = inference().slice(-1);
    await kill(first);
    expect(first.dead).toBe(true);

    const again = await session.run(request);
    expect(Array.from(again)).toEqual(Array.from(expected));
    expect(inference().length).toBe(before + 1); // one new thread for one death
    expect(await session.run(request)).toEqual(again); // and it stays: no restart while the thread lives
    expect(inference().length).toBe(before + 1);
  }, 60_000);

  it('a call running on the thread when it dies rejects with a ModelError naming the model; the next one works', async () => {
    session ??= await createThreadedOnnxSession(onnxPath, { device: 'cpu', sessions: 1, intraOpNumThreads: 1 });
    const expected = await session.run(request);
    const [current] = inference().slice(-1);
    const running = session.run(request);
    await kill(current);
    const err = await running.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelError);
    expect((err as ModelError).code).toBe('model_thread_died');
    expect((err as ModelError).message).toContain('unet/unet.onnx');
    expect((err as ModelError).message).not.toContain(onnxPath); // the model, not the server path
    expect(Array.from(await session.run(request))).toEqual(Array.from(expected));

    await session.release();
    session = undefined;
    expect(inference().every((c) => c.dead)).toBe(true); // release ended every thread, restarted ones too
  }, 60_000);
});

describe('threaded onnxruntime session whose thread cannot be started again', () => {
  it('fails fast with a ModelError naming the model (not the server path) and never retries the start per call', async () => {
    const session = await createThreadedOnnxSession(onnxPath, { device: 'cpu', sessions: 1, intraOpNumThreads: 1 });
    try {
      await session.run(request);
      const [current] = inference().slice(-1);
      await kill(current);
      failing.on = true;
      const errors: unknown[] = [];
      for (let i = 0; i < 3; i++) errors.push(await session.run(request).catch((e: unknown) => e));
      expect(failing.attempts).toBe(1); // one restart tried, not one per call
      for (const err of errors) {
        expect(err).toBeInstanceOf(ModelError);
        expect((err as ModelError).code).toBe('model_thread_restart_failed');
        expect((err as ModelError).userMessage()).toContain('unet/unet.onnx');
        expect((err as ModelError).userMessage()).not.toContain('/srv/secret');
        expect((err as ModelError).userMessage()).not.toContain(onnxPath);
      }
    } finally {
      failing.on = false;
      await session.release();
    }
  }, 60_000);

  it('a first start that fails names the model, not the server path', async () => {
    failing.on = true;
    try {
      const err = await createThreadedOnnxSession(onnxPath, { device: 'cpu', sessions: 1 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ModelError);
      expect((err as ModelError).message).toContain('unet/unet.onnx');
      expect((err as ModelError).message).not.toContain(onnxPath);
    } finally {
      failing.on = false;
    }
  });
});

describe('U-Net segmenter whose inference thread dies', () => {
  let segmenter: Segmenter | undefined;
  afterAll(async () => segmenter?.dispose());

  it('keeps segmenting: the batch after the death runs on a new thread, with the same result', async () => {
    segmenter = await loadUnetSegmenter({ device: 'cpu', inferenceThreads: 1, intraOpNumThreads: 1 });
    const rgb = new Uint8Array(SIZE * SIZE * 3).map((_, i) => (i * 37) % 251);
    const tile: ModelTile = { id: 'r0c0', size: SIZE, rgb, valid: new Uint8Array(SIZE * SIZE).fill(1) };
    const [expected] = await segmenter.segment([tile], { prompt: '' });
    const [thread] = inference().slice(-1);
    await kill(thread);
    const [after] = await segmenter.segment([tile], { prompt: '' });
    expect(Array.from(after.probability)).toEqual(Array.from(expected.probability));
    await segmenter.dispose();
    segmenter = undefined;
    expect(inference().every((c) => c.dead)).toBe(true);
  }, 60_000);
});
