import { isoOrNull, iso } from "../clock";
import { users, type User } from "../../db/schema";

/**
 * The columns of what a user sees of their own account, for a select that reads them alongside
 * something else (the credential lookup). Named one by one: a column added to `users` (a secret, an
 * admin-only field) stays out of the profile until someone decides it belongs.
 */
export const userProfileColumns = {
  id: users.id,
  email: users.email,
  emailVerifiedAt: users.emailVerifiedAt,
  name: users.name,
  role: users.role,
  bio: users.bio,
  avatarUrl: users.avatarUrl,
  timezone: users.timezone,
  targetExam: users.targetExam,
  createdAt: users.createdAt,
  updatedAt: users.updatedAt,
};

export type UserProfile = Pick<User, keyof typeof userProfileColumns>;

/** A user as the user themselves sees it: never the password hash. */
export function presentUser(user: UserProfile) {
  return {
    id: user.id,
    email: user.email,
    emailVerifiedAt: isoOrNull(user.emailVerifiedAt),
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
