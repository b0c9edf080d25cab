import { z } from "zod";
import type { Env } from "./env";
import { isWebhookEncryptionKey } from "./lib/webhooks/secrets";
import {
  parsePolicies,
  parseRoleCeilings,
  RATE_LIMIT_BACKENDS,
  type RateLimitBackendName,
  type RateLimitPolicies,
  type RoleCeilings,
} from "./lib/security/rate-limit";

const list = z
  .string()
  .optional()
  .transform((value) =>
    (value ?? "")
      .split(",")
      .map((item) => item.trim())
      .filter(Boolean),
  );

/** An optional URL where an empty value (as in a copied .dev.vars.example) means "off". */
const optionalUrl = z.preprocess((value) => (value === "" ? undefined : value), z.string().url().optional());

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

const flag = (fallback: "true" | "false") =>
  z
    .enum(["true", "false"])
    .default(fallback)
    .transform((value) => value === "true");

/** Environments where a missing secret is a deployment error rather than something to improvise. */
const DEPLOYED: ReadonlySet<string> = new Set(["staging", "production"]);

/** What `REQUIRE_VERIFIED_EMAIL` may name: the things an account with an unverified address may not do. */
const VERIFIED_EMAIL_GATES = ["api_keys", "webhooks", "attempts", "subscriptions"] as const;
export type VerifiedEmailGate = (typeof VERIFIED_EMAIL_GATES)[number];

/** Signs unsubscribe links outside staging and production, so local links survive restarts; never secret. */
const DEVELOPMENT_EMAIL_LINK_SECRET = "proctor-development-email-links-not-a-secret";

/** Signs export download links outside staging and production; never secret. */
const DEVELOPMENT_EXPORT_LINK_SECRET = "proctor-development-export-links-not-a-secret";

/** Shortest DEVICE_TOKEN_SECRET accepted: 32 characters of `openssl rand -base64 32` carry 192+ bits. */
const MIN_DEVICE_TOKEN_SECRET_LENGTH = 32;

/**
 * Every plain setting the Worker reads, validated once per environment object. Bindings are checked
 * here too, so a deployment missing one answers a clear `misconfigured` problem naming it.
 */
const configSchema = z
  .object({
    ENVIRONMENT: z.enum(["development", "test", "staging", "production"]),
    APP_VERSION: z.string().min(1),
    LOG_LEVEL: z.enum(["debug", "info", "warn", "error", "critical"]).default("info"),
    REQUEST_LOG: z.enum(["all", "notable", "off"]).default("notable"),
    CORS_ORIGINS: list,
    ADMIN_EMAILS: list.transform((emails) => emails.map((email) => email.toLowerCase())),
    MAX_JSON_BODY_BYTES: positiveInt(1024 * 1024),
    MAX_UPLOAD_BYTES: positiveInt(10 * 1024 * 1024),
    SESSION_TTL_SECONDS: positiveInt(7 * 24 * 3600),
    ALERT_QUIET_PERIOD_SECONDS: positiveInt(15 * 60),
    METRICS_RAW_RETENTION_DAYS: positiveInt(7),
    METRICS_HOURLY_RETENTION_DAYS: positiveInt(90),
    AUDIT_RETENTION_DAYS: positiveInt(365),
    RATE_LIMIT_LOG_RETENTION_DAYS: positiveInt(30),
    ERROR_LOG_RESOLVED_RETENTION_DAYS: positiveInt(30),
    ERROR_LOG_RETENTION_DAYS: positiveInt(90),
    JOB_RETENTION_DAYS: positiveInt(30),
    EVENT_RETENTION_DAYS: positiveInt(30),
    ORPHAN_FILE_GRACE_HOURS: positiveInt(24),
    D1_READ_REPLICATION: z.enum(["off", "on"]).default("off"),
    LOCAL_RUNTIME_STARTED_AT: z.preprocess((value) => (value === "" ? undefined : value), z.coerce.number().int().positive().optional()),
    WEBHOOK_SECRET_KEY: z.preprocess(
      (value) => (value === "" ? undefined : value),
      z.string().refine(isWebhookEncryptionKey, "must be base64 of 32 bytes").optional(),
    ),
    WEBHOOK_ALLOW_LOOPBACK: z.enum(["true", "false"]).default("false"),
    WEBHOOK_TIMEOUT_MS: positiveInt(15_000),
    WEBHOOK_DISABLE_AFTER_DAYS: positiveInt(5),
    WEBHOOK_SECRET_OVERLAP_HOURS: positiveInt(24),
    WEBHOOK_MAX_PAYLOAD_BYTES: positiveInt(256 * 1024),
    SENTRY_DSN: optionalUrl,
    SENTRY_TRACES_SAMPLE_RATE: z.coerce.number().min(0).max(1).default(0),
    ALERT_WEBHOOK_URL: optionalUrl,
    RATE_LIMIT_BACKEND: z.enum(RATE_LIMIT_BACKENDS).default("durable_object"),
    RATE_LIMIT_POLICIES: z
      .string()
      .optional()
      .transform((value, ctx) => {
        try {
          return parsePolicies(value);
        } catch {
          ctx.addIssue({ code: "custom", message: "RATE_LIMIT_POLICIES is not a valid JSON object of policy overrides" });
          return z.NEVER;
        }
      }),
    RATE_LIMIT_TIMEOUT_MS: positiveInt(3000),
    RATE_LIMIT_ROLE_CEILINGS: z.string().optional(),
    TRUST_CF_CONNECTING_IP: flag("true"),
    DEVICE_TOKEN_SECRET: z.preprocess(
      (value) => (value === "" ? undefined : value),
      z.string().min(MIN_DEVICE_TOKEN_SECRET_LENGTH, `at least ${MIN_DEVICE_TOKEN_SECRET_LENGTH} characters`).optional(),
    ),
    EMAIL_FROM: z.string().min(3).max(320).default("Proctor <no-reply@proctor.localhost>"),
    APP_URL: z.string().url().default("http://localhost:5173"),
    PUBLIC_API_URL: z.string().url().default("http://127.0.0.1:8787"),
    RESEND_API_KEY: z.preprocess((value) => (value === "" ? undefined : value), z.string().min(8).optional()),
    RESEND_BASE_URL: z.string().url().default("https://api.resend.com"),
    RESEND_WEBHOOK_SECRET: z.preprocess(
      (value) => (value === "" ? undefined : value),
      z
        .string()
        .regex(/^whsec_[A-Za-z0-9+/=]{16,}$/, "must be the whsec_… signing secret")
        .optional(),
    ),
    EMAIL_LINK_SECRET: z.preprocess((value) => (value === "" ? undefined : value), z.string().min(32, "at least 32 characters").optional()),
    REQUIRE_VERIFIED_EMAIL: list.pipe(z.array(z.enum(VERIFIED_EMAIL_GATES))),
    EMAIL_RETENTION_DAYS: positiveInt(90),
    EXPORT_LINK_SECRET: z.preprocess(
      (value) => (value === "" ? undefined : value),
      z.string().min(32, "at least 32 characters").optional(),
    ),
    EXPORT_RETENTION_DAYS: positiveInt(7),
    AI_BASE_URL: optionalUrl,
    AI_API_KEY: z.preprocess((value) => (value === "" ? undefined : value), z.string().min(1).optional()),
    AI_MODEL: z.preprocess((value) => (value === "" ? undefined : value), z.string().min(1).max(200).optional()),
    AI_MODEL_GENERATION: z.preprocess((value) => (value === "" ? undefined : value), z.string().min(1).max(200).optional()),
    AI_MODEL_HINTS: z.preprocess((value) => (value === "" ? undefined : value), z.string().min(1).max(200).optional()),
    AI_MODEL_EVALUATION: z.preprocess((value) => (value === "" ? undefined : value), z.string().min(1).max(200).optional()),
    AI_MODEL_TUTOR: z.preprocess((value) => (value === "" ? undefined : value), z.string().min(1).max(200).optional()),
    AI_TIMEOUT_MS: positiveInt(30_000),
    AI_MAX_RETRIES: z.coerce.number().int().min(0).max(5).default(2),
    AI_PRICE_INPUT_PER_MTOK: z.coerce.number().min(0).default(0),
    AI_PRICE_OUTPUT_PER_MTOK: z.coerce.number().min(0).default(0),
    AI_FREE_MONTHLY_TOKENS: z.coerce.number().int().min(0).default(20_000),
    UPSTASH_REDIS_REST_URL: optionalUrl,
    UPSTASH_REDIS_REST_TOKEN: z.string().optional(),
    HEALTH_CHECK_TOKEN: z.preprocess(
      (value) => (value === "" ? undefined : value),
      z.string().min(32, "must be at least 32 characters (e.g. `openssl rand -hex 32`)").optional(),
    ),
    DB: z.custom<D1Database>((value) => value != null, "the D1 binding DB is missing"),
    FILES: z.custom<R2Bucket>((value) => value != null, "the R2 binding FILES is missing"),
    RATE_LIMITER: z.custom<DurableObjectNamespace>((value) => value != null, "the Durable Object binding RATE_LIMITER is missing"),
  })
  .superRefine((s, ctx) => {
    if (s.ERROR_LOG_RESOLVED_RETENTION_DAYS > s.ERROR_LOG_RETENTION_DAYS) {
      ctx.addIssue({ code: "custom", path: ["ERROR_LOG_RESOLVED_RETENTION_DAYS"], message: "must not exceed ERROR_LOG_RETENTION_DAYS" });
    }
    try {
      parseRoleCeilings(s.RATE_LIMIT_ROLE_CEILINGS, s.RATE_LIMIT_POLICIES.api);
    } catch {
      ctx.addIssue({ code: "custom", path: ["RATE_LIMIT_ROLE_CEILINGS"], message: "not a valid JSON object of per-role rates" });
    }
    if (!s.DEVICE_TOKEN_SECRET && DEPLOYED.has(s.ENVIRONMENT)) {
      ctx.addIssue({ code: "custom", path: ["DEVICE_TOKEN_SECRET"], message: `required in ${s.ENVIRONMENT}` });
    }
    if (!s.EMAIL_LINK_SECRET && DEPLOYED.has(s.ENVIRONMENT)) {
      ctx.addIssue({ code: "custom", path: ["EMAIL_LINK_SECRET"], message: `required in ${s.ENVIRONMENT}` });
    }
    if (!s.EXPORT_LINK_SECRET && DEPLOYED.has(s.ENVIRONMENT)) {
      ctx.addIssue({ code: "custom", path: ["EXPORT_LINK_SECRET"], message: `required in ${s.ENVIRONMENT}` });
    }
    if (s.LOCAL_RUNTIME_STARTED_AT !== undefined && DEPLOYED.has(s.ENVIRONMENT)) {
      ctx.addIssue({ code: "custom", path: ["LOCAL_RUNTIME_STARTED_AT"], message: `only for a local runtime, not ${s.ENVIRONMENT}` });
    }
    if (s.WEBHOOK_ALLOW_LOOPBACK === "true" && s.ENVIRONMENT === "production") {
      ctx.addIssue({ code: "custom", path: ["WEBHOOK_ALLOW_LOOPBACK"], message: "must not be true in production" });
    }
    if (s.RATE_LIMIT_BACKEND !== "upstash") return;
    if (!s.UPSTASH_REDIS_REST_URL)
      ctx.addIssue({ code: "custom", path: ["UPSTASH_REDIS_REST_URL"], message: "required by the upstash backend" });
    if (!s.UPSTASH_REDIS_REST_TOKEN)
      ctx.addIssue({ code: "custom", path: ["UPSTASH_REDIS_REST_TOKEN"], message: "required by the upstash backend" });
  });

export type Config = {
  environment: z.infer<typeof configSchema>["ENVIRONMENT"];
  version: string;
  logLevel: z.infer<typeof configSchema>["LOG_LEVEL"];
  /** Which requests get a `request` log line: every one, the notable ones (server errors, slow), or none. */
  requestLog: z.infer<typeof configSchema>["REQUEST_LOG"];
  corsOrigins: string[];
  adminEmails: string[];
  maxJsonBodyBytes: number;
  maxUploadBytes: number;
  sessionTtlSeconds: number;
  sentry: { dsn: string; tracesSampleRate: number } | null;
  alertWebhookUrl: string | null;
  /** At most one alert per fingerprint within this many seconds. */
  alertQuietPeriodSeconds: number;
  metricsRawRetentionDays: number;
  metricsHourlyRetentionDays: number;
  auditRetentionDays: number;
  /** The secret a monitor sends to run `GET /health/ready` without an admin credential; null when unset. */
  healthCheckToken: string | null;
  rateLimitLogRetentionDays: number;
  /** Resolved errors go this long after their resolution… */
  errorLogResolvedRetentionDays: number;
  /** …and any error this long after it was last seen. */
  errorLogRetentionDays: number;
  /** COMPLETED, FAILED and CANCELLED jobs, counted from when they finished. */
  jobRetentionDays: number;
  /** PROCESSED events, counted from when they happened. */
  eventRetentionDays: number;
  /** An R2 object nothing refers to is deleted once it is older than this. */
  orphanFileGraceHours: number;
  /** Requests query D1 through a Sessions API session, bookmarks in X-D1-Bookmark. */
  d1ReadReplication: boolean;
  /**
   * When this local runtime (`wrangler dev`, whose queues live in memory) started: queue messages sent
   * and job runs begun before it died with the previous runtime. Null on the edge (docs/jobs.md).
   */
  localRuntimeStartedAt: number | null;
  /** Whether `CF-Connecting-IP` names the client (true on Cloudflare's edge; see docs/security.md). */
  trustCfConnectingIp: boolean;
  /**
   * Signs device tokens (docs/identity.md). Null only in development and test, where an isolate makes
   * its own random key; staging and production refuse to run without it.
   */
  deviceTokenSecret: string | null;
  email: {
    /** The From header of every message. */
    from: string;
    /** Without a Resend key every message goes to the local mailbox (GET /v1/admin/mailbox, /dev/mailbox). */
    resend: { apiKey: string; baseUrl: string } | null;
    /** Verifies Resend's delivery events (POST /v1/email/events); null: the endpoint refuses them all. */
    webhookSecret: string | null;
    /** Signs one-click unsubscribe links. */
    linkSecret: string;
    /** The client application: links in mail (verify, reset, results) point here. */
    appUrl: string;
    /** This API as the outside world reaches it: the unsubscribe link points here. */
    apiUrl: string;
    /** What an account with an unverified address may not do (empty by default: nothing is refused). */
    requireVerified: ReadonlySet<VerifiedEmailGate>;
    /** Messages are deleted this many days after they were queued. */
    retentionDays: number;
  };
  /**
   * An OpenAI-compatible provider (docs/ai.md); null while AI_BASE_URL, AI_API_KEY or AI_MODEL is
   * unset: every AI route then answers 503 ai_unavailable.
   */
  ai: {
    baseUrl: string;
    apiKey: string;
    /** The model of each feature (AI_MODEL unless AI_MODEL_<FEATURE> overrides it). */
    models: Record<"generation" | "hints" | "evaluation" | "tutor", string>;
    timeoutMs: number;
    /** Retries of a 429, 5xx or timeout (honouring Retry-After) before a call fails. */
    maxRetries: number;
    /** US dollars per million prompt and completion tokens: the estimated cost of each call. */
    pricing: { inputPerMillion: number; outputPerMillion: number };
  } | null;
  /** AI tokens a month for an account without an active subscription (plans set their own). */
  aiFreeMonthlyTokens: number;
  exports: {
    /** Signs download links (HMAC over the export id and the link's expiry). */
    linkSecret: string;
    /** This API as the outside world reaches it: download links point here. */
    apiUrl: string;
    /** A finished export's file is deleted this many days after it completed. */
    retentionDays: number;
  };
  webhooks: {
    /** AES-256 key (base64) that encrypts signing secrets at rest; null: webhooks cannot be created or signed. */
    secretKey: string | null;
    /** http and loopback targets allowed (local runs and tests only; refused in production). */
    allowLoopback: boolean;
    timeoutMs: number;
    /** An endpoint whose every delivery failed for this long is disabled. */
    disableAfterMs: number;
    /** How long a rotated-out secret keeps signing beside the new one. */
    secretOverlapMs: number;
    /** A larger body carries the resource's id and link instead of the data. */
    maxPayloadBytes: number;
  };
  rateLimit: {
    backend: RateLimitBackendName;
    policies: RateLimitPolicies;
    /** A decision not back within this long is a fault (the policy's fail mode applies). */
    timeoutMs: number;
    upstash: { url: string; token: string } | null;
    /** Per role: the `api` capacity one account shares across its credentials, and its keys' ceiling. */
    roleCeilings: RoleCeilings;
  };
};

export class ConfigError extends Error {
  constructor(readonly settings: string[]) {
    super(`Invalid or missing settings: ${settings.join(", ")}`);
    this.name = "ConfigError";
  }
}

const cache = new WeakMap<object, Config>();

/** Reads and validates the configuration; the result is cached for the life of the env object. */
export function loadConfig(env: Env): Config {
  const cached = cache.get(env);
  if (cached) return cached;
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError([...new Set(parsed.error.issues.map((issue) => String(issue.path[0])))]);
  }
  const s = parsed.data;
  const config: Config = {
    environment: s.ENVIRONMENT,
    version: s.APP_VERSION,
    logLevel: s.LOG_LEVEL,
    requestLog: s.REQUEST_LOG,
    corsOrigins: s.CORS_ORIGINS,
    adminEmails: s.ADMIN_EMAILS,
    maxJsonBodyBytes: s.MAX_JSON_BODY_BYTES,
    maxUploadBytes: s.MAX_UPLOAD_BYTES,
    sessionTtlSeconds: s.SESSION_TTL_SECONDS,
    sentry: s.SENTRY_DSN ? { dsn: s.SENTRY_DSN, tracesSampleRate: s.SENTRY_TRACES_SAMPLE_RATE } : null,
    alertWebhookUrl: s.ALERT_WEBHOOK_URL ?? null,
    alertQuietPeriodSeconds: s.ALERT_QUIET_PERIOD_SECONDS,
    metricsRawRetentionDays: s.METRICS_RAW_RETENTION_DAYS,
    metricsHourlyRetentionDays: s.METRICS_HOURLY_RETENTION_DAYS,
    auditRetentionDays: s.AUDIT_RETENTION_DAYS,
    healthCheckToken: s.HEALTH_CHECK_TOKEN ?? null,
    rateLimitLogRetentionDays: s.RATE_LIMIT_LOG_RETENTION_DAYS,
    errorLogResolvedRetentionDays: s.ERROR_LOG_RESOLVED_RETENTION_DAYS,
    errorLogRetentionDays: s.ERROR_LOG_RETENTION_DAYS,
    jobRetentionDays: s.JOB_RETENTION_DAYS,
    eventRetentionDays: s.EVENT_RETENTION_DAYS,
    orphanFileGraceHours: s.ORPHAN_FILE_GRACE_HOURS,
    d1ReadReplication: s.D1_READ_REPLICATION === "on",
    localRuntimeStartedAt: s.LOCAL_RUNTIME_STARTED_AT ?? null,
    trustCfConnectingIp: s.TRUST_CF_CONNECTING_IP,
    deviceTokenSecret: s.DEVICE_TOKEN_SECRET ?? null,
    email: {
      from: s.EMAIL_FROM,
      resend: s.RESEND_API_KEY ? { apiKey: s.RESEND_API_KEY, baseUrl: s.RESEND_BASE_URL.replace(/\/+$/, "") } : null,
      webhookSecret: s.RESEND_WEBHOOK_SECRET ?? null,
      linkSecret: s.EMAIL_LINK_SECRET ?? DEVELOPMENT_EMAIL_LINK_SECRET,
      appUrl: s.APP_URL.replace(/\/+$/, ""),
      apiUrl: s.PUBLIC_API_URL.replace(/\/+$/, ""),
      requireVerified: new Set(s.REQUIRE_VERIFIED_EMAIL),
      retentionDays: s.EMAIL_RETENTION_DAYS,
    },
    ai:
      s.AI_BASE_URL && s.AI_API_KEY && s.AI_MODEL
        ? {
            baseUrl: s.AI_BASE_URL.replace(/\/+$/, ""),
            apiKey: s.AI_API_KEY,
            models: {
              generation: s.AI_MODEL_GENERATION ?? s.AI_MODEL,
              hints: s.AI_MODEL_HINTS ?? s.AI_MODEL,
              evaluation: s.AI_MODEL_EVALUATION ?? s.AI_MODEL,
              tutor: s.AI_MODEL_TUTOR ?? s.AI_MODEL,
            },
            timeoutMs: s.AI_TIMEOUT_MS,
            maxRetries: s.AI_MAX_RETRIES,
            pricing: { inputPerMillion: s.AI_PRICE_INPUT_PER_MTOK, outputPerMillion: s.AI_PRICE_OUTPUT_PER_MTOK },
          }
        : null,
    aiFreeMonthlyTokens: s.AI_FREE_MONTHLY_TOKENS,
    exports: {
      linkSecret: s.EXPORT_LINK_SECRET ?? DEVELOPMENT_EXPORT_LINK_SECRET,
      apiUrl: s.PUBLIC_API_URL.replace(/\/+$/, ""),
      retentionDays: s.EXPORT_RETENTION_DAYS,
    },
    webhooks: {
      secretKey: s.WEBHOOK_SECRET_KEY ?? null,
      allowLoopback: s.WEBHOOK_ALLOW_LOOPBACK === "true",
      timeoutMs: s.WEBHOOK_TIMEOUT_MS,
      disableAfterMs: s.WEBHOOK_DISABLE_AFTER_DAYS * 24 * 3_600_000,
      secretOverlapMs: s.WEBHOOK_SECRET_OVERLAP_HOURS * 3_600_000,
      maxPayloadBytes: s.WEBHOOK_MAX_PAYLOAD_BYTES,
    },
    rateLimit: {
      backend: s.RATE_LIMIT_BACKEND,
      policies: s.RATE_LIMIT_POLICIES,
      timeoutMs: s.RATE_LIMIT_TIMEOUT_MS,
      upstash:
        s.UPSTASH_REDIS_REST_URL && s.UPSTASH_REDIS_REST_TOKEN
          ? { url: s.UPSTASH_REDIS_REST_URL, token: s.UPSTASH_REDIS_REST_TOKEN }
          : null,
      roleCeilings: parseRoleCeilings(s.RATE_LIMIT_ROLE_CEILINGS, s.RATE_LIMIT_POLICIES.api),
    },
  };
  cache.set(env, config);
  return config;
}
