import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../../env";

/** Request and response header carrying a D1 session bookmark (docs/scaling.md). */
export const BOOKMARK_HEADER = "X-D1-Bookmark";

/**
 * The shape D1 gives its bookmarks: three 8-digit hex counters and a 32–64 digit hex hash, e.g.
 * `00000085-0000024c-00004c6d-8e61…6a74`. Anything else is never handed to `withSession`.
 */
const BOOKMARK = /^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{32,64}$/;

const SAFE_METHODS = new Set(["GET", "HEAD"]);

/** The request's database handle: the binding itself, or a read-replication session over it. */
export type RequestD1 = D1Database | D1DatabaseSession;

/**
 * Opens the request's D1 handle. With read replication off it is the binding. With it on, a request
 * carrying a valid bookmark continues from it (so a client reads its own writes); otherwise a safe
 * method may start on any replica and a write starts on the primary. A malformed bookmark is
 * ignored and the session starts on the primary: the freshest data is never a wrong answer.
 */
export function openRequestD1(binding: D1Database, replication: boolean, method: string, bookmarkHeader: string | undefined): RequestD1 {
  if (!replication) return binding;
  const bookmark = bookmarkHeader?.trim();
  if (bookmark && BOOKMARK.test(bookmark)) return binding.withSession(bookmark);
  return binding.withSession(SAFE_METHODS.has(method) && !bookmark ? "first-unconstrained" : "first-primary");
}

/**
 * Stamps every response with the latest bookmark of the request's session, so the client can send
 * it back and read at least what it has seen. Nothing while read replication is off. Runs right
 * after `services()` (which opens the session) so it wraps every later middleware and handler.
 */
export const readReplication = (): MiddlewareHandler<AppEnv> => {
  return async function readReplication(c, next) {
    await next();
    const d1 = c.var.d1;
    if (!("getBookmark" in d1)) return;
    const bookmark = d1.getBookmark();
    if (bookmark) c.header(BOOKMARK_HEADER, bookmark);
  };
};
