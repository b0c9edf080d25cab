import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach } from "vitest";
import { clock } from "../src/lib/clock";

// Idempotent: applyD1Migrations records what it applied, so every test file starts on the full schema.
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);

afterEach(() => clock.reset());
