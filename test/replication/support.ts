import { env } from "cloudflare:workers";
import { testApp } from "../helpers/test-app";

/** D1's bookmark shape (three hex counters and a hash). */
export const BOOKMARK_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{32,64}$/;

/**
 * The real bindings with read replication switched on, and the argument of every `withSession` the
 * request made (the real D1 binding still serves every query; the proxy only records).
 */
function replicatedEnv(setting = "on") {
  const opened: string[] = [];
  const DB = new Proxy(env.DB, {
    get(target, property) {
      if (property === "withSession") {
        return (constraintOrBookmark: string) => {
          opened.push(constraintOrBookmark);
          return target.withSession(constraintOrBookmark);
        };
      }
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { bindings: { ...env, DB, D1_READ_REPLICATION: setting }, opened };
}

/** Sends a request through the real app with replication on (or `setting`), returning what it opened. */
export async function replicated(path: string, init: RequestInit = {}, setting = "on") {
  const { bindings, opened } = replicatedEnv(setting);
  const res = await testApp().request(path, init, bindings);
  return { res, opened, bookmark: res.headers.get("X-D1-Bookmark") };
}
