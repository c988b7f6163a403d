#!/usr/bin/env node
// The `waterline` command. A clean clone needs no build step: the TypeScript sources start from a bundle
// compiled on first use and kept until src/ changes (bin/builtCli.mjs), or else run through tsx's loader.
import { loadBuiltCli } from './builtCli.mjs';

async function sourcesThroughTsx() {
  const { register } = await import('tsx/esm/api');
  register();
  return import('../src/cli/main.ts');
}

// `waterline info x.tif --json | head`: a reader that stops early is not an error (as for cat or gdalinfo).
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

const { main } = (await loadBuiltCli()) ?? (await sourcesThroughTsx());
process.exitCode = await main(process.argv.slice(2));
