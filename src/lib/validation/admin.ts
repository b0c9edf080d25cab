import { z } from "zod";
import { ROLES } from "../../db/schema";
import { paginationQuery } from "./pagination";
import { plainText } from "./text";

const userId = z.string().regex(/^usr_[0-9A-Z]{26}$/, "Invalid user id");
const reason = plainText({ max: 1000, multiline: true });

export const adminUserIdParam = z.strictObject({ id: userId });

/** `PATCH /v1/admin/users/:id`: the role is the only thing an admin changes about another account here. */
export const roleChangeBody = z.strictObject({
  role: z.enum(ROLES),
  reason: reason.optional(),
});
export type RoleChangeBody = z.infer<typeof roleChangeBody>;

/** `POST /v1/admin/users/:id/revoke-access`: a forced sign-out is always explained. */
export const revokeAccessBody = z.strictObject({ reason });
export type RevokeAccessBody = z.infer<typeof revokeAccessBody>;

/** `GET /v1/admin/users`: filters plus the cursor. `q` matches part of an email or name. */
export const adminUserListQuery = paginationQuery.extend({
  role: z.enum(ROLES).optional(),
  q: plainText({ max: 100 }).optional(),
  createdAfter: z.iso.datetime({ offset: true }).optional(),
  createdBefore: z.iso.datetime({ offset: true }).optional(),
});
export type AdminUserListQuery = z.infer<typeof adminUserListQuery>;
