/**
 * Rebuilds a run folder's figures (`loss.png`, `dice.png`, `overlay.png`) and `report.html` from
 * what the run wrote (`config.json`, `metrics.jsonl`, `overlay.json`), so `report` works on a
 * finished, interrupted or copied run alike.
 */
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import type { SpleenConfig } from './config.js';
import { writeFileAtomic } from './files.js';
import { lineChartSvg, type Series } from './figures/lineChart.js';
import { overlaySvg, type OverlayData } from './figures/overlay.js';
import { escapeXml, renderSvgToPng } from './figures/render.js';
import {
  readJson,
  readMetrics,
  runPaths,
  type EpochRecord,
  type MetricsRecord,
  type ValidationRecord,
} from './runFolder.js';

const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b'];

/** Which files {@link buildReport} wrote. */
export interface ReportFiles {
  figures: string[];
  html: string;
}

/** Writes the figures and `report.html` of `runDir`. */
export async function buildReport(runDir: string): Promise<ReportFiles> {
  const paths = runPaths(runDir);
  const config = await readJson<SpleenConfig>(paths.config);
  const history = await readMetrics(runDir);
  const figures: string[] = [];
  await writeFileAtomic(paths.lossPng, renderSvgToPng(lossChart(history)));
  figures.push(paths.lossPng);
  await writeFileAtomic(paths.dicePng, renderSvgToPng(diceChart(history)));
  figures.push(paths.dicePng);
  let overlay: OverlayData | undefined;
  if (existsSync(paths.overlayData)) {
    overlay = await readJson<OverlayData>(paths.overlayData);
    await writeFileAtomic(paths.overlayPng, renderSvgToPng(overlaySvg(overlay)));
    figures.push(paths.overlayPng);
  }
  await writeFileAtomic(paths.report, reportHtml(runDir, config, history, overlay));
  return { figures, html: paths.report };
}

/** Loss per epoch as an SVG chart, with a moving average when the curve is long and noisy. */
export function lossChart(history: MetricsRecord[]): string {
  const epochs = history.filter((r): r is EpochRecord => r.kind === 'epoch');
  const series: Series[] = [
    {
      name: 'training loss (DiceCE)',
      color: epochs.length > 30 ? '#9ecae1' : PALETTE[0],
      points: epochs.map((r) => [r.epoch, r.loss]),
      markers: epochs.length < 30,
    },
  ];
  if (epochs.length > 30) {
    // One optimiser step per epoch on small data makes the raw curve jumpy; a centred-right
    // moving average over the last 10 epochs shows the trend.
    const window = 10;
    series.push({
      name: `moving average (${window} epochs)`,
      color: PALETTE[0],
      points: epochs.map((r, i) => {
        const part = epochs.slice(Math.max(0, i - window + 1), i + 1);
        return [r.epoch, part.reduce((s, p) => s + p.loss, 0) / part.length];
      }),
    });
  }
  return lineChartSvg(series, {
    title: 'Training loss',
    xLabel: 'epoch',
    yLabel: 'mean loss per epoch',
    xRange: [0, Math.max(1, ...epochs.map((r) => r.epoch))],
  });
}

/** Validation Dice (mean and per case) per epoch as an SVG chart. */
export function diceChart(history: MetricsRecord[]): string {
  const validations = history.filter((r): r is ValidationRecord => r.kind === 'validation');
  const names = [...new Set(validations.flatMap((v) => v.cases.map((c) => c.name)))];
  const series: Series[] = [
    {
      name: 'mean Dice',
      color: PALETTE[0],
      points: validations.map((v) => [v.epoch, v.meanDice]),
      markers: true,
    },
  ];
  if (names.length > 1) {
    names.forEach((name, i) =>
      series.push({
        name,
        color: PALETTE[(i + 1) % PALETTE.length],
        dashed: true,
        points: validations.map((v) => [
          v.epoch,
          v.cases.find((c) => c.name === name)?.dice ?? NaN,
        ]),
      }),
    );
  }
  const lastEpoch = Math.max(1, ...history.map((r) => r.epoch));
  return lineChartSvg(series, {
    title: 'Validation Dice (foreground, sliding window)',
    xLabel: 'epoch',
    yLabel: 'Dice',
    yRange: [0, 1],
    xRange: [0, lastEpoch],
  });
}

function reportHtml(
  runDir: string,
  config: SpleenConfig,
  history: MetricsRecord[],
  overlay: OverlayData | undefined,
): string {
  const validations = history.filter((r): r is ValidationRecord => r.kind === 'validation');
  const epochs = history.filter((r): r is EpochRecord => r.kind === 'epoch');
  const best = validations.reduce<ValidationRecord | undefined>(
    (b, v) => (!b || v.meanDice > b.meanDice ? v : b),
    undefined,
  );
  const seconds =
    epochs.reduce((s, r) => s + r.seconds, 0) + validations.reduce((s, r) => s + r.seconds, 0);
  const rows = validations
    .map(
      (v) =>
        `<tr><td>${v.epoch}</td><td>${v.meanDice.toFixed(4)}</td><td>${v.cases
          .map(
            (c) =>
              `${escapeXml(c.name)}: ${c.dice.toFixed(4)}${c.hd95 !== undefined ? `, HD95 ${fmt(c.hd95)} mm` : ''}${c.surfaceDice !== undefined ? `, NSD ${fmt(c.surfaceDice)}` : ''}`,
          )
          .join('<br>')}</td><td>${v.best ? '★' : ''}</td></tr>`,
    )
    .join('\n');
  const img = (file: string, alt: string) =>
    `<figure><img src="${file}" alt="${alt}"><figcaption>${alt}</figcaption></figure>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Spleen run ${escapeXml(basename(runDir))}</title>
<style>body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}
img{max-width:100%;border:1px solid #ddd}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}
pre{background:#f6f6f6;padding:1em;overflow:auto}</style></head><body>
<h1>Spleen segmentation run <code>${escapeXml(basename(runDir))}</code></h1>
<p>Preset <b>${escapeXml(config.preset)}</b>, ${epochs.length} of ${config.epochs} epochs, ${(seconds / 60).toFixed(1)} min of training and validation.
Best mean Dice <b>${best ? best.meanDice.toFixed(4) : 'n/a'}</b>${best ? ` at epoch ${best.epoch}` : ''}.</p>
${img('loss.png', 'Training loss per epoch')}
${img('dice.png', 'Validation Dice per epoch')}
${overlay ? img('overlay.png', `Best checkpoint on ${escapeXml(overlay.caseName)}: CT, ground truth, prediction`) : '<p>No overlay yet (no validation has run).</p>'}
<h2>Validation</h2>
<table><tr><th>epoch</th><th>mean Dice</th><th>per case</th><th>best</th></tr>
${rows}
</table>
<h2>Configuration</h2>
<pre>${escapeXml(JSON.stringify(config, null, 2))}</pre>
</body></html>
`;
}

function fmt(v: number): string {
  return Number.isFinite(v) ? v.toFixed(2) : String(v);
}
