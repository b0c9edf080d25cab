import { readFileSync } from "node:fs";
import { must, type LoadClient } from "./client";
import { inParallel } from "./open-model";

export const STUDENT_PASSWORD = "Load-Test-Pass-2026!";
/** A reserved name (RFC 2606): mail to it goes nowhere, whatever the mail provider. */
const EMAIL_DOMAIN = "load.proctor.test";
/** Sign-ups run a PBKDF2 hash each: a few at a time keep the setup from starving the server's cores. */
const SIGNUP_CONCURRENCY = 4;

/** A student's bearer credential (session token or API key). */
export type StudentToken = string;

/** Registers a new student for this run and signs it in (each request recorded by `client`). */
export async function signUpStudent(client: LoadClient, runId: string, n: number): Promise<StudentToken> {
  const email = `load-${runId}-${n}@${EMAIL_DOMAIN}`;
  must(
    await client.call("sign up", "POST", "/v1/auth/register", { body: { email, password: STUDENT_PASSWORD, name: `Load Student ${n}` } }),
  );
  const login = must(await client.call("sign in", "POST", "/v1/auth/login", { body: { email, password: STUDENT_PASSWORD } }));
  return login.body.token as string;
}

/** Tokens from `--students-file`: one per line; blank lines and `#` comments skipped. */
function readStudentsFile(path: string): StudentToken[] {
  return readFileSync(path, "utf8")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => line.replace(/^Bearer\s+/i, ""));
}

/**
 * `count` students: the tokens of `--students-file` (all of them, however many), the accounts the
 * local server was seeded with, or new accounts signed up and in. Against a deployed environment
 * sign-ups meet the `auth` limit (10 a minute per address) unless it is raised for the run:
 * docs/operations.md.
 */
export async function prepareStudents(
  client: LoadClient,
  options: { studentsFile: string | null },
  seeded: StudentToken[],
  runId: string,
  count: number,
): Promise<StudentToken[]> {
  if (options.studentsFile) {
    const tokens = readStudentsFile(options.studentsFile);
    if (tokens.length === 0) throw new Error(`${options.studentsFile} holds no token`);
    return tokens;
  }
  if (seeded.length >= count) return seeded.slice(0, count);
  return inParallel(
    Array.from({ length: count }, (_, n) => n),
    SIGNUP_CONCURRENCY,
    (n) => signUpStudent(client, runId, n),
  );
}
