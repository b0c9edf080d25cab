import { env } from "cloudflare:workers";

/** A request the local receiver (test/global/capture-server.ts) recorded. */
export interface CapturedRequest {
  method: string;
  path: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** Everything the receiver got under `prefix`, oldest first. */
export async function captured(prefix: string): Promise<CapturedRequest[]> {
  const res = await fetch(`${env.CAPTURE_URL}/__captured?prefix=${encodeURIComponent(prefix)}`);
  return (await res.json()) as CapturedRequest[];
}

/** A fresh path on the receiver, so tests running in parallel never read each other's requests. */
export function capturePath(label: string): string {
  return `/${label}-${crypto.randomUUID().slice(0, 8)}`;
}

/** Sentry envelope → its items (`[itemHeader, payload]`). */
export function envelopeItems(body: string): { type: string; payload: Record<string, any> }[] {
  const lines = body.split("\n").filter((line) => line.length > 0);
  const items: { type: string; payload: Record<string, any> }[] = [];
  for (let i = 1; i + 1 < lines.length; i += 2) {
    items.push({ type: JSON.parse(lines[i]!).type, payload: JSON.parse(lines[i + 1]!) });
  }
  return items;
}
