import { z } from "zod";
import { scopeSchema } from "../../lib/validation/api-keys";
import { ROLES } from "../../db/schema";
import { isoDateTime, prefixedId } from "./primitives";

/** A user as the user themselves sees it (src/lib/users/present.ts). */
const roleSchema = z.enum(ROLES);

export const userSchema = z
  .object({
    id: prefixedId("user"),
    email: z.email(),
    /** When the user proved they read mail at `email`; null until then (and again after an address change). */
    emailVerifiedAt: isoDateTime.nullable(),
    name: z.string(),
    role: roleSchema,
    bio: z.string().nullable(),
    avatarUrl: z.string().nullable(),
    timezone: z.string().meta({ examples: ["Asia/Kolkata"] }),
    targetExam: z.string().nullable(),
    createdAt: isoDateTime,
    updatedAt: isoDateTime,
  })
  .meta({ id: "User" });

export const adminUserSchema = userSchema.extend({ lastLoginAt: isoDateTime.nullable() }).meta({ id: "AdminUser" });

/** A device token a client keeps so its next logins from this device skip the new-device checks (docs/identity.md). */
export const deviceTokenFields = {
  deviceToken: z.string().meta({ description: "Send as `X-Device-Token` on later logins from this device." }),
  deviceTokenExpiresAt: isoDateTime,
};

export const loginResultSchema = z.object({
  token: z.string().meta({ description: "Session token (`st_…`): send as `Authorization: Bearer`. Also set as a cookie." }),
  expiresAt: isoDateTime,
  ...deviceTokenFields,
  user: userSchema,
});

export const meSchema = z.object({
  user: userSchema,
  auth: z.object({ kind: z.enum(["session", "api_key"]), scopes: z.array(scopeSchema), apiKeyId: prefixedId("apiKey").nullable() }),
});

export const sessionSchema = z.object({
  id: prefixedId("session"),
  current: z.boolean(),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  createdAt: isoDateTime,
  expiresAt: isoDateTime,
  lastSeenAt: isoDateTime.nullable(),
});
