/**
 * The local D1 database that `npm start` serves, driven through wrangler's CLI (the same state
 * `wrangler dev` opens). `d1Args` are extra wrangler arguments, e.g. `["--persist-to", dir]`.
 */
import { execFileSync } from "node:child_process";

/** Runs `wrangler …` from the project's node_modules/.bin; output goes to the terminal unless `quiet`. */
export function wrangler(args: string[], options: { quiet?: boolean } = {}): void {
  execFileSync("wrangler", args, { stdio: ["ignore", options.quiet ? "ignore" : "inherit", "inherit"] });
}

/** Applies the migrations that have not run yet (idempotent). */
export function applyLocalMigrations(d1Args: string[] = [], options: { quiet?: boolean } = {}): void {
  wrangler(["d1", "migrations", "apply", "DB", "--local", ...d1Args], options);
}

/** Runs one SQL statement and returns its rows. */
export function queryLocal<Row>(sql: string, d1Args: string[] = []): Row[] {
  const out = execFileSync("wrangler", ["d1", "execute", "DB", "--local", ...d1Args, "--json", "--command", sql], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  const [first] = JSON.parse(out) as { results: Row[] }[];
  return first?.results ?? [];
}
