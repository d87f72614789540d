/**
 * Logging and progress interfaces. Library code never writes to the console: it reports through
 * an optional {@link Logger} and {@link ProgressCallback} that the caller supplies (the CLI in
 * `examples/spleen` renders them as log lines and progress bars).
 */

/** Levelled sink for messages from library code. All methods are optional to implement. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** One progress report: `done` of `total` units of the named `stage` are finished. */
export interface ProgressEvent {
  stage: string;
  done: number;
  total: number;
  /** Extra values worth showing (e.g. current loss). */
  fields?: Record<string, number | string>;
}

/** Receives {@link ProgressEvent}s; called often, so it must be cheap. */
export type ProgressCallback = (event: ProgressEvent) => void;

/** A logger that drops everything; the default wherever a logger is optional. */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** Log level names, lowest first. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** One captured log record, as kept by {@link createMemoryLogger}. */
export interface LogRecord {
  level: LogLevel;
  message: string;
  fields?: Record<string, unknown>;
}

/**
 * A logger that keeps its records in memory: useful in tests ("exactly one warning naming the
 * case") and for collecting warnings to show at the end of a run.
 *
 * @example
 * ```ts
 * const log = createMemoryLogger();
 * log.warn('no foreground', { key: 'case1' });
 * log.records.length; // 1
 * ```
 */
export function createMemoryLogger(): Logger & { records: LogRecord[] } {
  const records: LogRecord[] = [];
  const push = (level: LogLevel) => (message: string, fields?: Record<string, unknown>) => {
    records.push(fields === undefined ? { level, message } : { level, message, fields });
  };
  return {
    records,
    debug: push('debug'),
    info: push('info'),
    warn: push('warn'),
    error: push('error'),
  };
}
