import type { Context } from "hono";
import { ConsoleApiError } from "./api";
import type { ConsoleEnv } from "./env";
import { setFlash } from "./flash";

type Form = Record<string, string>;

/** The posted form's text fields (files are not part of any console form). */
export async function readForm(c: Context<ConsoleEnv>): Promise<Form> {
  const form: Form = {};
  for (const [key, value] of Object.entries(await c.req.parseBody())) {
    if (typeof value === "string") form[key] = value;
  }
  return form;
}

/** Only a path of the console itself: `_back` comes from the form and must not redirect elsewhere. */
function consolePath(back: string | undefined, fallback: string): string {
  return back && /^\/admin(?:[/?#]|$)/.test(back) && !back.startsWith("//") ? back : fallback;
}

/**
 * Runs a page's action against the API and redirects back (post/redirect/get) with its outcome as
 * a flash message: `success` (phrased from the API's answer when a function), or the API's problem
 * detail when it refused, so the admin sees exactly why.
 */
export async function runAction<T>(
  c: Context<ConsoleEnv>,
  options: { back: string; success: string | ((result: T) => string) },
  action: (form: Form, csrfToken: string) => Promise<T>,
): Promise<Response> {
  const form = await readForm(c);
  const back = consolePath(form._back, options.back);
  try {
    const result = await action(form, form._csrf ?? "");
    setFlash(c, { kind: "success", text: typeof options.success === "string" ? options.success : options.success(result) });
  } catch (error) {
    if (!(error instanceof ConsoleApiError)) throw error;
    setFlash(c, { kind: "error", text: error.message });
  }
  return c.redirect(back, 303);
}
