/** Log levels, least severe first; `silent` logs nothing. */
export const LOG_LEVELS = ["debug", "info", "warn", "error", "silent"] as const;

/** One {@link LOG_LEVELS} value. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Fields of a log line. The server only ever passes ids (request, session, run, error),
 * codes and causes: never an owner token, a share token or prompt text.
 */
export type LogFields = Readonly<Record<string, string | number | boolean | null | undefined>>;

/** Where the server's log lines go (option `logger`). */
export interface ReplayLogger {
  log(level: Exclude<LogLevel, "silent">, msg: string, fields?: LogFields): void;
}

/** Options of {@link createJsonLogger}. */
export interface JsonLoggerOptions {
  /** Lines below this level are dropped. Default `info`. */
  readonly level?: LogLevel;
  /** Writes one line (without newline). Default: stderr (`console.error` where there is no `process`). */
  readonly write?: (line: string) => void;
  /** Clock of the `time` field. Default `Date.now`. */
  readonly now?: () => number;
}

/**
 * The default logger: one JSON object per line, `{"level","time","msg",...fields}`, to
 * stderr. At `info` a healthy server is quiet: lines are written for failed turns, store
 * trouble and bugs, never per request, frame or poll (those are at `debug`).
 * @example
 * createReplayServer({ model, logger: createJsonLogger({ level: "debug" }) });
 */
export function createJsonLogger(options: JsonLoggerOptions = {}): ReplayLogger {
  const threshold = LOG_LEVELS.indexOf(options.level ?? "info");
  const write = options.write ?? defaultWrite();
  const now = options.now ?? Date.now;
  return {
    log(level, msg, fields) {
      if (LOG_LEVELS.indexOf(level) < threshold) return;
      write(JSON.stringify({ level, time: new Date(now()).toISOString(), msg, ...fields }));
    },
  };
}

/** stderr where there is a Node-like `process`, else the console (Workers, Deno, browsers). */
function defaultWrite(): (line: string) => void {
  const stderr = (globalThis as { process?: { stderr?: { write?: (text: string) => unknown } } }).process
    ?.stderr;
  if (typeof stderr?.write === "function") return (line) => void stderr.write!(`${line}\n`);
  return (line) => console.error(line);
}

/** A short description of an error for a log line: its name and message (no stack at info). */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
