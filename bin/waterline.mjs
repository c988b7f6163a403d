#!/usr/bin/env node
// The `waterline` command. A clean clone needs no build step: the TypeScript sources start from a bundle
// compiled on first use and kept until src/ changes (bin/builtCli.mjs), or else run through tsx's loader.
import { loadBuiltCli } from './builtCli.mjs';

async function sourcesThroughTsx() {
  const { register } = await import('tsx/esm/api');
  register();
  return import('../src/cli/main.ts');
}

// A reader that goes away is not a crash. Standard output (`waterline info x.tif --json | head`): stop as cat does
// on SIGPIPE, with 141 while the command was still running (so `set -o pipefail` sees a cut-off run), else with its
// own status. Standard error (progress piped into `grep -m1`): stop writing there, finish the work.
let finished = false;
process.stdout.on('error', (err) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(finished ? (process.exitCode ?? 0) : 141);
});
process.stderr.on('error', (err) => {
  if (err.code !== 'EPIPE') throw err;
  process.stderr.write = () => true;
});

const { main } = (await loadBuiltCli()) ?? (await sourcesThroughTsx());
process.exitCode = await main(process.argv.slice(2));
finished = true;
