import { env } from "cloudflare:workers";
import { expect } from "vitest";
import type { CapturedRequest } from "../global/capture-server";
import { sendJson } from "../helpers/http";

/** A fresh path on the local receiver (test/global/capture-server.ts); `behaviour` picks its answer, e.g. `status/410`. */
export function receiverUrl(behaviour = "ok"): string {
  return `${env.CAPTURE_URL}/wh/${crypto.randomUUID()}/${behaviour}`;
}

/** What the receiver got at this URL's path, oldest first. */
export async function received(url: string): Promise<CapturedRequest[]> {
  const path = new URL(url).pathname;
  const res = await fetch(`${env.CAPTURE_URL}/__captured?prefix=${encodeURIComponent(path)}`);
  return ((await res.json()) as CapturedRequest[]).filter((entry) => entry.path === path);
}

export interface CreatedWebhook {
  id: string;
  secret: string;
  url: string;
  [field: string]: unknown;
}

export async function createWebhook(headers: Record<string, string>, body: Record<string, unknown>): Promise<CreatedWebhook> {
  const res = await sendJson("/v1/webhooks", "POST", body, headers);
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as CreatedWebhook;
}
