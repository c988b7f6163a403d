import { homedir, tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { createClientText } from '../../src/http/clientText.ts';

describe('client text', () => {
  const text = createClientText({ dataDirs: ['/srv/waterline-data'], serverDirs: ['/opt/models-cache'] });

  it('names data-directory files relatively and hides every other server path', () => {
    expect(text('/srv/waterline-data/uploads/.0b6c2e4e-aaaa.part: truncated TIFF (x)')).toBe('the upload: truncated TIFF (x)');
    expect(text('/srv/waterline-data/rivers/a.tif: not georeferenced')).toBe('rivers/a.tif: not georeferenced');
    expect(text('the segmentation VAE /opt/models-cache/vae/vae-oid.npz is missing')).toBe('the segmentation VAE <server path> is missing');
    expect(text(`ENOENT: no such file, open '${tmpdir()}/x/y.onnx'`)).toBe("ENOENT: no such file, open '<server path>'");
    expect(text(`${homedir()}/.cache/waterline/models/a/b: bad`)).toBe('<server path>: bad');
    expect(text('cannot read /etc/passwd or /dev/zero')).toBe('cannot read <server path> or <server path>');
    expect(text('scene in <data directory>: /srv/waterline-data')).toBe('scene in <data directory>: <data directory>');
  });

  it('keeps API paths', () => {
    const hint = 'job x has no result yet (poll GET /jobs/{id} until state is succeeded; see /openapi.json and GET /scenes)';
    expect(text(hint)).toBe(hint);
  });

  it('drops hints that suggest CLI flags or commands and names flags as options', () => {
    expect(text('the model m could not be loaded: VAE missing (run `waterline models pull vae` or pass --vae <vae-oid.npz>)')).toBe('the model m could not be loaded: VAE missing');
    expect(text('x.tif: --bands "9" is not 1 or 3 band numbers between 1 and 3 (use a band between 1 and 3)')).toBe('x.tif: bands "9" is not 1 or 3 band numbers between 1 and 3 (use a band between 1 and 3)');
    expect(text('bad tiling (adjust --size / --overlap)')).toBe('bad tiling');
    expect(text('a-b--c stays')).toBe('a-b--c stays');
  });
});
