#!/usr/bin/python3
"""Score U-Net model directories with `waterline eval` on the fixed validation split (205 Kaggle pairs)
and on the HELD-OUT shared scenes (truth: OpenStreetMap water; Korea: no water at all, so its figure is
the false-water fraction). The model runs alone (`--fusion none`: no fusion with the water index of scenes
that have NIR/SWIR, e.g. Recife), as on RGB-only imagery. Reporting only: nothing here feeds a training choice.

    /usr/bin/python3 models/unet2/eval_heldout.py models/unet models/unet9 [--skip-pairs] [--flip-views N] [--json out.json]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data as D  # noqa: E402

# scene -> OSM prefix (None: the scene holds no water; truth is an all-dry raster on its grid)
HELD_OUT = {
    'landsat8-ottawa-rgb16-utm18-cog.tif': 'landsat8-ottawa',
    'landsat7-bahamas-rgb-utm18.tif': 'landsat7-bahamas',
    'aerial-guadeloupe-allwater-3857.tif': 'aerial-guadeloupe',
    'landsat7-recife-6band-utm25s.tif': 'landsat7-recife',
    'landsat8-grenada-rgb16-utm20.tif': 'landsat8-grenada',
    'aerial-korea-nowater-3857-cog.tif': None,
}
assert sorted(HELD_OUT) == sorted(D.HELD_OUT_SCENES)


def waterline(args):
    out = subprocess.run(['node', os.path.join(D.REPO, 'bin', 'waterline.mjs'), 'eval', *args, '--json'],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def dry_truth(scene, tmp):
    from osgeo import gdal
    gdal.UseExceptions()
    ds = gdal.Open(scene)
    path = os.path.join(tmp, os.path.basename(scene) + '.dry.tif')
    out = gdal.GetDriverByName('GTiff').Create(path, ds.RasterXSize, ds.RasterYSize, 1, gdal.GDT_Byte)
    out.SetGeoTransform(ds.GetGeoTransform())
    out.SetProjection(ds.GetProjection())
    out.GetRasterBand(1).Fill(0)
    out = None
    return path


def val_pairs(shared, tmp):
    wb = os.path.join(shared, 'water-bodies')
    names = sorted(f for f in os.listdir(os.path.join(wb, 'images')) if os.path.exists(os.path.join(wb, 'masks', f)))
    _, val = D.split(len(names))
    for sub in ('images', 'masks'):
        os.makedirs(os.path.join(tmp, sub))
        for i in val:
            os.symlink(os.path.abspath(os.path.join(wb, sub, names[i])), os.path.join(tmp, sub, names[i]))
    return os.path.join(tmp, 'images'), os.path.join(tmp, 'masks')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('models', nargs='+', help='U-Net model directories (manifest.json + .onnx)')
    ap.add_argument('--shared', default=os.path.join(D.REPO, '..', 'shared', 'data'))
    ap.add_argument('--skip-pairs', action='store_true')
    ap.add_argument('--flip-views', type=int, default=1, help='as `waterline eval --flip-views` (1: none)')
    ap.add_argument('--json', help='also write all results here')
    args = ap.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        images, masks = val_pairs(args.shared, os.path.join(tmp, 'val'))
        for model in args.models:
            row = {'model': model}
            if not args.skip_pairs:
                r = waterline(['--images', images, '--masks', masks, '--model', model, '--flip-views', str(args.flip_views)])
                row['val'] = {k: r[k] for k in ('iou', 'f1', 'precision', 'recall', 'count')}
            for scene, prefix in HELD_OUT.items():
                path = os.path.join(args.shared, 'scenes', scene)
                if prefix is None:
                    truth = [dry_truth(path, tmp)]
                else:
                    truth = [p for p in (os.path.join(args.shared, 'osm-water', f'{prefix}.osm_{k}10m.geojson')
                                         for k in ('seas', 'waterbodies')) if os.path.exists(p)]
                r = waterline(['--scene', path, *sum((['--truth', t] for t in truth), []), '--model', model,
                               '--fusion', 'none', '--flip-views', str(args.flip_views)])
                row[scene] = {'iou': r['iou'], 'predicted': r['predictedWaterFraction'], 'truth': r['truthWaterFraction']}
            results.append(row)
            print(json.dumps(row), flush=True)
    water_scenes = [s for s, p in HELD_OUT.items() if p is not None]
    print('\n| model | val IoU | ' + ' | '.join(s.split('-')[1] for s in HELD_OUT) + ' | mean IoU (5 water scenes) |')
    print('|---|---|' + '---|' * len(HELD_OUT) + '---|')
    for row in results:
        cells = []
        for s, p in HELD_OUT.items():
            cells.append(f'{row[s]["predicted"]:.3f} false water' if p is None else f'{row[s]["iou"]:.3f}')
        mean = sum(row[s]['iou'] for s in water_scenes) / len(water_scenes)
        val = f'{row["val"]["iou"]:.4f}' if 'val' in row else '-'
        print(f'| {row["model"]} | {val} | ' + ' | '.join(cells) + f' | {mean:.3f} |')
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(results, f, indent=2)
    return 0


if __name__ == '__main__':
    sys.exit(main())
