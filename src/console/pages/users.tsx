import { Hono } from "hono";
import type { z } from "zod";
import { ROLES } from "../../db/schema";
import type { Page as ApiPage } from "../../lib/validation/pagination";
import type { adminUserSchema } from "../../openapi/schemas/user";
import { runAction } from "../actions";
import type { ConsoleEnv } from "../env";
import { takeFlash } from "../flash";
import { ActionForm, Badge, Empty, Filters, Input, Pager, Select, Time } from "../ui/components";
import { Page } from "../ui/layout";
import { apiInstant, DateTimeInput, FilterProblem, herePath, loadFiltered, readQuery } from "../ui/list-query";

type AdminUser = z.infer<typeof adminUserSchema>;

/** The filters GET /v1/admin/users takes (src/lib/validation/admin.ts). */
const FILTERS = ["q", "role", "createdAfter", "createdBefore", "cursor"] as const;

const userPath = (id: string) => `/admin/users/${encodeURIComponent(id)}`;
const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? "" : "s"}`;

function RoleForm({ user, csrfToken, back }: { user: AdminUser; csrfToken: string; back: string }) {
  return (
    <ActionForm action={`${userPath(user.id)}/role`} csrfToken={csrfToken} back={back} label="Change role">
      <label>
        New role
        <select name="role" required>
          {ROLES.map((role) => (
            <option value={role} selected={role === user.role}>
              {role}
            </option>
          ))}
        </select>
      </label>
      <label>
        Reason (optional, kept in the audit trail)
        <input type="text" name="reason" maxlength={1000} />
      </label>
    </ActionForm>
  );
}

function RevokeForm({ user, csrfToken, back, self }: { user: AdminUser; csrfToken: string; back: string; self: boolean }) {
  const question = self
    ? "Revoke every session and API key of YOUR OWN account? You will be signed out of the console too."
    : `Sign ${user.email} out everywhere and revoke all their API keys? Their password is unchanged.`;
  return (
    <ActionForm
      action={`${userPath(user.id)}/revoke-access`}
      csrfToken={csrfToken}
      back={back}
      label="Revoke access"
      confirm={question}
      danger
    >
      <label>
        Reason (required, kept in the audit trail)
        <textarea name="reason" rows={2} maxlength={1000} required></textarea>
      </label>
    </ActionForm>
  );
}

function UserRows({ users, me, csrfToken, back }: { users: AdminUser[]; me: string | undefined; csrfToken: string; back: string }) {
  if (users.length === 0) return <Empty text="No users match." />;
  return (
    <table>
      <caption class="visually-hidden">Users, newest first</caption>
      <thead>
        <tr>
          <th scope="col">User</th>
          <th scope="col">Role</th>
          <th scope="col">Joined</th>
          <th scope="col">Last sign-in</th>
          <th scope="col">Manage</th>
        </tr>
      </thead>
      <tbody>
        {users.map((user) => {
          const self = user.id === me;
          return (
            <tr>
              <th scope="row" class="wrap">
                {user.name}
                {self && <span class="muted"> (you)</span>}
                <br />
                <span class="muted">{user.email}</span>
                {user.emailVerifiedAt === null && <span class="muted"> · unverified</span>}
                <br />
                <a class="muted" href={`/admin/audit?actorId=${encodeURIComponent(user.id)}`}>
                  <code>{user.id}</code>
                </a>
              </th>
              <td>
                <Badge value={user.role} />
              </td>
              <td>
                <Time iso={user.createdAt} />
              </td>
              <td>
                <Time iso={user.lastLoginAt} />
              </td>
              <td>
                <details class="manage">
                  <summary>
                    Manage<span class="visually-hidden"> {user.email}</span>
                  </summary>
                  {self ? (
                    <p class="muted">Your own role is changed by another administrator.</p>
                  ) : (
                    <RoleForm user={user} csrfToken={csrfToken} back={back} />
                  )}
                  <RevokeForm user={user} csrfToken={csrfToken} back={back} self={self} />
                </details>
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** Accounts: search, change a role, force a user out (every session and API key revoked). */
export const usersPage = new Hono<ConsoleEnv>()
  .get("/users", async (c) => {
    const query = readQuery(c, FILTERS);
    const result = await loadFiltered(
      c.var.api.get<ApiPage<AdminUser>>("/v1/admin/users", {
        ...query,
        createdAfter: apiInstant(query.createdAfter),
        createdBefore: apiInstant(query.createdBefore),
        limit: 50,
      }),
    );
    return c.html(
      <Page title="Users" section="users" admin={c.var.auth?.user.name} csrfToken={c.var.csrfToken} flash={takeFlash(c)}>
        <Filters action="/admin/users">
          <Input name="q" label="Email or name contains" value={query.q} />
          <Select name="role" label="Role" options={ROLES} value={query.role} />
          <DateTimeInput name="createdAfter" label="Joined from" value={query.createdAfter} />
          <DateTimeInput name="createdBefore" label="Joined until" value={query.createdBefore} />
        </Filters>
        {result.ok ? (
          <>
            <UserRows users={result.value.data} me={c.var.auth?.user.id} csrfToken={c.var.csrfToken} back={herePath(c)} />
            <Pager path="/admin/users" query={query} nextCursor={result.value.nextCursor} />
          </>
        ) : (
          <FilterProblem problem={result.problem} />
        )}
      </Page>,
    );
  })
  .post("/users/:id/role", (c) =>
    runAction(
      c,
      {
        back: "/admin/users",
        success: ({ user }: { user: AdminUser }) => `${user.email} is now ${/^[aeiou]/.test(user.role) ? "an" : "a"} ${user.role}.`,
      },
      (form, csrfToken) =>
        c.var.api.patch<{ user: AdminUser }>(
          `/v1/admin/users/${encodeURIComponent(c.req.param("id"))}`,
          form.reason?.trim() ? { role: form.role ?? "", reason: form.reason } : { role: form.role ?? "" },
          csrfToken,
        ),
    ),
  )
  .post("/users/:id/revoke-access", (c) =>
    runAction(
      c,
      {
        back: "/admin/users",
        success: ({ revokedSessions, revokedApiKeys }: { revokedSessions: number; revokedApiKeys: number }) =>
          `Access revoked: ${plural(revokedSessions, "session")} and ${plural(revokedApiKeys, "API key")}.`,
      },
      (form, csrfToken) =>
        c.var.api.post<{ revokedSessions: number; revokedApiKeys: number }>(
          `/v1/admin/users/${encodeURIComponent(c.req.param("id"))}/revoke-access`,
          { reason: form.reason ?? "" },
          csrfToken,
        ),
    ),
  );
