/**
 * A newcomer's first commands: --version, help that says which options are required, and outputs that
 * cannot be written refused before any work starts (no progress line, no model load).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/runCli.ts';
import { repoRoot } from '../helpers/shared.ts';

const dir = mkdtempSync(join(tmpdir(), 'waterline-outputs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const missingDir = join(dir, 'no-such-dir');
const aFile = join(dir, 'plain-file');
writeFileSync(aFile, 'x');

describe('version and help', () => {
  it('--version prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const r = await runCli([flag]);
      expect(r.code).toBe(0);
      expect(r.stdout.trim()).toBe(`waterline ${version}`);
    }
  });

  it('help shows the required output in the usage line and every description starts in lower case', async () => {
    for (const [cmd, usage] of [['segment', '-o <file>'], ['vectorize', '-o <file>'], ['tiles', '--out <dir>']] as const) {
      const r = await runCli([cmd, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout.split('\n')[0]).toContain(usage);
    }
    const root = await runCli(['--help']);
    const descriptions = root.stdout.split('Commands:')[1].split('\n').map((l) => l.match(/^ {2}\S.*? {2,}(\S)/)?.[1]).filter(Boolean) as string[];
    expect(descriptions.length).toBeGreaterThan(8);
    for (const first of descriptions) if (first !== 'P') expect(first, root.stdout).toBe(first.toLowerCase()); // "PaliGemma ..." is a name
  });
});

describe('unwritable outputs are refused before the work starts', () => {
  // The input does not need to exist: the output is checked first, so the error must be about -o.
  const cases: [string, string[], RegExp][] = [
    ['segment', ['segment', join(dir, 'scene.tif'), '-o', join(missingDir, 'w.geojson')], /cannot write -o .*no-such-dir\/w\.geojson: its directory does not exist/],
    ['segment (a directory)', ['segment', join(dir, 'scene.tif'), '-o', dir], /cannot write -o .*: it is a directory/],
    ['vectorize', ['vectorize', join(dir, 'mask.tif'), '-o', join(aFile, 'w.geojson')], /cannot write -o .*plain-file\/w\.geojson: a part of the path is a file/],
    ['tiles', ['tiles', join(dir, 'scene.tif'), '--out', join(aFile, 'tiles')], /cannot write into --out .*plain-file\/tiles/],
    ['tokens decode', ['tokens', 'decode', '<loc0001><loc0002><loc0100><loc0100> water', '-o', join(missingDir, 'm.png')], /cannot write -o .*no-such-dir\/m\.png/],
  ];
  for (const [name, argv, message] of cases) {
    it(name, async () => {
      const r = await runCli(argv);
      expect(r.code).toBe(1);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toMatch(/^error: /);
    });
  }

  it('leaves no probe file behind and keeps an existing output', async () => {
    const out = join(dir, 'kept.geojson');
    writeFileSync(out, 'old');
    const r = await runCli(['vectorize', join(dir, 'missing-mask.tif'), '-o', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).not.toMatch(/cannot write/);
    expect(readFileSync(out, 'utf8')).toBe('old');
    expect(readdirSync(dir).filter((f) => f.includes('probe'))).toEqual([]);
    expect(existsSync(missingDir)).toBe(false);
  });
});
