import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { ConsoleEnv } from "./env";

const FLASH_COOKIE = "proctor_console_flash";
const PATH = "/admin";

export interface Flash {
  kind: "success" | "error";
  text: string;
}

/** A one-shot message for the page an action redirects to (post/redirect/get). */
export function setFlash(c: Context<ConsoleEnv>, flash: Flash): void {
  setCookie(c, FLASH_COOKIE, JSON.stringify(flash), { path: PATH, httpOnly: true, sameSite: "Strict", maxAge: 60 });
}

/** The pending message, cleared as it is read; a cookie that is not ours reads as none. */
export function takeFlash(c: Context<ConsoleEnv>): Flash | null {
  const value = getCookie(c, FLASH_COOKIE);
  if (value === undefined) return null;
  deleteCookie(c, FLASH_COOKIE, { path: PATH });
  try {
    const flash = JSON.parse(value) as Partial<Flash>;
    if ((flash.kind === "success" || flash.kind === "error") && typeof flash.text === "string") {
      return { kind: flash.kind, text: flash.text.slice(0, 500) };
    }
  } catch {}
  return null;
}
