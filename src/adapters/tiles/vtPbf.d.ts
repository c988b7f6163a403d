// Types for vt-pbf 3 (the package ships none): serialize geojson-vt tiles as Mapbox Vector Tile protobuf.
declare module 'vt-pbf' {
  export function fromGeojsonVt(
    layers: Record<string, { features: unknown[] }>,
    options?: { version?: number; extent?: number },
  ): Uint8Array;
}
