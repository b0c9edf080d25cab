import type { D1Migration } from "cloudflare:test";
import type { Env as ProctorEnv } from "../src/env";

declare global {
  namespace Cloudflare {
    interface Env extends ProctorEnv {
      TEST_MIGRATIONS: D1Migration[];
      /** Base URL of the local receiver that records outbound calls (Sentry, alerts). */
      CAPTURE_URL: string;
      /** The scripted OpenAI-compatible provider; each test scripts its own namespace (test/helpers/ai.ts). */
      AI_TEST_URL: string;
      /** The Upstash REST bridge (in front of a real redis-server) and its token. */
      UPSTASH_TEST_URL: string;
      UPSTASH_TEST_TOKEN: string;
    }
  }
}
