import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { users } from "./users";

export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: text("id").primaryKey(), // key_
    name: text("name").notNull(),
    /** First characters of the plaintext key, shown in listings so owners can tell keys apart. */
    prefix: text("prefix").notNull(),
    /** SHA-256 of the full key. */
    keyHash: text("key_hash").notNull().unique(),
    /** After a rotation the old key keeps working until `previousKeyExpiresAt`. */
    previousKeyHash: text("previous_key_hash"),
    previousKeyExpiresAt: integer("previous_key_expires_at"),
    scopes: text("scopes", { mode: "json" }).$type<string[]>().notNull().default([]),
    ownerId: text("owner_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    expiresAt: integer("expires_at"),
    revokedAt: integer("revoked_at"),
    lastUsedAt: integer("last_used_at"),
    usageCount: integer("usage_count").notNull().default(0),
    /** Per-key rate limit override; null falls back to the default API-key policy. */
    rateLimitLimit: integer("rate_limit_limit"),
    rateLimitWindowSeconds: integer("rate_limit_window_seconds"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("api_keys_owner_id_idx").on(t.ownerId), index("api_keys_previous_key_hash_idx").on(t.previousKeyHash)],
);

export type ApiKey = typeof apiKeys.$inferSelect;
export type NewApiKey = typeof apiKeys.$inferInsert;
