import { eq } from "drizzle-orm";
import { loadConfig } from "../../config";
import { createDb, type Database } from "../../db";
import { errorLogs, type ErrorSource } from "../../db/schema";
import { clock } from "../clock";
import { ApiError } from "../errors";
import type { LogEntry, Logger, LogSink } from "../logger";
import { redactString } from "../security/redact";
import type { Env } from "../../env";
import { sendAlert } from "./alerts";
import { recordErrorOccurrence, type ErrorOccurrence } from "./error-log";
import { topFrame } from "./fingerprint";
import { captureWithSentry } from "./sentry";

/** The request an error happened in, already redacted. */
export interface RequestSample {
  url: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string | null;
}

export interface ErrorTrackerOptions {
  env: Env;
  logger: Logger;
  source: ErrorSource;
  db?: Database;
  /** Where background work goes; without one the tracker keeps it and `settled()` awaits it. */
  waitUntil?: (promise: Promise<unknown>) => void;
  requestId?: string | null;
  /** The client's own `X-Request-Id`, stored beside the server's for correlation. */
  clientRequestId?: string | null;
  /** Read when an error happens, so they reflect the matched route and the authenticated user. */
  tags?: () => Record<string, string | null | undefined>;
  request?: () => Promise<RequestSample | null>;
  user?: () => { id: string; role: string } | null;
}

type Severity = "error" | "critical";

function asString(value: unknown): string | null {
  return typeof value === "string" && value.length > 0 ? value : null;
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(typeof error === "string" ? error : (JSON.stringify(error) ?? String(error)));
}

/**
 * Error tracking for one unit of work (a request, a queue batch, a cron run). Installed as a sink on
 * that work's logger, every `error`/`critical` line becomes an ErrorLog occurrence; `capture(error)`
 * does the same for a thrown error and also sends it to Sentry. Critical occurrences alert through
 * `sendAlert`. Everything runs off the response path; nothing here ever throws into the caller.
 */
export class ErrorTracker {
  private capturing = false;
  private readonly pending = new Set<Promise<unknown>>();
  private requestSample: Promise<RequestSample | null> | undefined;

  constructor(private readonly options: ErrorTrackerOptions) {
    options.logger.addSink(this.sink);
  }

  readonly sink: LogSink = (entry: LogEntry) => {
    if (this.capturing || (entry.level !== "error" && entry.level !== "critical")) return;
    const fields = entry.fields;
    const stack = asString(fields.stack);
    this.schedule(
      this.record(
        {
          severity: entry.level === "critical" ? "CRITICAL" : "ERROR",
          message: entry.message,
          errorType: asString(fields.errorType) ?? "LogError",
          errorCode: asString(fields.errorCode),
          stack: stack ? redactString(stack) : null,
        },
        null,
        entry.level,
      ),
    );
  };

  /** An error nobody handled: one log line, one ErrorLog occurrence, one Sentry event. */
  capture(error: unknown, severity: Severity, fields: Record<string, unknown> = {}): void {
    const err = toError(error);
    const errorCode = err instanceof ApiError ? err.code : null;
    this.capturing = true;
    try {
      this.options.logger.log(severity, err.message, { errorType: err.name, errorCode, stack: err.stack, ...fields });
    } finally {
      this.capturing = false;
    }
    this.sample(); // start reading the body now, while the request is still open
    this.schedule(
      this.record(
        {
          severity: severity === "critical" ? "CRITICAL" : "ERROR",
          message: redactString(err.message),
          errorType: err.name || "Error",
          errorCode,
          stack: err.stack ? redactString(err.stack) : null,
        },
        err,
        severity,
        fields,
      ),
    );
  }

  /** Resolves once every write and alert this tracker started has finished (for crons and tests). */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  private sample(): Promise<RequestSample | null> {
    this.requestSample ??= (this.options.request?.() ?? Promise.resolve(null)).catch(() => null);
    return this.requestSample;
  }

  private schedule(work: Promise<void>): void {
    const guarded = work.catch((error: unknown) => {
      // console, not the logger: a failing error write must not feed itself.
      console.warn(JSON.stringify({ level: "warn", message: "error tracking failed", error: String(error) }));
    });
    this.pending.add(guarded);
    void guarded.finally(() => this.pending.delete(guarded));
    this.options.waitUntil?.(guarded);
  }

  private waitUntil = (promise: Promise<unknown>) => {
    const tracked = promise.catch(() => undefined);
    this.pending.add(tracked);
    void tracked.finally(() => this.pending.delete(tracked));
    this.options.waitUntil?.(tracked);
  };

  private async record(
    base: Pick<ErrorOccurrence, "severity" | "message" | "errorType" | "errorCode" | "stack">,
    error: Error | null,
    severity: Severity,
    extra: Record<string, unknown> = {},
  ): Promise<void> {
    const { env, logger, source } = this.options;
    const config = loadConfig(env);
    const request = await this.sample();
    const user = this.options.user?.() ?? null;
    const tags: Record<string, string | null | undefined> = { source, ...this.options.tags?.() };
    if (error) {
      captureWithSentry(config, error, severity, {
        waitUntil: this.waitUntil,
        request,
        user,
        tags,
        breadcrumbs: logger.entries,
        extra: { requestId: this.options.requestId ?? null, clientRequestId: this.options.clientRequestId ?? null, ...extra },
      });
    }
    const db = this.options.db ?? createDb(env.DB);
    const now = clock.now();
    const saved = await recordErrorOccurrence(
      db,
      {
        ...base,
        source,
        path: request?.path ?? null,
        method: request?.method ?? null,
        headers: request?.headers ?? null,
        body: request?.body ?? null,
        requestId: this.options.requestId ?? null,
        clientRequestId: this.options.clientRequestId ?? null,
        userId: user?.id ?? null,
      },
      now,
    );
    if (base.severity !== "CRITICAL") return;
    const frame = topFrame(base.stack);
    const sent = await sendAlert(
      env,
      {
        title: `${base.errorType}: ${base.message}`.slice(0, 140),
        severity: "critical",
        text: `${base.message.slice(0, 1500)}${frame ? `\n\`${frame}\`` : ""}`,
        fingerprint: `error:${saved.fingerprint}`,
        fields: {
          errorId: saved.id,
          source,
          occurrences: saved.occurrences,
          route: typeof tags.route === "string" ? tags.route : (request?.path ?? null),
          requestId: this.options.requestId ?? null,
        },
      },
      this.waitUntil,
    );
    if (sent) await db.update(errorLogs).set({ lastAlertedAt: now }).where(eq(errorLogs.id, saved.id));
  }
}
