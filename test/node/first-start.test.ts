import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { queryLocal } from "../../scripts/local-d1";
import { SEED_QUESTIONS, SEED_TESTS, SEED_USERS } from "../../scripts/seed";
import { autoSeedSetting, prepareLocalDatabase } from "../../scripts/start";

// Runs in Node (the `node` vitest project): drives wrangler's CLI on a fresh local state directory.
const state = mkdtempSync(join(tmpdir(), "proctor-first-start-"));
const d1Args = ["--persist-to", state];
afterAll(() => rmSync(state, { recursive: true, force: true }));

/** Row counts, and when the users were written (a re-seed would write them again, later). */
function world() {
  const [row] = queryLocal<{ users: number; questions: number; tests: number; writtenAt: number }>(
    "SELECT (SELECT COUNT(*) FROM users) AS users, (SELECT COUNT(*) FROM questions) AS questions, " +
      "(SELECT COUNT(*) FROM tests) AS tests, (SELECT MAX(created_at) FROM users) AS writtenAt",
    d1Args,
  );
  return row!;
}

describe("npm start on a local database", () => {
  it("seeds the demo world on the first start only, and never twice", async () => {
    // Each wrangler call costs seconds (the first migration run most), so the test makes few.
    expect(await prepareLocalDatabase({ d1Args, quiet: true })).toBe("seeded");
    const seeded = world();
    expect(seeded).toMatchObject({ users: SEED_USERS.length, questions: SEED_QUESTIONS.length, tests: SEED_TESTS.length });

    // The next start finds users and leaves the database alone.
    expect(await prepareLocalDatabase({ d1Args, quiet: true })).toBe("has_users");
    expect(world()).toEqual(seeded);
  });

  it("reads PROCTOR_AUTO_SEED as on unless it says off, and refuses anything else", () => {
    for (const on of [undefined, "", "on", "ON", "true", "1"]) expect(autoSeedSetting(on)).toBe(true);
    for (const off of ["off", "Off", "false", "0", "no"]) expect(autoSeedSetting(off)).toBe(false);
    expect(() => autoSeedSetting("sometimes")).toThrow(/PROCTOR_AUTO_SEED/);
  });
});
