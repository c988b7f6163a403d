/** `waterline worker` refuses a bad start in one line, before it loads a model or connects to Redis. */
import { describe, expect, it } from 'vitest';
import { readEnvConfig } from '../../src/config.ts';
import { runCli } from '../helpers/runCli.ts';

const run = (args: string[]) => runCli(['worker', ...args], { env: readEnvConfig({}) });

describe('waterline worker', () => {
  it('needs --queue', async () => {
    const r = await run([]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: waterline worker needs --queue/);
  });

  it('refuses a --data-dir that is not a directory, naming it', async () => {
    const r = await run(['--queue', 'redis://127.0.0.1:1', '--data-dir', '/nonexistent/waterline-data']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^error: --data-dir \/nonexistent\/waterline-data is not a directory/);
  });

  it('says its concurrency default without quotes', async () => {
    const r = await runCli(['worker', '--help'], { env: readEnvConfig({}) });
    expect(r.stdout).toContain('units processed at once (default 1)');
  });
});
