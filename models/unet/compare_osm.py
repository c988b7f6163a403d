#!/usr/bin/python3
"""Coarse check of a model on georeferenced scenes against OpenStreetMap water (not pixel truth).

For each scene: `waterline segment` writes WGS84 water polygons; those and the OSM polygons
(`<prefix>.osm_seas10m.geojson` + `<prefix>.osm_waterbodies10m.geojson`) are reprojected and rasterised
onto the scene's own grid with GDAL; pixels where band 1 is nodata are ignored. Prints water fractions
and IoU per scene as JSON lines.

    /usr/bin/python3 models/unet/compare_osm.py ../shared/data landsat8-ottawa-rgb16-utm18-cog.tif:landsat8-ottawa ...
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from osgeo import gdal, ogr, osr

gdal.UseExceptions()


def rasterise(vectors, ds, tmp):
    """Burn the union of WGS84 GeoJSON files onto ds's grid; returns a 0/1 array."""
    srs = osr.SpatialReference(wkt=ds.GetProjection())
    out = gdal.GetDriverByName('MEM').Create('', ds.RasterXSize, ds.RasterYSize, 1, gdal.GDT_Byte)
    out.SetGeoTransform(ds.GetGeoTransform())
    out.SetProjection(ds.GetProjection())
    for i, path in enumerate(vectors):
        if not os.path.exists(path):
            continue
        reproj = os.path.join(tmp, f'v{i}.gpkg')
        gdal.VectorTranslate(reproj, path, dstSRS=srs.ExportToWkt(), format='GPKG', reproject=True)
        v = ogr.Open(reproj)
        gdal.RasterizeLayer(out, [1], v.GetLayer(0), burn_values=[1])
        v = None
    return out.GetRasterBand(1).ReadAsArray().astype(bool)


def osm_water_files(data, prefix):
    """The OSM sea and water-body GeoJSON files of a scene (either may be absent)."""
    return [os.path.join(data, 'osm-water', f'{prefix}.osm_{kind}10m.geojson') for kind in ('seas', 'waterbodies')]


def main():
    data = sys.argv[1]
    model = os.environ.get('WATERLINE_MODEL', 'waterline-unet')
    for spec in sys.argv[2:]:
        scene, prefix = spec.split(':')
        path = os.path.join(data, 'scenes', scene)
        with tempfile.TemporaryDirectory() as tmp:
            ours = os.path.join(tmp, 'ours.geojson')
            subprocess.run(['node', 'bin/waterline.mjs', 'segment', path, '-o', ours, '--model', model, '--device', 'cpu'],
                           check=True, stderr=subprocess.DEVNULL)
            ds = gdal.Open(path)
            band = ds.GetRasterBand(1)
            arr = band.ReadAsArray()
            nodata = band.GetNoDataValue()
            valid = np.ones(arr.shape, bool) if nodata is None else arr != nodata
            pred = rasterise([ours], ds, tmp) & valid
            osm = rasterise(osm_water_files(data, prefix), ds, tmp) & valid
            inter = int(np.sum(pred & osm))
            union = int(np.sum(pred | osm))
            print(json.dumps({'scene': scene, 'model': model, 'validPixels': int(valid.sum()),
                              'waterFraction': round(float(pred.sum() / valid.sum()), 4),
                              'osmWaterFraction': round(float(osm.sum() / valid.sum()), 4),
                              'iouVsOsm': round(inter / union, 4) if union else 1.0}), flush=True)


if __name__ == '__main__':
    main()
