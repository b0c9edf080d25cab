import { Hono } from "hono";
import { cors } from "hono/cors";
import { methodNotAllowed } from "hono/method-not-allowed";
import { secureHeaders } from "hono/secure-headers";
import { ApiError, problemResponse } from "./lib/errors";
import { authenticate } from "./middleware/auth";
import { bodyLimit } from "./middleware/body-limit";
import { errorHandler, notFoundHandler } from "./middleware/error-handler";
import { errorTracking } from "./middleware/error-tracking";
import { BOOKMARK_HEADER, readReplication } from "./middleware/read-replication";
import { requestContext, SERVER_REQUEST_ID_HEADER } from "./middleware/request-context";
import { services } from "./middleware/services";
import { threatDetection } from "./middleware/threat-detection";
import { registerRoutes } from "./routes";
import { CONSOLE_PATH, createConsole } from "./console";
import type { AppEnv } from "./env";

/** Headers a browser client may read from our responses. */
const EXPOSED_HEADERS = [
  "X-Request-Id",
  SERVER_REQUEST_ID_HEADER,
  "RateLimit",
  "RateLimit-Policy",
  "X-RateLimit-Limit",
  "X-RateLimit-Remaining",
  "X-RateLimit-Reset",
  "Retry-After",
  BOOKMARK_HEADER,
];

/**
 * Builds the HTTP app: the request spine in order (context → security headers → services → D1
 * bookmark → CORS → body cap), the error handlers, and every route group.
 */
export function createApp() {
  const app = new Hono<AppEnv>();

  app.use(requestContext());
  app.use(
    secureHeaders({
      contentSecurityPolicy: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] },
      strictTransportSecurity: "max-age=63072000; includeSubDomains; preload",
      referrerPolicy: "no-referrer",
      xFrameOptions: "DENY",
      crossOriginResourcePolicy: "same-site",
      // Defaults for what a response lacks: a route's own, stricter header (a download's sandboxing CSP) stays.
      overwrite: false,
    }),
  );
  app.use(services());
  app.use(readReplication());
  app.use(errorTracking());
  app.use(
    cors({
      origin: (origin, c) => ((c.var as AppEnv["Variables"]).config.corsOrigins.includes(origin) ? origin : null),
      credentials: true,
      allowMethods: ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
      allowHeaders: ["Content-Type", "Authorization", "X-Request-Id", "X-CSRF-Token", "X-Device-Token", "Idempotency-Key", BOOKMARK_HEADER],
      exposeHeaders: EXPOSED_HEADERS,
      maxAge: 600,
    }),
  );
  app.use(
    bodyLimit({
      maxBytes: (c) =>
        c.req.header("Content-Type")?.startsWith("multipart/form-data") ? c.var.config.maxUploadBytes : c.var.config.maxJsonBodyBytes,
    }),
  );
  app.use(threatDetection());
  app.use(authenticate());
  app.use(
    methodNotAllowed({
      app,
      onMethodNotAllowed: (c, methods) =>
        problemResponse(
          c,
          new ApiError("method_not_allowed", `${c.req.method} is not allowed here. Allowed: ${methods.join(", ")}.`, {
            headers: { Allow: methods.join(", ") },
          }),
        ),
    }),
  );

  app.onError(errorHandler());
  app.notFound(notFoundHandler());

  const api = registerRoutes(app);
  app.route(
    CONSOLE_PATH,
    createConsole((request, c) => app.fetch(request, c.env, c.executionCtx) as Promise<Response>),
  );
  return api;
}

/** @public The app's route types, for typed clients (`hc<App>(url)` from hono/client). */
export type App = ReturnType<typeof createApp>;
