import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Runs SQL against the local D1 under `state` (before the Worker opens it), from the project at `cwd`. */
export function seedLocalD1(state: string, sql: string, cwd?: string): void {
  const dir = mkdtempSync(join(tmpdir(), "proctor-bench-seed-"));
  try {
    writeFileSync(join(dir, "seed.sql"), sql);
    execFileSync("npx", ["wrangler", "d1", "execute", "DB", "--local", "--persist-to", state, "--file", join(dir, "seed.sql")], {
      cwd,
      stdio: "ignore",
      env: { ...process.env, CI: "1", WRANGLER_SEND_METRICS: "false" },
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
