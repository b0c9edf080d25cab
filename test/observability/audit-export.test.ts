import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { csvCell, csvRow, unguardCsvText } from "../../src/lib/csv";
import { EXPORT_CHUNK_ROWS } from "../../src/lib/audit/export";
import { createUser } from "../helpers/auth";
import { call, problemOf } from "../helpers/http";
import { seedAudit } from "./seed";

const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

/** A strict RFC 4180 reader: quoted fields with doubled quotes, CRLF records. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = "";
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      record.push(field);
      field = "";
    } else if (ch === "\r" && text[i + 1] === "\n") {
      record.push(field);
      records.push(record);
      record = [];
      field = "";
      i++;
    } else field += ch;
  }
  if (field || record.length) throw new Error("CSV did not end with CRLF");
  return records;
}

describe("CSV cells", () => {
  it("escapes commas, quotes and newlines, and defuses formulas", () => {
    expect(csvCell("plain")).toBe("plain");
    expect(csvCell("a,b")).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell("line1\nline2")).toBe('"line1\nline2"');
    expect(csvCell("=1+1")).toBe("'=1+1");
    expect(csvCell('=HYPERLINK("http://x","y")')).toBe(`"'=HYPERLINK(""http://x"",""y"")"`);
    expect(csvCell("+cmd")).toBe("'+cmd");
    expect(csvCell("-2+3")).toBe("'-2+3");
    expect(csvCell("@SUM(A1)")).toBe("'@SUM(A1)");
    expect(csvCell("\tx")).toBe("'\tx");
    expect(csvCell(-5)).toBe("-5");
    expect(csvCell(null)).toBe("");
    expect(csvRow(["a", 1, null])).toBe("a,1,\r\n");
  });

  it("the formula guard is reversible, so an importer gets the original text back", () => {
    for (const text of ["=1+1", "-5 degrees", "'=already quoted", "''=twice", "'plain", "plain", "@home", "\tx"]) {
      expect(unguardCsvText(parseCsv(csvRow([text]))[0]![0]!), text).toBe(text);
    }
    expect(csvCell("'=x")).toBe("''=x");
    expect(csvCell("'plain")).toBe("'plain");
  });
});

describe("audit export", () => {
  const tag = crypto.randomUUID().slice(0, 8);
  const base = Math.floor(Date.now() / HOUR) * HOUR - 20 * HOUR;

  it("streams CSV per RFC 4180 with hostile values intact but harmless, and audits the export", async () => {
    const admin = await createUser({ role: "admin" });
    const [hostile] = await seedAudit([
      {
        action: "question.updated",
        targetType: "question",
        targetId: `=HYPERLINK("http://evil.example","click")${tag}`,
        userAgent: 'Agent, "quoted"\r\nsecond line',
        ip: "-1+2",
        metadata: { note: `comma, "quote" and\nnewline ${tag}` },
        createdAt: base,
      },
    ]);
    const res = await call(`/v1/admin/audit-logs/export?format=csv&q=${tag}`, { headers: admin.headers });
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toContain("text/csv");
    expect(res.headers.get("Content-Disposition")).toMatch(/^attachment; filename="audit-logs-.+\.csv"$/);
    const records = parseCsv(await res.text());
    expect(records).toHaveLength(2);
    const [header, row] = records;
    const col = (name: string) => row![header!.indexOf(name)];
    expect(col("id")).toBe(hostile!.id);
    expect(col("target_id")).toBe(`'=HYPERLINK("http://evil.example","click")${tag}`);
    expect(col("user_agent")).toBe('Agent, "quoted"\r\nsecond line');
    expect(col("ip")).toBe("'-1+2");
    expect(JSON.parse(col("metadata")!)).toEqual({ note: `comma, "quote" and\nnewline ${tag}` });
    expect(col("created_at")).toBe(iso(base));

    const audit = await env.DB.prepare("SELECT actor_id, metadata FROM audit_logs WHERE action = 'audit.exported' AND actor_id = ?")
      .bind(admin.user.id)
      .first<{ actor_id: string; metadata: string }>();
    expect(JSON.parse(audit!.metadata)).toMatchObject({ format: "csv", filters: { q: tag } });
  });

  it("streams many rows across chunks as NDJSON and as a JSON array, oldest first, honouring filters", async () => {
    const admin = await createUser({ role: "admin" });
    const total = EXPORT_CHUNK_ROWS * 2 + 37;
    const actor = `usr_bulk${tag}`;
    await seedAudit(Array.from({ length: total }, (_, i) => ({ actorId: actor, createdAt: base + HOUR + i * 10, targetId: `n${i}` })));
    await seedAudit([{ actorId: `usr_other${tag}`, createdAt: base + HOUR }]);

    const ndjson = await call(`/v1/admin/audit-logs/export?format=ndjson&actorId=${actor}`, { headers: admin.headers });
    expect(ndjson.headers.get("Content-Type")).toContain("application/x-ndjson");
    const lines = new TextDecoder()
      .decode(await ndjson.arrayBuffer())
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as { targetId: string; actorId: string });
    expect(lines).toHaveLength(total);
    expect(lines.map((line) => line.targetId)).toEqual(Array.from({ length: total }, (_, i) => `n${i}`));

    const json = await call(
      `/v1/admin/audit-logs/export?format=json&actorId=${actor}&from=${iso(base + HOUR + 100)}&to=${iso(base + HOUR + 200)}`,
      {
        headers: admin.headers,
      },
    );
    const array = (await json.json()) as { targetId: string }[];
    expect(array.map((entry) => entry.targetId)).toEqual(Array.from({ length: 10 }, (_, i) => `n${i + 10}`));

    const empty = await call(`/v1/admin/audit-logs/export?format=json&actorId=usr_nobody${tag}`, { headers: admin.headers });
    expect(await empty.json()).toEqual([]);
  });

  it("refuses bad formats and callers without audit:read", async () => {
    const admin = await createUser({ role: "admin" });
    expect((await problemOf(await call("/v1/admin/audit-logs/export?format=xlsx", { headers: admin.headers }))).code).toBe(
      "validation_failed",
    );
    const student = await createUser();
    expect((await problemOf(await call("/v1/admin/audit-logs/export", { headers: student.headers }))).code).toBe("insufficient_scope");
  });
});
