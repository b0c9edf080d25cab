import type { D1Migration } from "cloudflare:test";
import type { Env as ProctorEnv } from "../src/env";

declare global {
  namespace Cloudflare {
    interface Env extends ProctorEnv {
      TEST_MIGRATIONS: D1Migration[];
    }
  }
}
