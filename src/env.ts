import type { Config } from "./config";
import type { Database } from "./db";
import type { RateLimiter } from "./durable-objects/rate-limiter";
import type { AuthContext } from "./lib/auth/context";
import type { Logger } from "./lib/logger";
import type { ErrorTracker } from "./lib/monitoring/tracker";
import type { MetricsRecorder } from "./lib/metrics/recorder";
import type { RequestD1 } from "./middleware/read-replication";
import type { RequestContext } from "./middleware/request-context";

/** The Worker's bindings and settings: the single declaration of `env` (see wrangler.toml). */
export interface Env {
  DB: D1Database;
  FILES: R2Bucket;
  RATE_LIMITER: DurableObjectNamespace<RateLimiter>;
  QUEUE_DEFAULT: Queue;
  QUEUE_SCORING: Queue;
  QUEUE_EMAILS: Queue;
  QUEUE_EXPORTS: Queue;
  QUEUE_AI: Queue;
  QUEUE_INDEXING: Queue;
  QUEUE_WEBHOOKS: Queue;
  /** Optional Analytics Engine dataset (production): every metric point is also written there. */
  METRICS_ENGINE?: AnalyticsEngineDataset;

  ENVIRONMENT: string;
  APP_VERSION: string;
  LOG_LEVEL?: string;
  CORS_ORIGINS?: string;
  ADMIN_EMAILS?: string;
  MAX_JSON_BODY_BYTES?: string;
  MAX_UPLOAD_BYTES?: string;
  SESSION_TTL_SECONDS?: string;
  ALERT_QUIET_PERIOD_SECONDS?: string;
  METRICS_RAW_RETENTION_DAYS?: string;
  METRICS_HOURLY_RETENTION_DAYS?: string;
  AUDIT_RETENTION_DAYS?: string;
  /** Retention (docs/scaling.md): days kept, and hours an unreferenced R2 object may live. */
  RATE_LIMIT_LOG_RETENTION_DAYS?: string;
  ERROR_LOG_RESOLVED_RETENTION_DAYS?: string;
  ERROR_LOG_RETENTION_DAYS?: string;
  JOB_RETENTION_DAYS?: string;
  EVENT_RETENTION_DAYS?: string;
  ORPHAN_FILE_GRACE_HOURS?: string;
  /** `off` (default) or `on`: requests query D1 through a Sessions API session (docs/scaling.md). */
  D1_READ_REPLICATION?: string;
  /** Set by the local launchers (`npm start`, the bench server): when this wrangler dev runtime started. */
  LOCAL_RUNTIME_STARTED_AT?: string;
  /** Webhooks (docs/webhooks.md): `true` admits http and loopback targets (refused in production). */
  WEBHOOK_ALLOW_LOOPBACK?: string;
  WEBHOOK_TIMEOUT_MS?: string;
  WEBHOOK_DISABLE_AFTER_DAYS?: string;
  WEBHOOK_SECRET_OVERLAP_HOURS?: string;
  WEBHOOK_MAX_PAYLOAD_BYTES?: string;
  /** Email (docs/email.md): the From header, the client app's and this API's public base URLs. */
  EMAIL_FROM?: string;
  APP_URL?: string;
  PUBLIC_API_URL?: string;
  RESEND_BASE_URL?: string;
  /** Comma-separated things an unverified account may not do: api_keys, webhooks, attempts, subscriptions. */
  REQUIRE_VERIFIED_EMAIL?: string;
  EMAIL_RETENTION_DAYS?: string;
  EXPORT_RETENTION_DAYS?: string;
  AI_BASE_URL?: string;
  AI_MODEL?: string;
  AI_MODEL_GENERATION?: string;
  AI_MODEL_HINTS?: string;
  AI_MODEL_EVALUATION?: string;
  AI_MODEL_TUTOR?: string;
  AI_TIMEOUT_MS?: string;
  AI_MAX_RETRIES?: string;
  AI_PRICE_INPUT_PER_MTOK?: string;
  AI_PRICE_OUTPUT_PER_MTOK?: string;
  AI_FREE_MONTHLY_TOKENS?: string;
  /** `durable_object` (default) or `upstash`. */
  RATE_LIMIT_BACKEND?: string;
  /** JSON object of per-policy overrides, e.g. `{"auth":{"limit":5}}` (docs/rate-limiting.md). */
  RATE_LIMIT_POLICIES?: string;
  /** Milliseconds the limiter may take before its answer counts as a fault (default 3000). */
  RATE_LIMIT_TIMEOUT_MS?: string;
  /** JSON object of per-role `api` capacities and API-key ceilings, e.g. `{"admin":{"limit":1200,"windowSeconds":60}}`. */
  RATE_LIMIT_ROLE_CEILINGS?: string;
  /** `true` (default): `CF-Connecting-IP` is the client address; `false`: no header is trusted (docs/security.md). */
  TRUST_CF_CONNECTING_IP?: string;

  // Secrets (.dev.vars locally, `wrangler secret put` in production). All optional: unset means off.
  SENTRY_DSN?: string;
  SENTRY_TRACES_SAMPLE_RATE?: string;
  ALERT_WEBHOOK_URL?: string;
  UPSTASH_REDIS_REST_URL?: string;
  UPSTASH_REDIS_REST_TOKEN?: string;
  /** Lets a monitor run `GET /health/ready` (header `X-Health-Check-Token`); at least 32 characters. */
  HEALTH_CHECK_TOKEN?: string;
  /** HMAC key for device tokens; required in staging and production (docs/identity.md). */
  DEVICE_TOKEN_SECRET?: string;
  /** Resend's API key; unset: every message goes to the local mailbox. */
  RESEND_API_KEY?: string;
  /** `whsec_…`: verifies Resend's delivery events (bounces, complaints). */
  RESEND_WEBHOOK_SECRET?: string;
  /** Signs one-click unsubscribe links; required in staging and production. */
  EMAIL_LINK_SECRET?: string;
  /** The AI provider's API key (docs/ai.md); unset: AI features answer 503. */
  AI_API_KEY?: string;
  /** Signs export download links; required in staging and production. */
  EXPORT_LINK_SECRET?: string;
  /** Base64 of 32 random bytes: encrypts webhook signing secrets at rest. Unset: webhooks are off. */
  WEBHOOK_SECRET_KEY?: string;
}

interface Variables {
  requestId: string;
  requestContext: RequestContext;
  config: Config;
  /** The request's D1 handle for raw SQL: the binding, or the read-replication session `db` runs over. */
  d1: RequestD1;
  db: Database;
  logger: Logger;
  metrics: MetricsRecorder;
  /** Set by the auth middleware when the caller is authenticated. */
  auth: AuthContext | undefined;
  /** Set by the error-tracking middleware: `reportError` and error log lines go through it. */
  errorTracker?: ErrorTracker;
}

export type AppEnv = { Bindings: Env; Variables: Variables };
