/**
 * Orientation codes. A code string such as `'RAS'` says, for each voxel axis i, j, k, towards
 * which anatomical direction the index grows, in the RAS+ world of NIfTI: `R`/`L` for world x,
 * `A`/`P` for world y, `S`/`I` for world z. Codes are derived as nibabel's `aff2axcodes` does: the
 * linear part is normalised per column, replaced by its nearest orthogonal matrix, and each voxel
 * axis in turn takes the world axis it is most aligned with.
 */
import type { Affine } from './affine.js';
import { ArgumentError } from './errors.js';

/** For each voxel axis: the world axis (0 = x, 1 = y, 2 = z) it follows and the sign. */
export interface AxisOrientation {
  /** World axis the voxel axis follows: 0 = x (R/L), 1 = y (A/P), 2 = z (S/I). */
  worldAxis: number;
  /** +1 when the index grows towards R, A or S; -1 towards L, P or I. */
  sign: 1 | -1;
}

/**
 * How to reorder a volume's spatial axes: output axis `a` reads source axis `perm[a]`, reversed
 * when `flip[a]` is true.
 */
export interface AxisTransform {
  /** Source spatial axis read by each output axis. */
  perm: [number, number, number];
  /** Whether each output axis runs opposite to its source axis. */
  flip: [boolean, boolean, boolean];
}

const POSITIVE = ['R', 'A', 'S'];
const NEGATIVE = ['L', 'P', 'I'];

/**
 * World axis and direction of each voxel axis of an affine (nibabel's `io_orientation`).
 * Throws {@link ArgumentError} if a voxel axis has no direction (singular affine).
 */
export function orientationFromAffine(affine: Affine): AxisOrientation[] {
  const rs = normalisedColumns(affine);
  const r = nearestOrthogonal(rs) ?? rs;
  const out: AxisOrientation[] = [];
  for (let col = 0; col < 3; col++) {
    let best = -1;
    let bestAbs = 0;
    for (let row = 0; row < 3; row++) {
      const v = Math.abs(r[row * 3 + col]);
      if (v > bestAbs + 1e-12) {
        best = row;
        bestAbs = v;
      }
    }
    if (best < 0) {
      throw new ArgumentError('affine has a voxel axis with no world direction', {
        field: `affine column ${col}`,
        expected: 'a non-zero direction',
      });
    }
    out.push({ worldAxis: best, sign: r[best * 3 + col] < 0 ? -1 : 1 });
    for (let c = 0; c < 3; c++) r[best * 3 + c] = 0;
  }
  return out;
}

/**
 * Orientation codes of an affine, e.g. `'RAS'`, `'LPS'`, `'PLI'`.
 *
 * @example
 * ```ts
 * axcodesFromAffine(affineFromRows([[-1,0,0,0],[0,-1,0,0],[0,0,1,0]])); // 'LPS'
 * ```
 */
export function axcodesFromAffine(affine: Affine): string {
  return orientationFromAffine(affine)
    .map((o) => (o.sign > 0 ? POSITIVE : NEGATIVE)[o.worldAxis])
    .join('');
}

/** Parses and validates a code string such as `'RAS'` into per-axis orientations. */
export function parseAxcodes(codes: string): AxisOrientation[] {
  const upper = codes.toUpperCase();
  if (upper.length !== 3) {
    throw new ArgumentError('orientation codes need three letters', {
      field: 'axcodes',
      expected: 'three of R/L, A/P, S/I, e.g. "RAS"',
      actual: codes,
    });
  }
  const out: AxisOrientation[] = [];
  const seen = new Set<number>();
  for (const ch of upper) {
    const pos = POSITIVE.indexOf(ch);
    const neg = NEGATIVE.indexOf(ch);
    const worldAxis = pos >= 0 ? pos : neg;
    if (worldAxis < 0 || seen.has(worldAxis)) {
      throw new ArgumentError('orientation codes must name each world axis once', {
        field: 'axcodes',
        expected: 'one each of R/L, A/P, S/I',
        actual: codes,
      });
    }
    seen.add(worldAxis);
    out.push({ worldAxis, sign: pos >= 0 ? 1 : -1 });
  }
  return out;
}

/**
 * The axis reordering that turns a volume in orientation `from` into orientation `to`.
 *
 * @example
 * ```ts
 * orientationTransform('LPS', 'RAS'); // { perm: [0, 1, 2], flip: [true, true, false] }
 * ```
 */
export function orientationTransform(
  from: string | AxisOrientation[],
  to: string | AxisOrientation[],
): AxisTransform {
  const src = typeof from === 'string' ? parseAxcodes(from) : from;
  const dst = typeof to === 'string' ? parseAxcodes(to) : to;
  const perm: [number, number, number] = [0, 0, 0];
  const flip: [boolean, boolean, boolean] = [false, false, false];
  for (let a = 0; a < 3; a++) {
    const s = src.findIndex((o) => o.worldAxis === dst[a].worldAxis);
    perm[a] = s;
    flip[a] = src[s].sign !== dst[a].sign;
  }
  return { perm, flip };
}

/**
 * The affine of a volume after its spatial axes are reordered by `transform`; `shape` is the
 * source spatial shape `[X, Y, Z]`. World positions of all voxel values are preserved.
 */
export function reorientAffine(
  affine: Affine,
  shape: readonly number[],
  transform: AxisTransform,
): Affine {
  // t maps a new voxel index to the old one: old[perm[a]] = flip ? shape - 1 - new[a] : new[a].
  const t = new Float64Array(16);
  t[15] = 1;
  for (let a = 0; a < 3; a++) {
    const s = transform.perm[a];
    t[s * 4 + a] = transform.flip[a] ? -1 : 1;
    t[s * 4 + 3] = transform.flip[a] ? shape[s] - 1 : 0;
  }
  const out = new Float64Array(16);
  for (let r = 0; r < 4; r++) {
    for (let c = 0; c < 4; c++) {
      let v = 0;
      for (let k = 0; k < 4; k++) v += affine[r * 4 + k] * t[k * 4 + c];
      out[r * 4 + c] = v;
    }
  }
  return out;
}

function normalisedColumns(affine: Affine): number[] {
  const m = new Array<number>(9);
  for (let c = 0; c < 3; c++) {
    const norm = Math.hypot(affine[c], affine[4 + c], affine[8 + c]) || 1;
    for (let r = 0; r < 3; r++) m[r * 3 + c] = affine[r * 4 + c] / norm;
  }
  return m;
}

/** Orthogonal polar factor by Newton iteration; undefined when the matrix is singular. */
function nearestOrthogonal(m: number[]): number[] | undefined {
  let r = m.slice();
  for (let iter = 0; iter < 50; iter++) {
    const inv = invert3(r);
    if (!inv) return undefined;
    const next = r.map((v, i) => 0.5 * (v + inv[(i % 3) * 3 + Math.floor(i / 3)]));
    let delta = 0;
    for (let i = 0; i < 9; i++) delta = Math.max(delta, Math.abs(next[i] - r[i]));
    r = next;
    if (delta < 1e-14) break;
  }
  return r;
}

function invert3(m: number[]): number[] | undefined {
  const [a, b, c, d, e, f, g, h, i] = m;
  const A = e * i - f * h;
  const B = -(d * i - f * g);
  const C = d * h - e * g;
  const det = a * A + b * B + c * C;
  if (!Number.isFinite(det) || Math.abs(det) < 1e-12) return undefined;
  return [
    A / det,
    -(b * i - c * h) / det,
    (b * f - c * e) / det,
    B / det,
    (a * i - c * g) / det,
    -(a * f - c * d) / det,
    C / det,
    -(a * h - b * g) / det,
    (a * e - b * d) / det,
  ];
}
