import type { TestProject } from "vitest/node";
import { startUpstashBridge } from "../../scripts/upstash-bridge";

/**
 * Starts a real redis-server (free port, throwaway directory) and the Upstash REST bridge in front
 * of it for the Upstash backend tests (test/rate-limit/upstash.test.ts); the Worker gets the URL and
 * token through `inject` in vitest.config.ts.
 */
export default async function setup(project: TestProject) {
  const bridge = await startUpstashBridge();
  project.provide("upstashUrl", bridge.url);
  project.provide("upstashToken", bridge.token);
  return () => bridge.stop();
}

declare module "vitest" {
  export interface ProvidedContext {
    upstashUrl: string;
    upstashToken: string;
  }
}
