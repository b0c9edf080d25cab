import type { CodeFacts } from "./code-facts";
import type { WranglerEnv } from "./wrangler-env";

type Status = "pass" | "warn" | "fail";

/** One line of the preflight table, and what an operator must still do by hand because of it. */
export interface Finding {
  check: string;
  status: Status;
  reason: string;
  byHand?: string[];
}

/** The migration files on disk and drizzle's journal, if any. */
export interface MigrationFacts {
  dir: string;
  /** File names in the directory; null when it does not exist. */
  files: string[] | null;
  /** Tags from `meta/_journal.json` in order; null without a journal. */
  journalTags: string[] | null;
}

/** Everything a check reads: all parsed up front, so the checks are pure and tests drive them with fixtures. */
export interface PreflightInput {
  envName: string;
  env: WranglerEnv;
  /** The top level of the same file: bindings shared with it are the development ones. */
  topLevel: WranglerEnv;
  code: CodeFacts;
  migrations: MigrationFacts;
  /** Text of the documentation an operator reads for settings (README.md, .dev.vars.example). */
  docs: string;
}

export type Check = (input: PreflightInput) => Finding[];

export const pass = (check: string, reason: string, byHand?: string[]): Finding => ({ check, status: "pass", reason, byHand });
export const warn = (check: string, reason: string, byHand?: string[]): Finding => ({ check, status: "warn", reason, byHand });
export const fail = (check: string, reason: string, byHand?: string[]): Finding => ({ check, status: "fail", reason, byHand });

/** `--env production` for wrangler commands, nothing for the top level. */
export const envFlag = (envName: string) => (envName === "" ? "" : ` --env ${envName}`);
