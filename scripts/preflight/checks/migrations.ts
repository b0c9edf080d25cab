import { fail, pass, type Check, type Finding } from "../finding";

const MIGRATION_FILE = /^(\d{4})_[a-z0-9_]+\.sql$/;

/** The SQL files are numbered 0000, 0001, … without a gap or a twin, and drizzle's journal lists exactly them, in order. */
export const checkMigrations: Check = ({ env, migrations }) => {
  const deploy = [
    `npm run deploy   # applies the remote D1 migrations (wrangler d1 migrations apply DB --remote${env.envName ? ` --env ${env.envName}` : ""}), then deploys`,
  ];
  if (migrations.files === null) return [fail("Migrations", `${migrations.dir} does not exist`)];
  const sql = migrations.files.filter((file) => file.endsWith(".sql")).sort();
  const problems: string[] = [];
  const badNames = sql.filter((file) => !MIGRATION_FILE.test(file));
  if (badNames.length) problems.push(`not named NNNN_name.sql: ${badNames.join(", ")}`);
  const numbered = sql.filter((file) => MIGRATION_FILE.test(file));
  const numbers = numbered.map((file) => Number(file.slice(0, 4)));
  const repeated = numbered.filter((_, i) => numbers.indexOf(numbers[i]!) !== i);
  if (repeated.length) problems.push(`numbers used twice: ${repeated.join(", ")}`);
  const missing = Array.from({ length: Math.max(-1, ...numbers) + 1 }, (_, n) => n).filter((n) => !numbers.includes(n));
  if (missing.length) problems.push(`gap: no ${missing.map((n) => String(n).padStart(4, "0")).join(", ")}`);
  const findings: Finding[] = [
    problems.length
      ? fail("Migrations", problems.slice(0, 3).join("; "))
      : pass("Migrations", `${numbered.length} files, 0000–${String(numbered.length - 1).padStart(4, "0")} in order`, deploy),
  ];
  if (migrations.journalTags !== null) {
    const stems = numbered.map((file) => file.replace(/\.sql$/, ""));
    const journal = migrations.journalTags;
    const first = Array.from({ length: Math.max(stems.length, journal.length) }, (_, i) => i).find((i) => stems[i] !== journal[i]);
    findings.push(
      first === undefined
        ? pass("Drizzle journal", `lists the same ${journal.length} migrations in the same order`)
        : fail(
            "Drizzle journal",
            `meta/_journal.json lists ${journal.length} migrations, the directory ${stems.length}; ` +
              `first difference: ${stems[first] ?? "no file"} vs ${journal[first] ?? "no journal entry"}`,
          ),
    );
  }
  return findings;
};
