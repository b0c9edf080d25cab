import { loadConfig } from "../../src/config";
import { deleteInChunks, type DeleteTarget } from "../../src/db/delete-in-chunks";
import { DAY_MS } from "../../src/lib/clock";
import type { CronTask } from "../cron";

/** Messages past EMAIL_RETENTION_DAYS, whatever their status (the suppression list keeps what bounced). */
const OLD_EMAIL_MESSAGES: DeleteTarget = { table: "email_messages", where: "created_at < ?" };
/** Tokens a day past their expiry: no longer usable, kept a day so a late click still reads "expired", not "unknown". */
const DEAD_EMAIL_TOKENS: DeleteTarget = { table: "email_tokens", where: "expires_at < ?" };
/** Replay guard of the provider's events: older ones fail the signature's timestamp check anyway. */
const OLD_PROVIDER_EVENTS: DeleteTarget = { table: "email_provider_events", where: "received_at < ?" };

/** Daily: old messages, dead tokens, and provider event ids no replay can reuse. */
export const pruneEmailTask: CronTask = {
  name: "prune-email",
  run: async ({ env, now }) => ({
    messages: await deleteInChunks(env.DB, OLD_EMAIL_MESSAGES, [now - loadConfig(env).email.retentionDays * DAY_MS]),
    tokens: await deleteInChunks(env.DB, DEAD_EMAIL_TOKENS, [now - DAY_MS]),
    providerEvents: await deleteInChunks(env.DB, OLD_PROVIDER_EVENTS, [now - DAY_MS]),
  }),
};
