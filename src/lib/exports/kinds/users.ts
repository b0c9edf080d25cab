import { z } from "zod";
import { ROLES } from "../../../db/schema";
import { iso, isoOrNull } from "../../clock";
import { csvRow } from "../../csv";
import { ApiError } from "../../errors";
import { defineExportKind } from "../kind";
import { csvOutput } from "../csv-output";

const PAGE_ROWS = 1000;

const COLUMNS = ["id", "email", "name", "role", "email_verified", "timezone", "target_exam", "created_at", "last_login_at"] as const;

interface UserRow {
  id: string;
  email: string;
  name: string;
  role: string;
  email_verified_at: number | null;
  timezone: string;
  target_exam: string | null;
  created_at: number;
  last_login_at: number | null;
}

/** Every account (or one role's), for operators: never password hashes or other credentials. */
export const usersExport = defineExportKind({
  summary: "Users (admin): one row per account",
  formats: ["csv"],
  roles: ["admin"],
  scope: "admin:read",
  params: z.strictObject({ role: z.enum(ROLES).optional() }),
  async authorize(_db, requester) {
    if (requester.role !== "admin") throw new ApiError("forbidden", "Only admins export users.");
    return "users";
  },
  async write(run, params) {
    const where = params.role ? "role = ?" : "1 = 1";
    const binds = params.role ? [params.role] : [];
    const total =
      (
        await run.d1
          .prepare(`SELECT count(*) AS n FROM users WHERE ${where}`)
          .bind(...binds)
          .first<{ n: number }>()
      )?.n ?? 0;
    const out = await csvOutput(run, COLUMNS);
    let after = "";
    let written = 0;
    for (;;) {
      const { results } = await run.d1
        .prepare(
          `SELECT id, email, name, role, email_verified_at, timezone, target_exam, created_at, last_login_at
           FROM users WHERE ${where} AND id > ? ORDER BY id LIMIT ${PAGE_ROWS}`,
        )
        .bind(...binds, after)
        .all<UserRow>();
      for (const user of results) {
        await out.write(
          csvRow([
            user.id,
            user.email,
            user.name,
            user.role,
            user.email_verified_at !== null,
            user.timezone,
            user.target_exam,
            iso(user.created_at),
            isoOrNull(user.last_login_at),
          ]),
        );
      }
      written += results.length;
      await run.progress(written, total);
      if (results.length < PAGE_ROWS) break;
      after = results.at(-1)!.id;
    }
    await out.flush();
    return written;
  },
});
