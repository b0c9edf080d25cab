import { expect } from "vitest";
import { CSRF_COOKIE } from "../../src/lib/auth/cookies";
import { clientIp, createUser, type TestUser } from "./auth";
import { BASE_URL, call } from "./http";

/**
 * A browser for the admin console inside workerd: keeps the cookies the console sets, sends the
 * Origin a browser would, and posts forms with the page's CSRF token (`_csrf`).
 */
export class ConsoleBrowser {
  private readonly cookies = new Map<string, string>();
  private readonly ip = clientIp();

  get csrfToken(): string {
    return this.cookies.get(CSRF_COOKIE) ?? "";
  }

  async get(path: string): Promise<Response> {
    return this.keep(await call(path, { headers: { ...this.ip, Cookie: this.cookieHeader() }, redirect: "manual" }));
  }

  /** A form post; `_csrf` is the page's token unless the test gives its own. */
  async post(path: string, fields: Record<string, string> = {}, origin = BASE_URL): Promise<Response> {
    const body = new URLSearchParams({ _csrf: this.csrfToken, ...fields });
    return this.keep(
      await call(path, {
        method: "POST",
        headers: { ...this.ip, Cookie: this.cookieHeader(), Origin: origin, "Content-Type": "application/x-www-form-urlencoded" },
        body,
        redirect: "manual",
      }),
    );
  }

  /** The page at `path` as HTML, asserting it rendered (200). */
  async page(path: string): Promise<string> {
    const res = await this.get(path);
    const html = await res.text();
    expect(res.status, html.slice(0, 500)).toBe(200);
    return html;
  }

  async signIn(email: string, password: string): Promise<Response> {
    const res = await this.post("/admin/sign-in", { email, password });
    // The first page mints the CSRF token when signing in did not (a session from elsewhere).
    if (res.status === 303 && !this.csrfToken) await this.get("/admin/errors");
    return res;
  }

  private cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }

  private keep(res: Response): Response {
    for (const cookie of res.headers.getSetCookie()) {
      const [pair = "", ...attributes] = cookie.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((a) => /max-age=0/i.test(a.trim())) || value === "";
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }
}

/** A signed-in console browser for a new user of `role` (an admin by default). */
export async function consoleAs(role: TestUser["user"]["role"] = "admin"): Promise<{ browser: ConsoleBrowser; user: TestUser }> {
  const user = await createUser({ role, name: `Console ${role}` });
  const browser = new ConsoleBrowser();
  const res = await browser.signIn(user.user.email, user.password);
  expect(res.status, await res.clone().text()).toBe(303);
  return { browser, user };
}
