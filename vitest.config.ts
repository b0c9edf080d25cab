import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Test files wait on workerd and D1 more than they use a core: three at a time on two cores cut the
    // suite by about a third (vitest's default here is one, cores - 1).
    maxWorkers: 3,
    projects: [
      {
        // The Worker's tests, inside workerd against real local bindings.
        plugins: [
          cloudflareTest(async ({ inject }) => ({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                ENVIRONMENT: "test",
                LOG_LEVEL: "error",
                ADMIN_EMAILS: "root@proctor.test",
                // Webhooks deliver to the local receiver below (loopback), with a fixed test-only encryption key.
                WEBHOOK_ALLOW_LOOPBACK: "true",
                WEBHOOK_SECRET_KEY: "dGVzdC1vbmx5LXdlYmhvb2stc2VjcmV0LWtleS0zMmI=",
                // Local receiver standing in for Sentry ingest and the alert webhook (test/global/capture-server.ts).
                CAPTURE_URL: inject<string>("captureServerUrl"),
                // Scripted OpenAI-compatible provider for the AI client (test/global/ai-provider.ts).
                AI_TEST_URL: inject<string>("aiProviderUrl"),
                // Upstash REST bridge in front of a real redis-server (test/global/upstash-bridge.ts).
                UPSTASH_TEST_URL: inject<string>("upstashUrl"),
                UPSTASH_TEST_TOKEN: inject<string>("upstashToken"),
                TEST_MIGRATIONS: await readD1Migrations(fileURLToPath(new URL("./migrations", import.meta.url))),
              },
            },
          })),
        ],
        test: {
          name: "workers",
          include: ["test/**/*.test.ts", "src/**/*.test.ts"],
          exclude: ["test/node/**", "test/**/*.browser.test.ts"],
          setupFiles: ["./test/setup.ts"],
          globalSetup: ["./test/global/capture-server.ts", "./test/global/upstash-bridge.ts", "./test/global/ai-provider.ts"],
          testTimeout: 20_000,
          hookTimeout: 30_000,
        },
      },
      {
        // Node-side tests of the project's scripts (npm start's first-start seeding), driving wrangler,
        // and the admin console's tests in a real browser (Debian's Chromium through playwright-core).
        test: {
          name: "node",
          include: ["test/node/**/*.test.ts", "test/**/*.browser.test.ts"],
          environment: "node",
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
