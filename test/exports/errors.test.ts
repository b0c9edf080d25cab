import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { dataExports } from "../../src/db/schema";
import { createApiKey, createUser } from "../helpers/auth";
import { problemOf } from "../helpers/http";
import { jsonInit } from "../email/helpers";
import { db, exportHarness } from "./helpers";

describe("POST /v1/exports refuses what it cannot do, and writes nothing", () => {
  it("names each bad field", async () => {
    const harness = exportHarness();
    const instructor = await createUser({ role: "instructor" });
    const cases: [Record<string, unknown>, string][] = [
      [{ kind: "everything", format: "csv" }, "kind"],
      [{ kind: "question_bank", format: "pdf" }, "format"],
      [{ kind: "question_bank", format: "csv", params: { authorId: "usr_nope" } }, "params.authorId"],
      [{ kind: "question_bank", format: "csv", params: { subject: "x", extra: 1 } }, "params"],
      [{ kind: "test_results", format: "csv", params: {} }, "params.testId"],
      [{ kind: "test_results", format: "xlsx", params: { testId: "tst_' OR 1=1 --" } }, "params.testId"],
      [{ kind: "question_bank", format: "json", byteOrderMark: true }, "byteOrderMark"],
      [{ kind: "question_bank", format: "csv", owner: "usr_01JD8X2V3K4M5N6P7Q8R9S0T1V" }, ""],
    ];
    for (const [body, path] of cases) {
      const problem = await problemOf(await harness.requestExport(instructor, body));
      expect(problem.code, JSON.stringify(body)).toBe("validation_failed");
      expect(
        problem.errors?.some((error) => error.path.startsWith(path)),
        JSON.stringify(problem.errors),
      ).toBe(true);
    }
    expect(await db.$count(dataExports, eq(dataExports.ownerId, instructor.user.id))).toBe(0);
  });

  it("a test that does not exist is 404; an admin kind without its scope is 403", async () => {
    const harness = exportHarness();
    const admin = await createUser({ role: "admin" });
    const missing = await harness.requestExport(admin, {
      kind: "test_analytics",
      format: "pdf",
      params: { testId: "tst_01JD8X2V3K4M5N6P7Q8R9S0T1V" },
    });
    expect((await problemOf(missing)).code).toBe("not_found");
    const key = await createApiKey(admin.headers, { scopes: ["exports:create"] });
    const res = await harness.requestExport(
      { ...admin, headers: key.headers as { Authorization: string } },
      { kind: "audit_logs", format: "csv" },
    );
    expect((await problemOf(res)).code).toBe("insufficient_scope");
    const noScope = await createApiKey(admin.headers, { scopes: ["profile:read"] });
    const refused = await harness.requestExport(
      { ...admin, headers: noScope.headers as { Authorization: string } },
      { kind: "users", format: "csv" },
    );
    expect((await problemOf(refused)).code).toBe("insufficient_scope");
  });

  it("at most three exports wait or run at once per account", async () => {
    const harness = exportHarness();
    const instructor = await createUser({ role: "instructor" });
    for (let i = 0; i < 3; i++)
      expect((await harness.requestExport(instructor, { kind: "question_bank", format: "csv" })).status).toBe(202);
    const fourth = await harness.requestExport(instructor, { kind: "question_bank", format: "csv" });
    expect((await problemOf(fourth)).code).toBe("conflict");
    await harness.runJobs();
    expect((await harness.requestExport(instructor, { kind: "question_bank", format: "csv" })).status).toBe(202);
  });

  it("Idempotency-Key: a retry returns the same export, at once or later; another request under the key is 409", async () => {
    const harness = exportHarness();
    const instructor = await createUser({ role: "instructor" });
    const body = { kind: "question_bank", format: "csv" };
    const headers = { ...instructor.headers, "Idempotency-Key": crypto.randomUUID() };
    const send = (payload: Record<string, unknown>) => harness.request("/v1/exports", jsonInit("POST", payload, headers));
    const [first, second] = await Promise.all([send(body), send(body)]);
    const ids = [((await first.json()) as { id: string }).id, ((await second.json()) as { id: string }).id];
    expect(new Set(ids).size).toBe(1);
    const later = await send(body);
    expect(later.headers.get("Idempotent-Replayed")).toBe("true");
    expect(((await later.json()) as { id: string }).id).toBe(ids[0]);
    expect(await db.$count(dataExports, eq(dataExports.ownerId, instructor.user.id))).toBe(1);
    expect((await problemOf(await send({ ...body, format: "json" }))).code).toBe("conflict");
    const malformed = await harness.request(
      "/v1/exports",
      jsonInit("POST", body, { ...instructor.headers, "Idempotency-Key": "x".repeat(201) }),
    );
    expect((await problemOf(malformed)).code).toBe("validation_failed");
  });

  it("malformed ids and links are 400s, never 500s", async () => {
    const harness = exportHarness();
    const user = await createUser();
    expect((await harness.request("/v1/exports/not-an-id", { headers: user.headers })).status).toBe(400);
    expect((await harness.request("/v1/exports/exp_01JD8X2V3K4M5N6P7Q8R9S0T1V/download?expires=abc&signature=x")).status).toBe(400);
    expect((await harness.request("/v1/exports/exp_01JD8X2V3K4M5N6P7Q8R9S0T1V/download")).status).toBe(400);
    const forged = await harness.request(
      `/v1/exports/exp_01JD8X2V3K4M5N6P7Q8R9S0T1V/download?expires=${Date.now() + 60_000}&signature=${"A".repeat(43)}`,
    );
    expect((await problemOf(forged)).code).toBe("forbidden");
  });
});
