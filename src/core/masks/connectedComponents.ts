/**
 * Connected components of a binary mask (two-pass union-find): 4-connectivity (pixels sharing an edge)
 * or 8 (pixels touching by a corner too). Components are numbered 1..count in raster-scan order of
 * their first pixel, which makes the labels stable for a given mask.
 */

export type Connectivity = 4 | 8;

/** Label connected water components (any truthy value is water); returns labels (0 = not water) and the component count. */
export function labelComponents(
  mask: ArrayLike<number>,
  width: number,
  height: number,
  connectivity: Connectivity = 4,
): { labels: Int32Array; count: number } {
  const labels = new Int32Array(width * height);
  let parent = new Int32Array(1024);
  let next = 1;
  const find = (a: number): number => {
    let r = a;
    while (parent[r] !== r) r = parent[r];
    while (parent[a] !== r) {
      const n = parent[a];
      parent[a] = r;
      a = n;
    }
    return r;
  };
  const union = (a: number, b: number): number => {
    const ra = find(a);
    const rb = find(b);
    if (ra === rb) return ra;
    if (ra < rb) {
      parent[rb] = ra;
      return ra;
    }
    parent[ra] = rb;
    return rb;
  };
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      const i = row + x;
      if (!mask[i]) continue;
      let l = 0;
      if (x > 0 && mask[i - 1]) l = labels[i - 1];
      if (y > 0) {
        const up = i - width;
        if (mask[up]) l = l ? union(l, labels[up]) : labels[up];
        if (connectivity === 8) {
          if (x > 0 && mask[up - 1]) l = l ? union(l, labels[up - 1]) : labels[up - 1];
          if (x + 1 < width && mask[up + 1]) l = l ? union(l, labels[up + 1]) : labels[up + 1];
        }
      }
      if (!l) {
        if (next >= parent.length) {
          const grown = new Int32Array(parent.length * 2);
          grown.set(parent);
          parent = grown;
        }
        parent[next] = next;
        l = next++;
      }
      labels[i] = l;
    }
  }
  // Compact roots to 1..count in scan order of first appearance.
  const compact = new Int32Array(next);
  let count = 0;
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    if (!l) continue;
    const r = find(l);
    if (!compact[r]) compact[r] = ++count;
    labels[i] = compact[r];
  }
  return { labels, count };
}
