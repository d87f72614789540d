/**
 * Exact Euclidean distance transform with anisotropic voxel spacing: the separable algorithm of
 * Felzenszwalb & Huttenlocher ("Distance Transforms of Sampled Functions", Theory of Computing
 * 8, 2012), one lower-envelope-of-parabolas pass per axis, O(voxels) time.
 */
import { checkSpacing } from './mask.js';
import type { Spacing } from './mask.js';

/**
 * Squared distance in mm² from every voxel centre to the nearest feature voxel centre.
 *
 * @param features - `[X, Y, Z]` row-major, non-zero = feature (distance 0)
 * @param shape - `[X, Y, Z]`
 * @param spacing - voxel size in mm `[sx, sy, sz]`
 * @returns Float64Array `[X, Y, Z]` of squared distances; all `Infinity` when there is no feature
 * @example
 * ```ts
 * // features at x = 0 in a 3x1x1 row with 2 mm voxels → [0, 4, 16]
 * squaredDistanceTransform(Uint8Array.of(1, 0, 0), [3, 1, 1], [2, 1, 1]);
 * ```
 */
export function squaredDistanceTransform(
  features: ArrayLike<number>,
  shape: readonly number[],
  spacing: Spacing,
): Float64Array {
  const [X, Y, Z] = shape as [number, number, number];
  const [sx, sy, sz] = checkSpacing(spacing);
  const d = new Float64Array(X * Y * Z);
  for (let i = 0; i < d.length; i++) d[i] = features[i] !== 0 ? 0 : Infinity;
  const longest = Math.max(X, Y, Z);
  const line = new Float64Array(longest);
  const scratch = {
    out: new Float64Array(longest),
    vertices: new Int32Array(longest),
    bounds: new Float64Array(longest + 1),
  };
  // z (stride 1), then y (stride Z), then x (stride Y·Z).
  transformAxis(d, X * Y, (r) => r * Z, 1, Z, sz, line, scratch);
  transformAxis(d, X * Z, (r) => Math.floor(r / Z) * Y * Z + (r % Z), Z, Y, sy, line, scratch);
  transformAxis(d, Y * Z, (r) => r, Y * Z, X, sx, line, scratch);
  return d;
}

interface Scratch {
  out: Float64Array;
  vertices: Int32Array;
  bounds: Float64Array;
}

function transformAxis(
  d: Float64Array,
  lines: number,
  lineStart: (r: number) => number,
  stride: number,
  length: number,
  step: number,
  line: Float64Array,
  scratch: Scratch,
): void {
  for (let r = 0; r < lines; r++) {
    const start = lineStart(r);
    for (let i = 0; i < length; i++) line[i] = d[start + i * stride]!;
    transformLine(line, length, step, scratch);
    for (let i = 0; i < length; i++) d[start + i * stride] = scratch.out[i]!;
  }
}

/**
 * 1-D pass: out[p] = min_q ((p − q)·step)² + f[q], the lower envelope of parabolas rooted at the
 * finite samples (infinite samples are skipped, so unreachable lines stay infinite).
 */
function transformLine(f: Float64Array, length: number, step: number, scratch: Scratch): void {
  const { out, vertices, bounds } = scratch;
  let k = -1;
  for (let q = 0; q < length; q++) {
    const fq = f[q]!;
    if (fq === Infinity) continue;
    const xq = q * step;
    let s = -Infinity;
    while (k >= 0) {
      const v = vertices[k]!;
      const xv = v * step;
      // Abscissa (mm) where the parabolas of q and v intersect.
      s = (fq + xq * xq - (f[v]! + xv * xv)) / (2 * (xq - xv));
      if (s > bounds[k]!) break;
      k--;
    }
    k++;
    vertices[k] = q;
    bounds[k] = k === 0 ? -Infinity : s;
    bounds[k + 1] = Infinity;
  }
  if (k < 0) {
    out.fill(Infinity, 0, length);
    return;
  }
  let j = 0;
  for (let p = 0; p < length; p++) {
    while (bounds[j + 1]! < p * step) j++;
    // (p − v)·step rather than p·step − v·step: exact for the integer offset, so that e.g.
    // 2·0.8 mm and 1.2 mm give exactly 2 mm.
    const dx = (p - vertices[j]!) * step;
    out[p] = dx * dx + f[vertices[j]!]!;
  }
}
