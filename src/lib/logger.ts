import { clock } from "./clock";
import { redact } from "./security/redact";

const LOG_LEVELS = ["debug", "info", "warn", "error", "critical"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Entries kept per logger for breadcrumbs; older ones drop off. */
const MAX_KEPT_ENTRIES = 100;

export interface LogEntry {
  level: LogLevel;
  message: string;
  time: number;
  fields: Record<string, unknown>;
}

/** Receives every entry at or above the logger's level (error tracking and Sentry breadcrumbs hook in here). */
export type LogSink = (entry: LogEntry) => void;

/**
 * Structured JSON-lines logger. Each line carries the bound context (request id, route, actor) and
 * is redacted before it is written, so a secret passed by mistake never reaches the log stream.
 */
export class Logger {
  readonly entries: LogEntry[] = [];
  private readonly minRank: number;

  constructor(
    private readonly context: Record<string, unknown> = {},
    level: LogLevel = "info",
    private readonly sinks: LogSink[] = [],
  ) {
    this.minRank = LOG_LEVELS.indexOf(level);
  }

  /** Adds fields to every later line of this logger (e.g. the actor once auth has run). */
  bind(fields: Record<string, unknown>): void {
    Object.assign(this.context, fields);
  }

  addSink(sink: LogSink): void {
    this.sinks.push(sink);
  }

  debug(message: string, fields?: Record<string, unknown>) {
    this.log("debug", message, fields);
  }
  info(message: string, fields?: Record<string, unknown>) {
    this.log("info", message, fields);
  }
  warn(message: string, fields?: Record<string, unknown>) {
    this.log("warn", message, fields);
  }
  error(message: string, fields?: Record<string, unknown>) {
    this.log("error", message, fields);
  }
  critical(message: string, fields?: Record<string, unknown>) {
    this.log("critical", message, fields);
  }

  log(level: LogLevel, message: string, fields: Record<string, unknown> = {}): void {
    if (LOG_LEVELS.indexOf(level) < this.minRank) return;
    const entry: LogEntry = {
      level,
      message: redact(message),
      time: clock.now(),
      fields: redact({ ...this.context, ...fields }),
    };
    if (this.entries.length >= MAX_KEPT_ENTRIES) this.entries.shift();
    this.entries.push(entry);
    const line = JSON.stringify({ level, time: new Date(entry.time).toISOString(), message: entry.message, ...entry.fields });
    if (level === "error" || level === "critical") console.error(line);
    else if (level === "warn") console.warn(line);
    else console.log(line);
    for (const sink of this.sinks) {
      try {
        sink(entry);
      } catch {
        // A failing sink must never break the request that logged.
      }
    }
  }
}
