import { randomUUID } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { readBody } from "../../test/global/receiver";

/**
 * The outside world of the crash test: a webhook endpoint and a stand-in for Resend, each recording
 * every request it gets. Both answer slowly on purpose, so deliveries and sends are mid-flight when
 * the runtime is killed. They run in this process and outlive the runtime's crash.
 */
export interface WebhookCall {
  webhookId: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface ResendCall {
  idempotencyKey: string;
  to: string;
  subject: string;
  /** The id answered: the same for every call with one key, as Resend answers a repeated key. */
  providerId: string;
}

interface Receiver {
  url: string;
  close(): Promise<void>;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function closer(server: Server) {
  return () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startWebhookReceiver(delayMs: number): Promise<Receiver & { calls: WebhookCall[] }> {
  const calls: WebhookCall[] = [];
  const server = createServer(async (req, res) => {
    const body = await readBody(req);
    await pause(delayMs);
    calls.push({ webhookId: String(req.headers["webhook-id"] ?? ""), headers: req.headers, body });
    res.writeHead(204).end();
  });
  return { url: `${await listen(server)}/hooks/crash-test`, calls, close: closer(server) };
}

export async function startResendStandIn(delayMs: number): Promise<Receiver & { calls: ResendCall[] }> {
  const calls: ResendCall[] = [];
  const idsByKey = new Map<string, string>();
  const server = createServer(async (req, res) => {
    const body = await readBody(req);
    await pause(delayMs);
    const key = String(req.headers["idempotency-key"] ?? "");
    const messages = (req.url?.endsWith("/batch") ? JSON.parse(body) : [JSON.parse(body)]) as { to: string[]; subject: string }[];
    const ids = messages.map((_, i) => {
      const messageKey = messages.length > 1 ? `${key}#${i}` : key;
      const id = idsByKey.get(messageKey) ?? randomUUID();
      idsByKey.set(messageKey, id);
      return id;
    });
    for (const [i, message] of messages.entries()) {
      calls.push({ idempotencyKey: key, to: message.to[0]!, subject: message.subject, providerId: ids[i]! });
    }
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(JSON.stringify(req.url?.endsWith("/batch") ? { data: ids.map((id) => ({ id })) } : { id: ids[0] }));
  });
  return { url: await listen(server), calls, close: closer(server) };
}
