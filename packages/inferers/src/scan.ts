/**
 * Window placement for sliding-window inference: the scan interval per axis and the start index
 * of every window, with MONAI 1.4's arithmetic (`_get_scan_interval` and `dense_patch_slices`),
 * so that a model reproduces MONAI's blending window for window.
 */

/**
 * Step between neighbouring window starts along each axis.
 *
 * An axis whose (padded) image size equals the roi size gets a single window, so its interval is
 * the roi size. Otherwise the interval is `floor(roiSize * (1 - overlap))`, raised to 1 when that
 * would be 0 (roi size 1 with overlap > 0; MONAI issue #906).
 *
 * @param imageSize - padded spatial size `[X, Y, Z]` (each ≥ the roi size)
 * @param roiSize - window size `[rx, ry, rz]`
 * @param overlap - overlap fraction per axis, each in [0, 1)
 * @returns the interval per axis, in voxels
 * @example
 * ```ts
 * getScanInterval([40, 33, 27], [16, 16, 16], [0.25, 0.25, 0.25]); // [12, 12, 12]
 * ```
 */
export function getScanInterval(
  imageSize: readonly number[],
  roiSize: readonly number[],
  overlap: readonly number[],
): number[] {
  return imageSize.map((size, axis) => {
    const roi = roiSize[axis]!;
    if (roi === size) return roi;
    // Same float arithmetic as Python's int(roi * (1 - o)): truncation of a double.
    const interval = Math.trunc(roi * (1 - overlap[axis]!));
    return interval > 0 ? interval : 1;
  });
}

/**
 * Start indices of the windows along one axis: multiples of the interval until a window reaches
 * the end, the last one shifted back so that it ends exactly at the image border.
 *
 * @param size - padded image size along the axis
 * @param roi - window size along the axis (≤ size)
 * @param interval - scan interval along the axis (≥ 1)
 * @returns ascending start indices; the first is 0 and the last is `size - roi`
 * @example
 * ```ts
 * axisWindowStarts(33, 16, 12); // [0, 12, 17]
 * ```
 */
export function axisWindowStarts(size: number, roi: number, interval: number): number[] {
  const starts: number[] = [];
  for (let index = 0; ; index++) {
    const start = index * interval;
    if (start + roi >= size) {
      starts.push(size - roi);
      break;
    }
    starts.push(start);
  }
  return starts;
}

/**
 * Start corner `[x, y, z]` of every window, in MONAI's order (first axis slowest).
 *
 * @param imageSize - padded spatial size `[X, Y, Z]`
 * @param roiSize - window size (each ≤ the image size)
 * @param scanInterval - from {@link getScanInterval}
 * @returns one `[x, y, z]` per window
 * @example
 * ```ts
 * denseWindowStarts([16, 20, 16], [16, 16, 16], [16, 12, 16]); // [[0, 0, 0], [0, 4, 0]]
 * ```
 */
export function denseWindowStarts(
  imageSize: readonly number[],
  roiSize: readonly number[],
  scanInterval: readonly number[],
): number[][] {
  const perAxis = imageSize.map((size, axis) =>
    axisWindowStarts(size, roiSize[axis]!, scanInterval[axis]!),
  );
  const starts: number[][] = [];
  for (const x of perAxis[0]!) {
    for (const y of perAxis[1]!) {
      for (const z of perAxis[2]!) starts.push([x, y, z]);
    }
  }
  return starts;
}
