import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { TestProject } from "vitest/node";
import { IDLE_KEEP_ALIVE_MS, readBody } from "./receiver";

/**
 * A local HTTP receiver standing in for outside services (Sentry ingest, the alert webhook, webhook
 * endpoints). It records every request it gets; tests read them back with `GET /__captured?prefix=<path>`.
 * What it answers is chosen by the path: `/fail` → 500; `/status/<code>` → that status (a 3xx with a
 * `Location`); `/fail-times/<n>` → 500 to the first n requests to that exact path, then 200;
 * `/big` → a 10 KB body; `/status-times/<code>/<n>` → that status to the first n requests to that exact
 * path, then 200. A 2xx to a path ending in `/emails` or `/emails/batch` answers like Resend: `{ id }`,
 * or `{ data: [{ id }, …] }` with one id per message posted.
 */
export interface CapturedRequest {
  method: string;
  path: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  receivedAt: number;
}

/** Resend's success bodies: an id per message. */
function resendAnswer(path: string, body: string): string {
  if (!path.endsWith("/batch")) return JSON.stringify({ id: randomUUID() });
  const sent: unknown = JSON.parse(body || "[]");
  return JSON.stringify({ data: (Array.isArray(sent) ? sent : []).map(() => ({ id: randomUUID() })) });
}

let server: Server | undefined;

export default async function setup(project: TestProject) {
  const captured: CapturedRequest[] = [];
  server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (url.pathname === "/__captured") {
      const prefix = url.searchParams.get("prefix") ?? "/";
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify(captured.filter((entry) => entry.path.startsWith(prefix))));
      return;
    }
    const body = await readBody(req);
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries(req.headers)) headers[key] = String(value);
    captured.push({ method: req.method ?? "GET", path: url.pathname, url: req.url ?? "", headers, body, receivedAt: Date.now() });
    if (captured.length > 10_000) captured.splice(0, captured.length - 10_000);
    const chosen = url.pathname.match(/\/status\/(\d{3})(?:\/|$)/);
    const times = url.pathname.match(/\/fail-times\/(\d+)(?:\/|$)/);
    const statusTimes = url.pathname.match(/\/status-times\/(\d{3})\/(\d+)(?:\/|$)/);
    const seen = captured.filter((entry) => entry.path === url.pathname).length;
    const failing = times ? seen <= Number(times[1]) : url.pathname.includes("/fail");
    const status = statusTimes
      ? seen <= Number(statusTimes[2])
        ? Number(statusTimes[1])
        : 200
      : chosen
        ? Number(chosen[1])
        : failing
          ? 500
          : 200;
    res.writeHead(status, {
      "Content-Type": "application/json",
      ...(status >= 300 && status < 400 ? { Location: "http://127.0.0.1:9/elsewhere" } : {}),
    });
    res.end(
      status < 300 && /\/emails(\/batch)?$/.test(url.pathname)
        ? resendAnswer(url.pathname, body)
        : url.pathname.includes("/big")
          ? JSON.stringify({ filler: "x".repeat(10_240) })
          : failing
            ? '{"error":"failing on purpose"}'
            : "{}",
    );
  });
  // Node closes an idle keep-alive connection after 5 s; workerd may send on it in that very moment
  // and get "Network connection lost" (seen on a loaded CI run). Idle connections stay open instead.
  server.keepAliveTimeout = IDLE_KEEP_ALIVE_MS;
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  project.provide("captureServerUrl", `http://127.0.0.1:${port}`);
  return async () => {
    await new Promise<void>((resolve) => server?.close(() => resolve()));
  };
}

declare module "vitest" {
  export interface ProvidedContext {
    captureServerUrl: string;
  }
}
