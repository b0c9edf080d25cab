import { and, eq, gt, isNull, sql, type SQL } from "drizzle-orm";
import type { Database } from "../../db";
import { emailTokens, type EmailToken, type EmailTokenPurpose } from "../../db/schema";
import { base64UrlEncode, randomBytes, sha256Hex } from "../auth/tokens";
import { clock } from "../clock";
import { newId } from "../ids";

/**
 * Single-use tokens mailed to a user: `et_` + 32 random bytes. Only their SHA-256 is stored, so a
 * copy of the table opens nothing. Issuing one withdraws the user's earlier unused ones of the same
 * purpose: only the newest mail works.
 */
export const EMAIL_TOKEN_LIFETIME_MS: Record<EmailTokenPurpose, number> = {
  verify_email: 24 * 3_600_000,
  password_reset: 30 * 60_000,
  email_change: 24 * 3_600_000,
};

const EMAIL_TOKEN_SHAPE = /^et_[A-Za-z0-9_-]{43}$/;

export interface IssuedEmailToken {
  token: string;
  row: EmailToken;
  /** Withdraw the earlier ones, then insert this one: for the caller's batch. */
  statements: [ReturnType<typeof withdrawStatement>, ReturnType<typeof insertStatement>];
}

const withdrawStatement = (db: Database, userId: string, purpose: EmailTokenPurpose, now: number) =>
  db
    .update(emailTokens)
    .set({ usedAt: now })
    .where(and(eq(emailTokens.userId, userId), eq(emailTokens.purpose, purpose), isNull(emailTokens.usedAt)));

const insertStatement = (db: Database, row: EmailToken) => db.insert(emailTokens).values(row);

export async function issueEmailToken(
  db: Database,
  input: { userId: string; purpose: EmailTokenPurpose; email: string },
  now = clock.now(),
): Promise<IssuedEmailToken> {
  const token = `et_${base64UrlEncode(randomBytes())}`;
  const row: EmailToken = {
    id: newId("emailToken", now),
    userId: input.userId,
    purpose: input.purpose,
    tokenHash: await sha256Hex(token),
    email: input.email,
    expiresAt: now + EMAIL_TOKEN_LIFETIME_MS[input.purpose],
    usedAt: null,
    createdAt: now,
  };
  return { token, row, statements: [withdrawStatement(db, input.userId, input.purpose, now), insertStatement(db, row)] };
}

/** The live token of this purpose, or null: unknown, malformed, used, withdrawn and expired tokens all look the same. */
export async function findUsableToken(
  db: Database,
  purpose: EmailTokenPurpose,
  token: string,
  now = clock.now(),
): Promise<EmailToken | null> {
  if (!EMAIL_TOKEN_SHAPE.test(token)) return null;
  const row = await db
    .select()
    .from(emailTokens)
    .where(
      and(
        eq(emailTokens.tokenHash, await sha256Hex(token)),
        eq(emailTokens.purpose, purpose),
        isNull(emailTokens.usedAt),
        gt(emailTokens.expiresAt, now),
      ),
    )
    .get();
  return row ?? null;
}

/**
 * True while the token is unused. Every statement of the change a token authorises carries it and
 * comes before `consumeStatement`, so of two requests racing with one token exactly one changes anything.
 */
export const tokenUnused = (tokenId: string): SQL =>
  sql`exists (select 1 from ${emailTokens} where ${emailTokens.id} = ${tokenId} and ${emailTokens.usedAt} is null)`;

export const consumeStatement = (db: Database, tokenId: string, now: number) =>
  db
    .update(emailTokens)
    .set({ usedAt: now })
    .where(and(eq(emailTokens.id, tokenId), isNull(emailTokens.usedAt)));
