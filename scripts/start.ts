/**
 * `npm start`: the local platform in one command. Applies the local D1 migrations, seeds the demo
 * world (scripts/seed.ts, credentials printed once) when the local database has no user yet — the
 * first start — and then runs `wrangler dev` on 127.0.0.1:$PORT (8787). A database that has users is
 * never touched; `npm run seed` resets the demo rows at any time; `PROCTOR_AUTO_SEED=off npm start`
 * skips the seeding. Arguments after `--` go to wrangler dev, and a `--persist-to DIR` among them
 * also points the migrations and the seed at that state. Once the server answers, the local
 * scheduler (scripts/local-scheduler.ts) fires wrangler.toml's Cron Triggers beside it, until the
 * server exits; `PROCTOR_LOCAL_CRONS=off npm start` leaves the crons to `/cdn-cgi/local/scheduled`.
 */
import { spawn } from "node:child_process";
import { pathToFileURL } from "node:url";
import { applyLocalMigrations, queryLocal } from "./local-d1";
import { localCronsSetting, startLocalScheduler, wranglerCrons, type LocalScheduler } from "./local-scheduler";
import { onOffSetting } from "./on-off-setting";
import { printSeedSummary, seedLocalDatabase } from "./seed";
import { waitForServer } from "./wait-for-server";

/** `PROCTOR_AUTO_SEED`: on unless "off" (or false/0/no); anything else is a mistake worth stopping for. */
export function autoSeedSetting(value: string | undefined): boolean {
  return onOffSetting("PROCTOR_AUTO_SEED", value);
}

export type FirstStart = "seeded" | "has_users" | "auto_seed_off";

/** Migrates the local database, then seeds it if it holds no user. Safe to run on every start. */
export async function prepareLocalDatabase(options: { d1Args?: string[]; autoSeed?: boolean; quiet?: boolean } = {}): Promise<FirstStart> {
  const d1Args = options.d1Args ?? [];
  applyLocalMigrations(d1Args, { quiet: options.quiet });
  if (options.autoSeed === false) return "auto_seed_off";
  const [row] = queryLocal<{ users: number }>("SELECT COUNT(*) AS users FROM users", d1Args);
  if ((row?.users ?? 0) > 0) return "has_users";
  // Quiet: the caller prints the summary and credentials; wrangler's errors still reach stderr.
  await seedLocalDatabase(d1Args, { quiet: true });
  return "seeded";
}

/** The `--persist-to DIR` (or `--persist-to=DIR`) among wrangler dev's arguments, as d1 arguments. */
function persistArgs(args: string[]): string[] {
  for (const [i, arg] of args.entries()) {
    if (arg === "--persist-to" && args[i + 1]) return ["--persist-to", args[i + 1]!];
    if (arg.startsWith("--persist-to=")) return ["--persist-to", arg.slice("--persist-to=".length)];
  }
  return [];
}

async function main() {
  const devArgs = process.argv.slice(2);
  const crons = localCronsSetting() ? wranglerCrons() : [];
  const outcome = await prepareLocalDatabase({ d1Args: persistArgs(devArgs), autoSeed: autoSeedSetting(process.env.PROCTOR_AUTO_SEED) });
  if (outcome === "seeded") {
    printSeedSummary();
    console.log("(Seeded because the local database had no users; `npm run seed` resets the demo rows.)\n");
  }
  const port = process.env.PORT || "8787";
  // Queue messages and job runs older than this runtime died with the last one: the crons recover them at once (docs/jobs.md).
  const startedAt = `LOCAL_RUNTIME_STARTED_AT:${Date.now()}`;
  const dev = spawn("wrangler", ["dev", "--ip", "127.0.0.1", "--port", port, "--var", startedAt, ...devArgs], { stdio: "inherit" });
  // Ctrl-C reaches wrangler through the terminal's process group; a plain kill is passed on.
  for (const signal of ["SIGTERM", "SIGHUP"] as const) process.on(signal, () => dev.kill(signal));
  process.on("SIGINT", () => {});
  let scheduler: LocalScheduler | undefined;
  dev.on("exit", async (code, signal) => {
    await scheduler?.stop();
    process.exit(code ?? (signal ? 1 : 0));
  });
  if (crons.length === 0) return;
  const url = `http://127.0.0.1:${port}`;
  // The first start bundles the Worker and may take a while; give up only if wrangler exits.
  await waitForServer(url, { timeoutMs: 10 * 60_000, alive: () => dev.exitCode === null && dev.signalCode === null })
    .then(() => {
      scheduler = startLocalScheduler({ url, crons });
      console.log(`[local cron] firing ${crons.map((cron) => `"${cron}"`).join(", ")} (UTC; PROCTOR_LOCAL_CRONS=off to stop)`);
    })
    .catch((error: Error) => console.warn(`[local cron] not started: ${error.message}`));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main();
