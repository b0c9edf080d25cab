import type { Role } from "../../db/schema";

/** The one catalogue of scopes. A route names the scope it needs; an API key holds a subset of its owner's. */
export const SCOPES = {
  "profile:read": "Read own profile and sessions",
  "profile:write": "Edit own profile",
  "sessions:manage": "Revoke own sessions",
  "questions:read": "Read the question bank",
  "questions:write": "Create, edit and delete questions",
  "tests:read": "Read tests",
  "tests:write": "Create, edit, publish and delete tests",
  "attempts:read": "Read attempts and results",
  "attempts:write": "Start attempts, answer and submit",
  "attempts:grade": "Grade subjective answers",
  "analytics:read": "Read test analytics",
  "uploads:write": "Upload files",
  "planner:read": "Read study goals and sessions",
  "planner:write": "Manage study goals and sessions",
  "billing:read": "Read plans, coupons and own subscriptions",
  "billing:write": "Create subscriptions and validate coupons",
  "jobs:read": "Read own background jobs",
  "exports:create": "Start exports, read and download your own, cancel and delete them",
  "ai:use": "Use AI features",
  "search:read": "Search",
  "webhooks:manage": "Manage webhooks",
  "api_keys:manage": "Manage own API keys",
  "audit:read": "Read, export and verify the audit trail",
  "admin:read": "Read admin data: users, errors, metrics, queues, security events",
  "admin:write": "Change admin data: roles, plans, coupons, queues, blocks",
} as const;

export type Scope = keyof typeof SCOPES;
export const ALL_SCOPES = Object.keys(SCOPES) as Scope[];

const STUDENT_SCOPES: Scope[] = [
  "profile:read",
  "profile:write",
  "sessions:manage",
  "questions:read",
  "tests:read",
  "attempts:read",
  "attempts:write",
  "uploads:write",
  "planner:read",
  "planner:write",
  "billing:read",
  "billing:write",
  "jobs:read",
  "exports:create",
  "ai:use",
  "search:read",
  "api_keys:manage",
];

const INSTRUCTOR_SCOPES: Scope[] = [
  ...STUDENT_SCOPES,
  "questions:write",
  "tests:write",
  "attempts:grade",
  "analytics:read",
  "webhooks:manage",
];

/** What each role may do; a session carries all of its role's scopes. */
export const ROLE_SCOPES: Record<Role, ReadonlySet<Scope>> = {
  student: new Set(STUDENT_SCOPES),
  instructor: new Set(INSTRUCTOR_SCOPES),
  admin: new Set(ALL_SCOPES),
};

export function isScope(value: string): value is Scope {
  return Object.hasOwn(SCOPES, value);
}

const NO_SCOPES: ReadonlySet<Scope> = new Set();

/** A role's scopes; a value that is not a known role (a bad row) holds none rather than crashing. */
export function scopesOfRole(role: string): ReadonlySet<Scope> {
  return Object.hasOwn(ROLE_SCOPES, role) ? ROLE_SCOPES[role as Role] : NO_SCOPES;
}
