import { hashPassword } from "../../src/lib/auth/password";
import { newSession } from "../../src/lib/auth/sessions";
import { newId } from "../../src/lib/ids";
import { STUDENT_PASSWORD } from "./students";

const SESSION_TTL_SECONDS = 24 * 3600;

const quote = (value: string) => `'${value.replaceAll("'", "''")}'`;

/**
 * `count` students with a signed-in session each, as SQL for the local database before the server
 * opens it: signing a hundred students up through the API costs two PBKDF2 hashes each (minutes on a
 * laptop) and is not what a storm or a browse run measures. One password hash serves them all.
 */
export async function localStudentsSql(count: number, runId: string, now: number): Promise<{ sql: string; tokens: string[] }> {
  const passwordHash = await hashPassword(STUDENT_PASSWORD);
  const statements: string[] = [];
  const tokens: string[] = [];
  for (let n = 0; n < count; n++) {
    const id = newId("user", now);
    const { token, row } = await newSession(id, SESSION_TTL_SECONDS, { ip: null, userAgent: null });
    statements.push(
      "INSERT INTO users (id, email, name, role, password_hash, timezone, created_at, updated_at) VALUES " +
        `(${quote(id)}, ${quote(`seeded-${runId}-${n}@load.proctor.test`)}, ${quote(`Load Student ${n}`)}, 'student', ${quote(passwordHash)}, 'UTC', ${now}, ${now});`,
      "INSERT INTO sessions (id, user_id, token_hash, created_at, expires_at) VALUES " +
        `(${quote(row.id)}, ${quote(id)}, ${quote(row.tokenHash)}, ${row.createdAt}, ${row.expiresAt});`,
    );
    tokens.push(token);
  }
  return { sql: statements.join("\n"), tokens };
}
