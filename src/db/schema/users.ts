import { sql } from "drizzle-orm";
import { check, index, integer, real, sqliteTable, text } from "drizzle-orm/sqlite-core";

export const ROLES = ["student", "instructor", "admin"] as const;
export type Role = (typeof ROLES)[number];

export const users = sqliteTable(
  "users",
  {
    id: text("id").primaryKey(), // usr_
    /** Always stored lower-cased and trimmed; the CHECK keeps the unique index honest. */
    email: text("email").notNull().unique(),
    name: text("name").notNull(),
    role: text("role", { enum: ROLES }).notNull().default("student"),
    /** Self-describing, e.g. `pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>`, so parameters can change. */
    passwordHash: text("password_hash").notNull(),
    bio: text("bio"),
    avatarUrl: text("avatar_url"),
    /** IANA zone name; the planner buckets study time by it. */
    timezone: text("timezone").notNull().default("UTC"),
    targetExam: text("target_exam"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    lastLoginAt: integer("last_login_at"),
    /** Device tokens issued before this moment are no longer trusted (password change, forced sign-out). */
    trustedDevicesResetAt: integer("trusted_devices_reset_at"),
    /** When the user proved they read mail at `email` (null: not yet, or the address changed since). */
    emailVerifiedAt: integer("email_verified_at"),
  },
  (t) => [
    index("users_role_idx").on(t.role),
    index("users_created_at_idx").on(t.createdAt),
    check("users_email_lower_check", sql`${t.email} = lower(${t.email})`),
  ],
);

export type User = typeof users.$inferSelect;
export type NewUser = typeof users.$inferInsert;

/** One row per successful login; feeds new-device and impossible-travel detection. */
export const userLogins = sqliteTable(
  "user_logins",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    ip: text("ip"),
    userAgentHash: text("user_agent_hash"),
    country: text("country"),
    city: text("city"),
    latitude: real("latitude"),
    longitude: real("longitude"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("user_logins_user_id_created_at_idx").on(t.userId, t.createdAt)],
);

export type UserLogin = typeof userLogins.$inferSelect;
export type NewUserLogin = typeof userLogins.$inferInsert;
