import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pullHubModel, downloadFile } from '../../src/adapters/hub/hubDownload.ts';
import { listCachedModels } from '../../src/adapters/hub/modelsCache.ts';
import { readEnvConfig } from '../../src/config.ts';
import { runCli } from '../helpers/runCli.ts';

/** A fake hub: `owner/tiny` with three q4 graphs, one fp32 graph, metadata, LFS sha256; `owner/gated` needs a token. */
const files: Record<string, Buffer> = {
  'config.json': Buffer.from('{"model_type":"paligemma"}'),
  'preprocessor_config.json': Buffer.from('{}'),
  'tokenizer.json': Buffer.from('{"tok":1}'),
  'generation_config.json': Buffer.from('{}'),
  'README.md': Buffer.from('readme'),
  'onnx/vision_encoder_q4.onnx': Buffer.alloc(50_000, 1),
  'onnx/embed_tokens_q4.onnx': Buffer.alloc(30_000, 2),
  'onnx/decoder_model_merged_q4.onnx': Buffer.alloc(1000, 3),
  'onnx/decoder_model_merged_q4.onnx_data': Buffer.from(Array.from({ length: 200_000 }, (_, i) => i % 251)),
  'onnx/decoder_model_merged.onnx': Buffer.alloc(10, 4),
};
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
let corrupt = false;
let interruptOnce = new Set<string>();
const requests: { url: string; range?: string; auth?: string }[] = [];

let server: Server;
let endpoint: string;
let modelsDir: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    requests.push({ url: url.pathname, range: req.headers.range, auth: req.headers.authorization });
    if (url.pathname.includes('gated') && req.headers.authorization !== 'Bearer good') {
      res.writeHead(401).end('{"error":"Access to model owner/gated is restricted."}');
      return;
    }
    const api = url.pathname.match(/^\/api\/models\/(owner\/\w+)\/revision\/(\w+)$/);
    if (api) {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ id: api[1], siblings: Object.entries(files).map(([p, b]) => ({ rfilename: p, size: b.length, ...(p.endsWith('.onnx') || p.endsWith('_data') ? { lfs: { sha256: sha(b), size: b.length } } : {}) })) }));
      return;
    }
    const m = url.pathname.match(/^\/(owner\/\w+)\/resolve\/main\/(.+)$/) ?? url.pathname.match(/^\/static\/(.+)$/);
    const path = m ? decodeURIComponent(m[m.length - 1]) : '';
    let body = files[path];
    if (!body) { res.writeHead(404).end(); return; }
    if (corrupt && path.endsWith('_data')) body = Buffer.from(body.map((v) => v ^ 1));
    const start = req.headers.range ? Number(/bytes=(\d+)-/.exec(req.headers.range)![1]) : 0;
    res.writeHead(start ? 206 : 200, { 'content-length': body.length - start, ...(start ? { 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` } : {}) });
    if (interruptOnce.has(path)) {
      interruptOnce.delete(path);
      res.write(body.subarray(start, start + 70_000));
      setTimeout(() => res.destroy(), 20);
      return;
    }
    res.end(body.subarray(start));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
});

const fresh = () => {
  modelsDir = mkdtempSync(join(tmpdir(), 'wl-models-'));
  return modelsDir;
};

describe('models pull (local fake hub)', () => {
  it('downloads only the files of the chosen dtype, verified, into <modelsDir>/<owner>/<repo>', async () => {
    const dir = fresh();
    const result = await pullHubModel('owner/tiny', 'q4', dir, { endpoint });
    expect(result.dir).toBe(join(dir, 'owner', 'tiny'));
    expect(result.files.map((f) => f.path).sort()).toEqual(['config.json', 'generation_config.json', 'onnx/decoder_model_merged_q4.onnx', 'onnx/decoder_model_merged_q4.onnx_data', 'onnx/embed_tokens_q4.onnx', 'onnx/vision_encoder_q4.onnx', 'preprocessor_config.json', 'tokenizer.json']);
    expect(readFileSync(join(result.dir, 'onnx', 'decoder_model_merged_q4.onnx_data')).equals(files['onnx/decoder_model_merged_q4.onnx_data'])).toBe(true);
    expect(existsSync(join(result.dir, 'README.md'))).toBe(false);
    const listed = listCachedModels(dir);
    expect(listed).toMatchObject([{ name: 'owner/tiny', kind: 'paligemma', dtypes: ['q4'] }]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('resumes an interrupted download with a Range request', async () => {
    const dir = fresh();
    interruptOnce = new Set(['onnx/decoder_model_merged_q4.onnx_data']);
    await expect(pullHubModel('owner/tiny', 'q4', dir, { endpoint })).rejects.toThrow(/interrupted|got \d+ of 200000 bytes/);
    const part = join(dir, 'owner', 'tiny', 'onnx', 'decoder_model_merged_q4.onnx_data.part');
    expect(existsSync(part)).toBe(true);
    const have = readFileSync(part).length;
    expect(have).toBeGreaterThan(0);
    requests.length = 0;
    await pullHubModel('owner/tiny', 'q4', dir, { endpoint });
    const dataRequest = requests.find((r) => r.url.endsWith('_data'));
    expect(dataRequest?.range).toBe(`bytes=${have}-`);
    expect(requests.filter((r) => r.url.includes('/resolve/')).length).toBe(1); // the rest was already complete
    expect(readFileSync(join(dir, 'owner', 'tiny', 'onnx', 'decoder_model_merged_q4.onnx_data')).equals(files['onnx/decoder_model_merged_q4.onnx_data'])).toBe(true);
    rmSync(dir, { recursive: true, force: true });
  });

  it('a checksum mismatch is an error and leaves no file behind', async () => {
    const dir = fresh();
    corrupt = true;
    try {
      await expect(pullHubModel('owner/tiny', 'q4', dir, { endpoint })).rejects.toThrow(/decoder_model_merged_q4\.onnx_data: sha256 [0-9a-f]{64} does not match the expected/);
      expect(existsSync(join(dir, 'owner', 'tiny', 'onnx', 'decoder_model_merged_q4.onnx_data'))).toBe(false);
    } finally {
      corrupt = false;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a missing dtype variant is named', async () => {
    await expect(pullHubModel('owner/tiny', 'fp16', fresh(), { endpoint })).rejects.toThrow(/no fp16 variant: onnx\/vision_encoder_fp16\.onnx/);
  });

  it('CLI: 401 without a token explains the gated licence and HF_TOKEN; with a token it works', async () => {
    const dir = fresh();
    const env = { ...readEnvConfig({}), modelsDir: dir, hfEndpoint: endpoint };
    const denied = await runCli(['models', 'pull', 'owner/gated'], { env });
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/error: listing owner\/gated@main: access denied \(HTTP 401\); owner\/gated is gated \(.*accept the Gemma licence.*set HF_TOKEN\)/);
    const ok = await runCli(['models', 'pull', 'owner/gated', '--dtype', 'q4'], { env: { ...env, hfToken: 'good' } });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain(join(dir, 'owner', 'gated'));
    expect(requests.filter((r) => r.url.includes('gated')).every((r) => r.auth === undefined || r.auth === 'Bearer good')).toBe(true);
    const list = await runCli(['models', 'list'], { env });
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/owner\/gated {2}paligemma dtypes=q4/);
    rmSync(dir, { recursive: true, force: true });
  });

  it('downloadFile checks the size and sha256 of a plain URL (the VAE path)', async () => {
    const dir = fresh();
    const dest = join(dir, 'vae', 'x.bin');
    mkdirSync(join(dir, 'vae'), { recursive: true });
    writeFileSync(`${dest}.part`, files['onnx/embed_tokens_q4.onnx'].subarray(0, 1234));
    const body = files['onnx/embed_tokens_q4.onnx'];
    await downloadFile(`${endpoint}/static/onnx/embed_tokens_q4.onnx`, dest, { path: 'x.bin', size: body.length, sha256: sha(body) }, {});
    expect(readFileSync(dest).equals(body)).toBe(true);
    rmSync(dir, { recursive: true, force: true });
  });
});
