import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { expect } from "vitest";
import { createDb } from "../../src/db";
import { dataExports, type Export } from "../../src/db/schema";
import type { TestUser } from "../helpers/auth";
import { jsonInit, mailboxBindings, requestWith, runCapturedJobs, type EmailBindings } from "../email/helpers";

export const db = createDb(env.DB);

/** The real app over bindings whose queue sends are captured, so each test runs its export jobs itself. */
export function exportHarness() {
  const bindings: EmailBindings = mailboxBindings();
  const request = requestWith(bindings);
  return {
    bindings,
    request,
    /** POST /v1/exports as this user; returns the response. */
    requestExport(user: TestUser, body: Record<string, unknown>) {
      return request("/v1/exports", jsonInit("POST", body, user.headers));
    },
    /** Requests an export (expecting 202) and runs its job to the end; returns the export's row. */
    async produce(user: TestUser, body: Record<string, unknown>): Promise<Export> {
      const res = await request("/v1/exports", jsonInit("POST", body, user.headers));
      expect(res.status, await res.clone().text()).toBe(202);
      const { id } = (await res.json()) as { id: string };
      await runCapturedJobs(bindings, "exports");
      return exportRow(id);
    },
    /** The file of a completed export, fetched through a fresh signed link like a browser would. */
    async download(user: TestUser, exportId: string): Promise<Response> {
      const linkRes = await request(`/v1/exports/${exportId}/download-link`, { method: "POST", headers: user.headers });
      expect(linkRes.status, await linkRes.clone().text()).toBe(201);
      const { url } = (await linkRes.json()) as { url: string };
      const { pathname, search } = new URL(url);
      return request(pathname + search);
    },
    runJobs: () => runCapturedJobs(bindings, "exports"),
    runScoring: () => runCapturedJobs(bindings, "scoring"),
  };
}

export async function exportRow(id: string): Promise<Export> {
  const row = await db.select().from(dataExports).where(eq(dataExports.id, id)).get();
  if (!row) throw new Error(`export ${id} not found`);
  return row;
}
