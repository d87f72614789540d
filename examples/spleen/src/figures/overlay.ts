/**
 * The overlay figure: for one validation case, an axial and a coronal slice through the largest
 * label area, shown as CT alone, CT with the ground truth, and CT with the prediction.
 */
import { PNG } from 'pngjs';
import { escapeXml, FONT_FAMILY } from './render.js';

/** A 2D slice ready to draw: row 0 is the top of the picture, column 0 its left. */
export interface OverlaySlice {
  plane: 'axial' | 'coronal';
  /** Index of the slice along the volume axis it cuts (z for axial, y for coronal). */
  index: number;
  width: number;
  height: number;
  /** Physical pixel size in mm (so the picture keeps the anatomy's proportions). */
  pixelWidth: number;
  pixelHeight: number;
  /** Intensities in 0..1, `height × width`, row-major. */
  image: number[];
  /** Ground truth and prediction, 0/1, same layout. */
  label: number[];
  prediction: number[];
}

/** What the overlay figure shows for a case. */
export interface OverlayData {
  caseName: string;
  epoch: number;
  dice: number;
  slices: OverlaySlice[];
}

/**
 * Picks the axial and coronal slices with the largest label area from channel-less volumes of
 * shape `[X, Y, Z]` in RAS orientation, and lays them out in radiological convention (patient
 * right on the viewer's left, anterior / superior at the top).
 *
 * @param image - intensities in 0..1, `[X, Y, Z]` row-major.
 * @param label - ground truth 0/1.
 * @param prediction - predicted 0/1.
 * @param spacing - voxel size in mm (x, y, z).
 */
export function extractOverlaySlices(
  image: ArrayLike<number>,
  label: ArrayLike<number>,
  prediction: ArrayLike<number>,
  shape: [number, number, number],
  spacing: [number, number, number],
): OverlaySlice[] {
  const [X, Y, Z] = shape;
  const at = (x: number, y: number, z: number) => (x * Y + y) * Z + z;
  const areaZ = new Array<number>(Z).fill(0);
  const areaY = new Array<number>(Y).fill(0);
  for (let x = 0; x < X; x++) {
    for (let y = 0; y < Y; y++) {
      for (let z = 0; z < Z; z++) {
        if (label[at(x, y, z)] > 0) {
          areaZ[z]++;
          areaY[y]++;
        }
      }
    }
  }
  const argmaxOf = (a: number[]) =>
    a.reduce((best, v, i) => (v > a[best] ? i : best), Math.floor(a.length / 2));
  const zBest = argmaxOf(areaZ);
  const yBest = argmaxOf(areaY);
  const axial = sliceOf('axial', zBest, X, Y, spacing[0], spacing[1], (col, row) =>
    at(X - 1 - col, Y - 1 - row, zBest),
  );
  const coronal = sliceOf('coronal', yBest, X, Z, spacing[0], spacing[2], (col, row) =>
    at(X - 1 - col, yBest, Z - 1 - row),
  );
  return [axial, coronal];

  function sliceOf(
    plane: 'axial' | 'coronal',
    index: number,
    width: number,
    height: number,
    pixelWidth: number,
    pixelHeight: number,
    source: (col: number, row: number) => number,
  ): OverlaySlice {
    const n = width * height;
    const out: OverlaySlice = {
      plane,
      index,
      width,
      height,
      pixelWidth,
      pixelHeight,
      image: new Array<number>(n),
      label: new Array<number>(n),
      prediction: new Array<number>(n),
    };
    for (let row = 0; row < height; row++) {
      for (let col = 0; col < width; col++) {
        const s = source(col, row);
        const d = row * width + col;
        out.image[d] = Math.round(Math.min(1, Math.max(0, image[s])) * 1000) / 1000;
        out.label[d] = label[s] > 0 ? 1 : 0;
        out.prediction[d] = prediction[s] > 0 ? 1 : 0;
      }
    }
    return out;
  }
}

/** Colours (RGB) of the ground-truth and prediction overlays. */
const GROUND_TRUTH: [number, number, number] = [40, 200, 80];
const PREDICTION: [number, number, number] = [235, 60, 60];

/** Builds the overlay figure as SVG (panels embedded as PNG images). */
export function overlaySvg(data: OverlayData): string {
  // Each panel fits a 380 × 300 box at the slice's physical proportions.
  const boxW = 380;
  const boxH = 300;
  const columns = ['CT', 'CT + ground truth', 'CT + prediction'];
  const rows = data.slices.map((s) => {
    const physW = s.width * s.pixelWidth;
    const physH = s.height * s.pixelHeight;
    const scale = Math.min(boxW / physW, boxH / physH);
    return { slice: s, w: Math.round(physW * scale), h: Math.round(physH * scale) };
  });
  const panelW = Math.max(...rows.map((r) => r.w));
  const rowY: number[] = [];
  let yCursor = 70;
  for (const r of rows) {
    rowY.push(yCursor);
    yCursor += r.h + 30;
  }
  const left = 110;
  const top = 70;
  const gap = 14;
  const width = left + columns.length * (panelW + gap) + 10;
  const height = yCursor + 30;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="${width}" height="${height}" font-family="${FONT_FAMILY}">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="26" font-size="18" font-weight="600" text-anchor="middle">${escapeXml(
      `${data.caseName} — epoch ${data.epoch}, Dice ${data.dice.toFixed(3)}`,
    )}</text>`,
  ];
  columns.forEach((title, c) => {
    parts.push(
      `<text x="${left + c * (panelW + gap) + panelW / 2}" y="${top - 12}" font-size="14" text-anchor="middle">${escapeXml(title)}</text>`,
    );
  });
  rows.forEach(({ slice, w, h }, r) => {
    const y = rowY[r];
    const axis = slice.plane === 'axial' ? 'z' : 'y';
    parts.push(
      `<text x="${left - 12}" y="${y + h / 2}" font-size="14" text-anchor="end">${slice.plane}</text>`,
      `<text x="${left - 12}" y="${y + h / 2 + 18}" font-size="12" fill="#555" text-anchor="end">${axis} = ${slice.index}</text>`,
    );
    const variants: ('none' | 'label' | 'prediction')[] = ['none', 'label', 'prediction'];
    variants.forEach((variant, c) => {
      const x = left + c * (panelW + gap) + (panelW - w) / 2;
      const png = panelPng(slice, variant);
      parts.push(
        `<image x="${x}" y="${y}" width="${w}" height="${h}" preserveAspectRatio="none" xlink:href="data:image/png;base64,${Buffer.from(png).toString('base64')}"/>`,
        `<text x="${x + 4}" y="${y + h / 2 + 4}" font-size="13" font-weight="600" fill="#ff0" stroke="#000" stroke-width="0.5">R</text>`,
        `<text x="${x + w - 12}" y="${y + h / 2 + 4}" font-size="13" font-weight="600" fill="#ff0" stroke="#000" stroke-width="0.5">L</text>`,
        `<text x="${x + w / 2}" y="${y + 13}" font-size="13" font-weight="600" fill="#ff0" stroke="#000" stroke-width="0.5" text-anchor="middle">${slice.plane === 'axial' ? 'A' : 'S'}</text>`,
      );
    });
  });
  const ly = height - 22;
  parts.push(
    `<rect x="${left}" y="${ly - 11}" width="14" height="14" fill="rgb(${GROUND_TRUTH.join(',')})"/>`,
    `<text x="${left + 20}" y="${ly}" font-size="13">ground truth (spleen)</text>`,
    `<rect x="${left + 200}" y="${ly - 11}" width="14" height="14" fill="rgb(${PREDICTION.join(',')})"/>`,
    `<text x="${left + 220}" y="${ly}" font-size="13">prediction</text>`,
    `<text x="${width - 10}" y="${ly}" font-size="11" fill="#555" text-anchor="end">radiological view: patient right on the left</text>`,
    '</svg>',
  );
  return parts.join('\n');
}

/** One panel as PNG: grey CT, optionally with a translucent fill and an opaque outline. */
function panelPng(slice: OverlaySlice, variant: 'none' | 'label' | 'prediction'): Uint8Array {
  const { width, height } = slice;
  const png = new PNG({ width, height });
  const mask =
    variant === 'label' ? slice.label : variant === 'prediction' ? slice.prediction : undefined;
  const color = variant === 'label' ? GROUND_TRUTH : PREDICTION;
  for (let row = 0; row < height; row++) {
    for (let col = 0; col < width; col++) {
      const i = row * width + col;
      const grey = Math.round(slice.image[i] * 255);
      let rgb: [number, number, number] = [grey, grey, grey];
      if (mask && mask[i] > 0) {
        const edge =
          col === 0 ||
          row === 0 ||
          col === width - 1 ||
          row === height - 1 ||
          !mask[i - 1] ||
          !mask[i + 1] ||
          !mask[i - width] ||
          !mask[i + width];
        const alpha = edge ? 1 : 0.4;
        rgb = [0, 1, 2].map((k) => Math.round(grey * (1 - alpha) + color[k] * alpha)) as [
          number,
          number,
          number,
        ];
      }
      const o = i * 4;
      png.data[o] = rgb[0];
      png.data[o + 1] = rgb[1];
      png.data[o + 2] = rgb[2];
      png.data[o + 3] = 255;
    }
  }
  return PNG.sync.write(png);
}
