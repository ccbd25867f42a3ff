/**
 * Structured logs through pino: one JSON line per entry on stderr (stdout stays free for what a
 * command is asked to print). `QUALIFY_LOG_LEVEL` (see config) sets the threshold. Every entry's
 * message and fields pass through the redactor first (`log-redaction.ts`): keys and secrets never
 * reach a line, nor do email addresses unless the level is debug.
 *
 * Callers keep the project's own shape, `logger.info(message, fields)`: pino's `(fields, message)`
 * order stays inside this file.
 */
import pino from "pino";
import { createRedactor } from "./log-redaction";

export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

export interface LoggerOptions {
  /** Fields on every entry. */
  base?: Record<string, unknown>;
  /** Receives each entry as one line of JSON, without the newline (default: stderr). */
  write?: (line: string) => void;
  /** Values hidden wherever they appear (`QUALIFY_ADMIN_KEY`, which need not look like a key). */
  secrets?: readonly string[];
}

/** Creates a logger writing entries at or above `level`. */
export function createLogger(level: LogLevel, options: LoggerOptions = {}): Logger {
  const { write } = options;
  // Synchronous: a line written before `process.exit` is not lost, and lines keep their order.
  const destination = write
    ? { write: (chunk: string) => write(chunk.endsWith("\n") ? chunk.slice(0, -1) : chunk) }
    : pino.destination({ dest: 2, sync: true });
  const root = pino(
    {
      level,
      messageKey: "message",
      timestamp: pino.stdTimeFunctions.isoTime,
      // `"level":"info"` rather than pino's numbers: what QUALIFY_LOG_LEVEL says, greppable.
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
  // Emails stay visible only to someone who asked for debug output (they also get the SQL).
  const redactor = createRedactor({ emails: level !== "debug", secrets: options.secrets });
  return wrap(options.base ? root.child(redactor.fields(options.base)) : root, redactor);
}

function wrap(instance: pino.Logger, redactor: ReturnType<typeof createRedactor>): Logger {
  const at = (level: Exclude<LogLevel, "silent">) => (message: string, fields?: Record<string, unknown>) => {
    // Disabled levels cost one comparison: no redaction, no object built.
    if (!instance.isLevelEnabled(level)) return;
    const text = redactor.text(message);
    if (fields) instance[level](redactor.fields(fields), text);
    else instance[level](text);
  };
  return {
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
    child: (fields) => wrap(instance.child(redactor.fields(fields)), redactor),
  };
}

/** Serialises an unknown thrown value for a log entry. */
export function errorFields(err: unknown): Record<string, unknown> {
  if (err instanceof Error) return { error: err.message, stack: err.stack };
  return { error: String(err) };
}
