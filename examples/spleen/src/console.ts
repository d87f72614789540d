/**
 * What the user sees: a `Logger` that writes to the terminal (plain or JSON lines) and to
 * `<runDir>/train.log`, and progress bars that stay out of the way in `--quiet` / `--json-log`
 * modes and when stderr is not a terminal.
 */
import { appendFileSync } from 'node:fs';
import cliProgress from 'cli-progress';
import type { Logger, LogLevel } from '@voxelkit/core';

/** How the CLI reports. */
export interface ConsoleOptions {
  /** Only warnings and errors on the terminal; no progress bars. */
  quiet?: boolean;
  /** One JSON object per line on stdout instead of text; no progress bars. */
  jsonLog?: boolean;
  /** Also show debug messages. */
  verbose?: boolean;
}

/** A `Logger` that can start writing to a log file once the run folder exists. */
export interface CliLogger extends Logger {
  /** Appends every later message (and the ones kept so far) to `path`. */
  attachFile(path: string): void;
  /** Progress bars, or a no-op stand-in when bars are off. */
  readonly bars: Bars;
}

/** One progress bar. */
export interface Bar {
  update(value: number, payload?: Record<string, string | number>): void;
  stop(): void;
}

/** Creates and removes progress bars. */
export interface Bars {
  create(label: string, total: number, payload?: Record<string, string | number>): Bar;
  /** Stops all bars (before exiting). */
  stop(): void;
}

/** The cli-progress options of every bar (the format, and `--` for an unknown ETA). */
export const BAR_OPTIONS: cliProgress.Options = {
  format: '{label} |{bar}| {value}/{total} {extra} | {duration_formatted} eta {eta_formatted}',
  hideCursor: true,
  clearOnComplete: true,
  stopOnComplete: true,
  etaBuffer: 20,
  formatTime: formatBarTime,
};

/** Creates the CLI's logger. */
export function createCliLogger(options: ConsoleOptions = {}): CliLogger {
  let file: string | undefined;
  const pending: string[] = [];
  const showBars = !options.quiet && !options.jsonLog && process.stderr.isTTY === true;
  const multi = showBars
    ? new cliProgress.MultiBar(BAR_OPTIONS, cliProgress.Presets.shades_classic)
    : undefined;

  const emit = (level: LogLevel, message: string, fields?: Record<string, unknown>) => {
    const time = new Date().toISOString();
    const line = JSON.stringify({ time, level, message, ...(fields ?? {}) });
    if (file) appendFileSync(file, line + '\n');
    else pending.push(line);
    if (level === 'debug' && !options.verbose) return;
    if (options.jsonLog) {
      process.stdout.write(line + '\n');
      return;
    }
    if (options.quiet && (level === 'info' || level === 'debug')) return;
    const text = `${level === 'info' ? '' : level.toUpperCase() + ': '}${message}${formatFields(fields)}`;
    if (multi) multi.log(text + '\n');
    else if (level === 'warn' || level === 'error') process.stderr.write(text + '\n');
    else process.stdout.write(text + '\n');
  };

  const bars: Bars = multi
    ? {
        create(label, total, payload) {
          const bar = multi.create(total, 0, { label: label.padEnd(10), extra: '', ...payload });
          return {
            update: (value, p) => bar.update(value, p ? { extra: formatPayload(p) } : undefined),
            stop: () => {
              bar.stop();
              multi.remove(bar);
            },
          };
        },
        stop: () => multi.stop(),
      }
    : {
        create: () => ({ update: () => undefined, stop: () => undefined }),
        stop: () => undefined,
      };

  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    attachFile(path: string) {
      file = path;
      if (pending.length > 0) appendFileSync(file, pending.join('\n') + '\n');
      pending.length = 0;
    },
    bars,
  };
}

/**
 * cli-progress's time formatter, except that an ETA it cannot compute yet (before the first
 * step it is the string `'NULL'`, with no progress `'INF'`) shows as `--`.
 *
 * @param t - seconds, or cli-progress's `'NULL'` / `'INF'` markers.
 * @param options - cli-progress options (padding character).
 * @param roundToMultipleOf - rounding step in seconds, as cli-progress passes it.
 */
export function formatBarTime(
  t: number | string,
  options: cliProgress.Options,
  roundToMultipleOf: number,
): string {
  if (typeof t !== 'number' || !Number.isFinite(t)) return '--';
  return cliProgress.Format.TimeFormat(t, options, roundToMultipleOf);
}

function formatFields(fields?: Record<string, unknown>): string {
  if (!fields || Object.keys(fields).length === 0) return '';
  return (
    ' (' +
    Object.entries(fields)
      .map(([k, v]) => `${k}=${formatValue(v)}`)
      .join(', ') +
    ')'
  );
}

function formatPayload(p: Record<string, string | number>): string {
  return Object.entries(p)
    .map(([k, v]) => `${k} ${formatValue(v)}`)
    .join(' ');
}

function formatValue(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toPrecision(4);
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}
