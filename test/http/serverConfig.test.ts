import { describe, expect, it } from 'vitest';
import { resolveServerConfig } from '../../src/http/serverConfig.ts';
import { InputError } from '../../src/core/errors.ts';

describe('server configuration', () => {
  it('takes flags over environment over defaults', () => {
    const c = resolveServerConfig({ port: '9000' }, { server: { port: '7000', host: '0.0.0.0', dataDir: 'd', cors: '*', maxUploadMb: '10' }, device: 'cpu' }, '/srv');
    expect(c).toMatchObject({ port: 9000, host: '0.0.0.0', dataDir: '/srv/d', device: 'cpu', corsOrigins: ['*'], maxUploadBytes: 10 * 1024 * 1024 });
    const d = resolveServerConfig({}, {}, '/srv');
    expect(d).toMatchObject({ port: 8080, host: '127.0.0.1', dataDir: '/srv/waterline-data', device: 'auto', corsOrigins: [], maxRunningJobs: 1 });
  });

  it('parses CORS origin lists', () => {
    expect(resolveServerConfig({ cors: 'https://a.org, http://b.org:8080/' }, {}).corsOrigins).toEqual(['https://a.org', 'http://b.org:8080']);
  });

  it.each([
    [{ port: '99999' }, /--port .*"99999"/],
    [{ port: 'abc' }, /--port/],
    [{ device: 'tpu' }, /--device .*"tpu"/],
    [{ maxUploadMb: '-1' }, /--max-upload-mb/],
    [{ cors: 'ftp://x' }, /--cors .*not an origin/],
    [{ apiKey: 'short' }, /--api-key .*at least 8/],
  ])('refuses %o with one line naming the setting', (flags, message) => {
    let err: unknown;
    try {
      resolveServerConfig(flags, {});
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).not.toContain('\n');
    if ('apiKey' in flags) expect((err as Error).message).not.toContain('short');
  });
});
