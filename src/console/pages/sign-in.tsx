import { Hono } from "hono";
import type { Context } from "hono";
import type { ConsoleEnv } from "../env";
import { readForm } from "../actions";
import { Page } from "../ui/layout";

/** Where to go after signing in: a console path only, never another site. */
function nextPath(value: string | undefined): string {
  return value && /^\/admin(?:[/?#]|$)/.test(value) ? value : "/admin";
}

function SignInForm({ next, email, problem }: { next: string; email?: string; problem?: string }) {
  return (
    <Page title="Sign in">
      {problem && (
        <p class="flash flash-error" role="alert">
          {problem}
        </p>
      )}
      <form method="post" action="/admin/sign-in" class="sign-in">
        <input type="hidden" name="next" value={next} />
        <label>
          Email
          <input type="email" name="email" value={email ?? ""} autocomplete="username" required autofocus />
        </label>
        <label>
          Password
          <input type="password" name="password" autocomplete="current-password" required />
        </label>
        <button type="submit">Sign in</button>
      </form>
      <p class="muted">The console is for the platform's administrators; it signs you in with the same session as the API.</p>
    </Page>
  );
}

export function refusalPage(name: string, csrfToken: string) {
  return (
    <Page title="Administrators only">
      <p>
        You are signed in as <strong>{name}</strong>, who is not an administrator. The console shows the platform's errors, queues, security
        events and audit trail, so only administrators may open it.
      </p>
      <form method="post" action="/admin/sign-out">
        <input type="hidden" name="_csrf" value={csrfToken} />
        <button type="submit">Sign in as someone else</button>
      </form>
    </Page>
  );
}

/** A sign-in form posted from another site is refused before it reaches the API (login CSRF). */
function crossSite(c: Context<ConsoleEnv>): boolean {
  const origin = c.req.header("Origin");
  return origin !== undefined && origin !== new URL(c.req.url).origin;
}

/** Sign in and out through the API's own routes, passing the cookies they set on to the browser. */
export const signInRoutes = new Hono<ConsoleEnv>()
  .get("/sign-in", (c) => {
    const next = nextPath(c.req.query("next"));
    if (c.var.auth?.kind === "session" && c.var.auth.role === "admin") return c.redirect(next, 303);
    return c.html(<SignInForm next={next} />);
  })
  .post("/sign-in", async (c) => {
    const form = await readForm(c);
    const next = nextPath(form.next);
    if (crossSite(c)) return c.html(<SignInForm next={next} problem="Sign in from this page." />, 403);
    const login = await c.var.api.raw("POST", "/v1/auth/login", { body: { email: form.email ?? "", password: form.password ?? "" } });
    if (!login.ok) {
      const problem = (await login.json().catch(() => ({}))) as { detail?: string; errors?: Array<{ message: string }> };
      const detail = problem.errors?.length ? "Enter an email address and a password." : (problem.detail ?? "Signing in failed.");
      return c.html(<SignInForm next={next} email={form.email} problem={detail} />, login.status === 429 ? 429 : 401);
    }
    const csrf = await c.var.api.raw("GET", "/v1/auth/csrf");
    for (const cookie of [...login.headers.getSetCookie(), ...csrf.headers.getSetCookie()]) {
      c.header("Set-Cookie", cookie, { append: true });
    }
    return c.redirect(next, 303);
  })
  .post("/sign-out", async (c) => {
    const form = await readForm(c);
    const logout = await c.var.api.raw("POST", "/v1/auth/logout", { csrfToken: form._csrf ?? "" });
    for (const cookie of logout.headers.getSetCookie()) c.header("Set-Cookie", cookie, { append: true });
    return c.redirect("/admin/sign-in", 303);
  });
