/**
 * A small SVG line chart (axes, ticks, labels, legend): enough for loss and Dice curves without
 * a plotting dependency.
 */
import { escapeXml, FONT_FAMILY } from './render.js';

/** One line on the chart. */
export interface Series {
  name: string;
  /** `[x, y]` points; non-finite y values are skipped. */
  points: [number, number][];
  color: string;
  /** Draw a marker at each point (useful when there are few). */
  markers?: boolean;
  dashed?: boolean;
}

/** Chart text and ranges. */
export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  /** Fixed y range; default: the data's range with a margin. */
  yRange?: [number, number];
  /** Fixed x range; default: the data's range. */
  xRange?: [number, number];
  width?: number;
  height?: number;
}

/** Draws `series` as an SVG document. */
export function lineChartSvg(series: Series[], options: LineChartOptions): string {
  const width = options.width ?? 720;
  const height = options.height ?? 420;
  const margin = { left: 72, right: 24, top: 48, bottom: 60 };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const all = series.flatMap((s) =>
    s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y)),
  );
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => p[1]);
  const [x0, x1raw] = options.xRange ?? [Math.min(...xs, 0), Math.max(...xs, 1)];
  const x1 = x1raw > x0 ? x1raw : x0 + 1;
  let [y0, y1] = options.yRange ?? padRange(Math.min(...ys), Math.max(...ys));
  if (!Number.isFinite(y0) || !Number.isFinite(y1)) [y0, y1] = [0, 1];
  if (y1 <= y0) y1 = y0 + 1;
  const sx = (x: number) => margin.left + ((x - x0) / (x1 - x0)) * plotW;
  const sy = (y: number) => margin.top + plotH - ((y - y0) / (y1 - y0)) * plotH;

  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="${FONT_FAMILY}">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="28" font-size="18" font-weight="600" text-anchor="middle">${escapeXml(options.title)}</text>`,
  );
  for (const t of niceTicks(y0, y1, 8)) {
    const y = sy(t);
    parts.push(
      `<line x1="${margin.left}" x2="${margin.left + plotW}" y1="${y}" y2="${y}" stroke="#e4e4e4"/>`,
      `<text x="${margin.left - 8}" y="${y + 4}" font-size="12" text-anchor="end">${formatTick(t)}</text>`,
    );
  }
  for (const t of niceTicks(x0, x1, 8)) {
    const x = sx(t);
    parts.push(
      `<line x1="${x}" x2="${x}" y1="${margin.top + plotH}" y2="${margin.top + plotH + 5}" stroke="#333"/>`,
      `<text x="${x}" y="${margin.top + plotH + 20}" font-size="12" text-anchor="middle">${formatTick(t)}</text>`,
    );
  }
  parts.push(
    `<rect x="${margin.left}" y="${margin.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333"/>`,
    `<text x="${margin.left + plotW / 2}" y="${height - 16}" font-size="14" text-anchor="middle">${escapeXml(options.xLabel)}</text>`,
    `<text transform="translate(20 ${margin.top + plotH / 2}) rotate(-90)" font-size="14" text-anchor="middle">${escapeXml(options.yLabel)}</text>`,
  );
  for (const s of series) {
    const pts = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    if (pts.length === 0) continue;
    const d = pts
      .map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`)
      .join(' ');
    parts.push(
      `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
    );
    if (s.markers || pts.length === 1) {
      for (const [x, y] of pts) {
        parts.push(
          `<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="3.5" fill="${s.color}"/>`,
        );
      }
    }
  }
  // Legend in the top-right corner of the plot, on a white box so curves do not hide it.
  const legendW = 16 + Math.max(...series.map((s) => s.name.length), 4) * 7.5 + 28;
  const legendX = margin.left + plotW - legendW - 8;
  parts.push(
    `<rect x="${legendX}" y="${margin.top + 8}" width="${legendW}" height="${series.length * 20 + 8}" fill="white" fill-opacity="0.9" stroke="#bbb"/>`,
  );
  series.forEach((s, i) => {
    const y = margin.top + 22 + i * 20;
    parts.push(
      `<line x1="${legendX + 8}" x2="${legendX + 32}" y1="${y - 4}" y2="${y - 4}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
      `<text x="${legendX + 38}" y="${y}" font-size="12">${escapeXml(s.name)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}

function padRange(lo: number, hi: number): [number, number] {
  const span = hi - lo || Math.abs(hi) || 1;
  return [lo - 0.05 * span, hi + 0.05 * span];
}

/** Round tick values (1, 2, 5 × 10^k steps) covering `[lo, hi]`. */
function niceTicks(lo: number, hi: number, count: number): number[] {
  const raw = (hi - lo) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) {
    ticks.push(Math.abs(t) < step * 1e-9 ? 0 : t);
  }
  return ticks;
}

function formatTick(t: number): string {
  if (Number.isInteger(t)) return String(t);
  return Number(t.toPrecision(3)).toString();
}
