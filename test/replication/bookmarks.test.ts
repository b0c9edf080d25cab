import { describe, expect, it } from "vitest";
import { createUser } from "../helpers/auth";
import { problemOf } from "../helpers/http";
import { BOOKMARK_SHAPE, replicated } from "./support";

const VALID = "00000085-0000024c-00004c6d-8e611177d83f7fb2f0396d0847be2cc6";
const JUNK = [
  "junk",
  "<script>alert(1)</script>",
  "00000085-0000024c-00004c6d",
  VALID.toUpperCase(),
  `${VALID}'; DROP TABLE users; --`,
  "first-unconstrained",
  "first-primary",
  `00000085-0000024c-00004c6d-${"a".repeat(65)}`,
  "0".repeat(10_000),
  `${VALID}, ${VALID}`,
];

describe("a bookmark that is not one", () => {
  it("is ignored: the request starts on the primary, succeeds, and gets a real bookmark back", async () => {
    const { headers } = await createUser();
    for (const junk of JUNK) {
      // A route that always queries: GET /v1/me with a warm credential runs none, and then has no bookmark to return.
      const { res, opened, bookmark } = await replicated("/v1/me/sessions", { headers: { ...headers, "X-D1-Bookmark": junk } });
      expect(res.status, junk).toBe(200);
      expect(opened, junk).toEqual(["first-primary"]);
      expect(bookmark, junk).toMatch(BOOKMARK_SHAPE);
      expect(bookmark).not.toBe(junk);
    }
  });

  it("an empty one counts as none", async () => {
    const { headers } = await createUser();
    const { res, opened } = await replicated("/v1/me", { headers: { ...headers, "X-D1-Bookmark": "" } });
    expect(res.status).toBe(200);
    expect(opened).toEqual(["first-unconstrained"]);
  });

  it("leaves an error response the problem it was, never a 500", async () => {
    const { res, opened, bookmark } = await replicated("/v1/me", { headers: { "X-D1-Bookmark": "<script>alert(1)</script>" } });
    expect(res.status).toBe(401);
    expect((await problemOf(res)).code).toBe("unauthenticated");
    expect(opened).toEqual(["first-primary"]);
    expect(bookmark ?? "").not.toContain("script");
  });
});
