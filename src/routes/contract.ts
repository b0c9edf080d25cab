import { Hono } from "hono";
import type { OpenAPIV3_1 } from "openapi-types";
import committedDocument from "../../docs/openapi.json";
import type { AppEnv } from "../env";
import { fileResponse, operationsOf } from "../openapi/describe";
import { referencePage, REFERENCE_INIT_JS, REFERENCE_PAGE_CSP } from "../openapi/reference-page";

const describe = operationsOf("Contract");

/**
 * The document generated from the app's routes (`npm run openapi`), bundled as is: generating it
 * takes a few hundred milliseconds of CPU, and `npm test` fails whenever it differs from what the
 * routes generate, so the bundled copy is that document.
 */
const CONTRACT = committedDocument as unknown as OpenAPIV3_1.Document;

/**
 * The API contract: `GET /openapi.json` (with this deployment's version) and `GET /docs`, the
 * reference page, whose assets the Worker serves itself.
 */
export const contractRoutes = new Hono<AppEnv>()
  .get(
    "/openapi.json",
    describe({
      summary: "The OpenAPI 3.1 document of this API",
      responses: {
        200: {
          description: "The document (this one)",
          content: { "application/json": { schema: { type: "object", required: ["openapi", "info", "paths"] } } },
        },
      },
    }),
    (c) =>
      c.json({ ...CONTRACT, info: { ...CONTRACT.info, version: c.var.config.version } }, 200, { "Cache-Control": "public, max-age=300" }),
  )
  .get("/docs", describe({ summary: "The API reference page (HTML)", responses: { 200: fileResponse("The page", "text/html") } }), (c) =>
    c.html(referencePage(), 200, { "Content-Security-Policy": REFERENCE_PAGE_CSP }),
  )
  .get(
    "/docs/init.js",
    describe({ summary: "The reference page's start-up script", responses: { 200: fileResponse("JavaScript", "text/javascript") } }),
    (c) => c.body(REFERENCE_INIT_JS, 200, { "Content-Type": "text/javascript; charset=utf-8", "Cache-Control": "public, max-age=300" }),
  )
  .get(
    "/docs/scalar.js",
    describe({
      summary: "The reference page's renderer (Scalar, self-hosted)",
      responses: { 200: fileResponse("JavaScript", "text/javascript") },
    }),
    async (c) => {
      // Loaded on demand: the 5 MB bundle stays out of every other request's way (and out of Node scripts).
      const { SCALAR_STANDALONE_JS } = await import("../openapi/reference-assets");
      return c.body(SCALAR_STANDALONE_JS, 200, {
        "Content-Type": "text/javascript; charset=utf-8",
        "Cache-Control": "public, max-age=86400",
      });
    },
  );
