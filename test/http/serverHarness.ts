/**
 * Test tool: the real server (`startServer`: store, runner, queue, app, the real pipeline and scene
 * inspector) on 127.0.0.1 port 0 with a temp data directory, and the dark-water test segmenter.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { silentLogger } from '../../src/logger.ts';
import { resolveServerConfig, type ServerSettings } from '../../src/http/serverConfig.ts';
import { startServer, type RunningServer, type ServerServices } from '../../src/http/server.ts';
import { inspectSceneFile } from '../../src/http/sceneInspector.ts';
import { darkWaterSegmenter, type DarkWaterOptions } from './fixtures/darkWaterSegmenter.ts';

export interface Harness extends RunningServer {
  dataDir: string;
  /** Copy a file into the data directory; returns its relative path. */
  addFile(path: string, name?: string): string;
  stop(): Promise<void>;
}

export async function startHarness(settings: ServerSettings = {}, model: DarkWaterOptions = {}, services: Partial<ServerServices> = {}, dataDir?: string): Promise<Harness> {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'waterline-server-'));
  const config = resolveServerConfig({ port: 0, host: '127.0.0.1', dataDir: dir, ...settings }, {});
  const running = await startServer({
    config,
    logger: silentLogger,
    loadSegmenter: async () => darkWaterSegmenter(model),
    inspectScene: inspectSceneFile,
    progressIntervalMs: 20,
    ...services,
  });
  return {
    ...running,
    dataDir: dir,
    addFile(path, name = basename(path)) {
      copyFileSync(path, join(dir, name));
      return name;
    },
    async stop() {
      await running.close();
      if (!dataDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function waitFor<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 45_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
