import { createServer, type IncomingMessage, type Server } from "node:http";
import type { TestProject } from "vitest/node";

/**
 * A local HTTP receiver standing in for outside services (Sentry ingest, the alert webhook, webhook
 * endpoints). It records every request it gets; tests read them back with `GET /__captured?prefix=<path>`.
 * What it answers is chosen by the path: `/fail` → 500; `/status/<code>` → that status (a 3xx with a
 * `Location`); `/fail-times/<n>` → 500 to the first n requests to that exact path, then 200;
 * `/big` → a 10 KB body.
 */
export interface CapturedRequest {
  method: string;
  path: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  receivedAt: number;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
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
    const seen = captured.filter((entry) => entry.path === url.pathname).length;
    const failing = times ? seen <= Number(times[1]) : url.pathname.includes("/fail");
    const status = chosen ? Number(chosen[1]) : failing ? 500 : 200;
    res.writeHead(status, {
      "Content-Type": "application/json",
      ...(status >= 300 && status < 400 ? { Location: "http://127.0.0.1:9/elsewhere" } : {}),
    });
    res.end(
      url.pathname.includes("/big") ? JSON.stringify({ filler: "x".repeat(10_240) }) : failing ? '{"error":"failing on purpose"}' : "{}",
    );
  });
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
