import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * `npm run bench [suite…]`: runs every suite in bench/suites (or the named ones) in turn. Each suite
 * exports `name` and `run()`, which measures and prints its own table.
 */
export interface BenchSuite {
  name: string;
  run(): Promise<void>;
}

// A cron tick landing inside a measurement would be timed with it: the suites' servers run without the
// local scheduler unless asked (`PROCTOR_LOCAL_CRONS=on npm run bench`); a suite that needs a cron fires it.
process.env.PROCTOR_LOCAL_CRONS ??= "off";

const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const files = readdirSync(join(here, "suites"))
  .filter((file) => file.endsWith(".ts"))
  .sort();

for (const file of files) {
  const suite = (await import(join(here, "suites", file))) as BenchSuite;
  if (wanted.length > 0 && !wanted.includes(suite.name)) continue;
  console.log(`\n=== ${suite.name} ===`);
  await suite.run();
}
