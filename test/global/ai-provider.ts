import { randomUUID } from "node:crypto";
import { createServer, type Server, type ServerResponse } from "node:http";
import type { TestProject } from "vitest/node";
import { IDLE_KEEP_ALIVE_MS, readBody } from "./receiver";

/**
 * A scripted OpenAI-compatible provider for the AI client's tests. Each test works in its own
 * namespace (`/<ns>/v1` is its base URL): `POST /<ns>/__script` appends replies to the namespace's
 * queue, `POST /<ns>/v1/chat/completions` records the request and plays the next reply (500 when
 * none is left), `GET /<ns>/__requests` lists what the namespace received. A reply is one of
 * `{ status?, headers?, json }` (sent as is), `{ content, usage? }` (wrapped into a chat.completion),
 * `{ stream: string[], usage? }` (server-sent chunks; the usage chunk when the request asked for it),
 * `{ hang: true }` (no answer until the client gives up); any of them may carry `delayMs` to wait
 * first. `usage: null` leaves usage out.
 */
interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
}

type ScriptedReply = { delayMs?: number } & (
  | { status?: number; headers?: Record<string, string>; json: unknown }
  | { content: string; usage?: Usage | null }
  | { stream: string[]; usage?: Usage | null }
  | { hang: true }
);

interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  /** Parsed JSON when the body is JSON, else the text. */
  body: unknown;
}

const DEFAULT_USAGE: Usage = { prompt_tokens: 10, completion_tokens: 5 };

function parsed(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

const withTotal = (usage: Usage) => ({ ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens });

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { "Content-Type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

function play(reply: ScriptedReply, request: RecordedRequest, res: ServerResponse) {
  const asked = (request.body ?? {}) as { model?: string; stream_options?: { include_usage?: boolean } };
  const model = asked.model ?? "scripted";
  const id = `chatcmpl-${randomUUID()}`;
  const created = Math.floor(Date.now() / 1000);
  if ("hang" in reply) return;
  if ("json" in reply) {
    sendJson(res, reply.status ?? 200, reply.json, reply.headers);
    return;
  }
  if ("content" in reply) {
    const usage = reply.usage === undefined ? DEFAULT_USAGE : reply.usage;
    sendJson(res, 200, {
      id,
      object: "chat.completion",
      created,
      model,
      choices: [{ index: 0, message: { role: "assistant", content: reply.content, refusal: null }, logprobs: null, finish_reason: "stop" }],
      ...(usage ? { usage: withTotal(usage) } : {}),
    });
    return;
  }
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
    `data: ${JSON.stringify({ id, object: "chat.completion.chunk", created, model, choices, ...extra })}\n\n`;
  res.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-cache" });
  res.write(chunk([{ index: 0, delta: { role: "assistant", content: "" }, finish_reason: null }]));
  for (const piece of reply.stream) res.write(chunk([{ index: 0, delta: { content: piece }, finish_reason: null }]));
  res.write(chunk([{ index: 0, delta: {}, finish_reason: "stop" }]));
  const usage = reply.usage === undefined ? DEFAULT_USAGE : reply.usage;
  if (usage && asked.stream_options?.include_usage) res.write(chunk([], { usage: withTotal(usage) }));
  res.end("data: [DONE]\n\n");
}

let server: Server | undefined;

export default async function setup(project: TestProject) {
  const queues = new Map<string, ScriptedReply[]>();
  const received = new Map<string, RecordedRequest[]>();
  server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const [, namespace = "", ...rest] = url.pathname.split("/");
    const route = `/${rest.join("/")}`;
    const text = await readBody(req);
    if (req.method === "POST" && route === "/__script") {
      const queue = [...(queues.get(namespace) ?? []), ...(JSON.parse(text) as ScriptedReply[])];
      queues.set(namespace, queue);
      sendJson(res, 200, { queued: queue.length });
      return;
    }
    if (req.method === "GET" && route === "/__requests") {
      sendJson(res, 200, received.get(namespace) ?? []);
      return;
    }
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries(req.headers)) headers[key] = String(value);
    const request: RecordedRequest = { method: req.method ?? "GET", path: url.pathname, headers, body: parsed(text) };
    received.set(namespace, [...(received.get(namespace) ?? []), request]);
    if (req.method !== "POST" || route !== "/v1/chat/completions") {
      sendJson(res, 404, { error: { message: `no such endpoint: ${req.method} ${route}` } });
      return;
    }
    const reply = queues.get(namespace)?.shift();
    if (!reply) {
      sendJson(res, 500, { error: { message: "no scripted reply" } });
      return;
    }
    if (reply.delayMs) await new Promise((resolve) => setTimeout(resolve, reply.delayMs));
    if (!res.destroyed) play(reply, request, res);
  });
  // Node closes an idle keep-alive connection after 5 s; workerd may send on it in that very moment
  // and get "Network connection lost" (seen on a loaded CI run). Idle connections stay open instead.
  server.keepAliveTimeout = IDLE_KEEP_ALIVE_MS;
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  project.provide("aiProviderUrl", `http://127.0.0.1:${port}`);
  return async () => {
    // A `hang` reply holds its connection open; close it so the server can stop.
    server?.closeAllConnections();
    await new Promise<void>((resolve) => server?.close(() => resolve()));
  };
}

declare module "vitest" {
  export interface ProvidedContext {
    aiProviderUrl: string;
  }
}
