import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { createApp } from "../../src/app";
import { BASE_URL } from "./http";

/**
 * The real app factory with extra routes a test adds (e.g. one that throws), driven with the real
 * bindings; waits for `waitUntil` work so its effects can be asserted.
 */
export function testApp() {
  const app = createApp();
  return {
    app,
    async request(path: string, init: RequestInit = {}, bindings: object = env) {
      const ctx = createExecutionContext();
      const res = await app.fetch(new Request(`${BASE_URL}${path}`, init), bindings, ctx);
      await waitOnExecutionContext(ctx);
      return res;
    },
  };
}
