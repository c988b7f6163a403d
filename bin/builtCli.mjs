// The CLI compiled once per state of src/: esbuild (the compiler tsx itself uses) bundles src/cli/main.ts
// into node_modules/.cache/waterline/cli-<fingerprint>/ (one chunk per command, so a command still loads only
// its own modules; packages stay external). Starting from that bundle skips tsx's module loader, which
// resolves and loads every module through a separate thread: about 0.5 s of CPU per start.
//
// - The fingerprint covers every file under src/ (path, size, mtime), tsconfig.json (esbuild reads it) and
//   this file, so an edit rebuilds.
// - `import.meta.url` is replaced by each source file's own URL, so paths built from it (package.json,
//   models/, worker thread modules) are the same as when the sources run directly. Worker threads still
//   load their TypeScript modules through tsx (src/adapters/threads/threadBoot.mjs).
// - A bundle is built into a temporary directory and renamed into place, so concurrent starts never see
//   half a bundle. When it cannot be built (no esbuild, read-only node_modules, ...) or WATERLINE_TSX=1,
//   loadBuiltCli returns null and the caller runs the sources through tsx as before.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const srcDir = join(root, 'src');
const cacheDir = join(root, 'node_modules', '.cache', 'waterline');
/** When a bundle is built, older ones are removed except the newest KEEP and any built in the last hour (a running server may still load chunks of its own). */
const KEEP = 3;
const RECENT_MS = 3600 * 1000;

function fingerprint() {
  const hash = createHash('sha1');
  for (const file of [fileURLToPath(import.meta.url), join(root, 'tsconfig.json')]) {
    const st = statSync(file);
    hash.update(`${file} ${st.size} ${st.mtimeMs}\n`);
  }
  const walk = (dir, rel) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      const st = statSync(path);
      if (st.isDirectory()) walk(path, `${rel}${name}/`);
      else hash.update(`${rel}${name} ${st.size} ${st.mtimeMs}\n`);
    }
  };
  walk(srcDir, '');
  return hash.digest('hex').slice(0, 16);
}

async function build(outDir) {
  const esbuild = await import('esbuild');
  const { readFile } = await import('node:fs/promises');
  await esbuild.build({
    entryPoints: { main: join(srcDir, 'cli', 'main.ts') },
    outdir: outDir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    keepNames: true,
    sourcemap: 'linked',
    logLevel: 'silent',
    plugins: [
      {
        name: 'source-import-meta-url',
        setup(b) {
          b.onLoad({ filter: /\.ts$/ }, async (args) => {
            const text = await readFile(args.path, 'utf8');
            return { contents: text.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)), loader: 'ts' };
          });
        },
      },
    ],
  });
}

function pruneStale() {
  const now = Date.now();
  const entries = [];
  for (const name of readdirSync(cacheDir)) {
    try {
      entries.push({ name, mtime: statSync(join(cacheDir, name)).mtimeMs });
    } catch {
      // another process removed it
    }
  }
  entries.sort((a, b) => b.mtime - a.mtime);
  entries.forEach(({ name, mtime }, i) => {
    if (now - mtime < RECENT_MS || (i < KEEP && !name.includes('.tmp-'))) return;
    rmSync(join(cacheDir, name), { recursive: true, force: true });
  });
}

/** The bundled src/cli/main.ts module, or null when it cannot be used (the caller then uses tsx). */
export async function loadBuiltCli() {
  if (process.env.WATERLINE_TSX === '1') return null;
  try {
    const name = `cli-${fingerprint()}`;
    const dir = join(cacheDir, name);
    const entry = join(dir, 'main.js');
    let built = false;
    try {
      statSync(entry);
    } catch {
      mkdirSync(cacheDir, { recursive: true });
      const tmp = join(cacheDir, `${name}.tmp-${process.pid}`);
      rmSync(tmp, { recursive: true, force: true });
      await build(tmp);
      try {
        renameSync(tmp, dir);
        built = true;
      } catch {
        rmSync(tmp, { recursive: true, force: true }); // another start renamed its build first
        readFileSync(entry);
      }
    }
    if (built) pruneStale();
    return await import(pathToFileURL(entry).href);
  } catch {
    return null;
  }
}
