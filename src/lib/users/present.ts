import { getTableColumns } from "drizzle-orm";
import { isoOrNull, iso } from "../clock";
import { users, type User } from "../../db/schema";

/** What a user sees of their own account: never the password hash, nor the activity admins see. */
export type UserProfile = Omit<User, "passwordHash" | "lastLoginAt">;

const { passwordHash: _secret, lastLoginAt: _adminOnly, ...profileColumns } = getTableColumns(users);

/** The profile's columns, for a select that reads them alongside something else (the credential lookup). */
export const userProfileColumns = profileColumns;

/** A user as the user themselves sees it: never the password hash. */
export function presentUser(user: UserProfile) {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    role: user.role,
    bio: user.bio ?? null,
    avatarUrl: user.avatarUrl ?? null,
    timezone: user.timezone,
    targetExam: user.targetExam ?? null,
    createdAt: iso(user.createdAt),
    updatedAt: iso(user.updatedAt),
  };
}

/** What admins see in the user list: the profile plus account activity. */
export function presentUserForAdmin(user: User) {
  return { ...presentUser(user), lastLoginAt: isoOrNull(user.lastLoginAt) };
}

/** The fields worth recording in an audit diff (no secrets, no derived values). */
export function auditableUser(user: Partial<User>): Record<string, unknown> {
  const { passwordHash: _secret, ...rest } = user;
  return rest;
}
