import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  schema: "./src/db/schema/index.ts",
  out: "./migrations",
  // Flat `NNNN_name.sql` files that both `wrangler d1 migrations apply` and the test setup read.
  migrations: { prefix: "index" },
  strict: true,
  verbose: false,
});
