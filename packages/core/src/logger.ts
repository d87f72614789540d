/**
 * Logging and progress interfaces. Library code never writes to the console: it reports through
 * an optional {@link Logger} and {@link ProgressCallback} that the caller supplies (the CLI in
 * `examples/spleen` renders them as log lines and progress bars).
 */

/** Levelled sink for messages from library code. All methods are optional to implement. */
export interface Logger {
  /** Detail useful when diagnosing (per-step values, chosen code paths). */
  debug(message: string, fields?: Record<string, unknown>): void;
  /** Normal progress worth a line in a log (backend chosen, data set loaded). */
  info(message: string, fields?: Record<string, unknown>): void;
  /** A recoverable degradation the user should know about (fallback affine, empty foreground). */
  warn(message: string, fields?: Record<string, unknown>): void;
  /** A failure that is also thrown or ends the operation. */
  error(message: string, fields?: Record<string, unknown>): void;
}

/** One progress report: `done` of `total` units of the named `stage` are finished. */
export interface ProgressEvent {
  /** What is progressing, e.g. `'cache'`, `'download'`, `'sliding-window'`. */
  stage: string;
  /** Units finished so far. */
  done: number;
  /** Units in all (0 when unknown). */
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

/** A {@link Logger} that keeps what it receives; see {@link createMemoryLogger}. */
export interface MemoryLogger extends Logger {
  /** Every record logged so far, oldest first. */
  records: LogRecord[];
}

/** One captured log record, as kept by {@link createMemoryLogger}. */
export interface LogRecord {
  /** Severity of the record. */
  level: LogLevel;
  /** The message as logged. */
  message: string;
  /** Structured values logged with the message, if any. */
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
export function createMemoryLogger(): MemoryLogger {
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
