import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApiKey, createUser, type TestUser } from "../helpers/auth";
import { call, problemOf } from "../helpers/http";
import {
  concat,
  gif,
  gifWithComment,
  jpeg,
  jpegSegment,
  jpegWith,
  noise,
  pdf,
  pdfWithObjectStream,
  png,
  pngChunk,
  pngWith,
  webp,
  webpWith,
  zip,
} from "../helpers/files";

interface UploadBody {
  id: string;
  key: string;
  size: number;
  contentType: string;
  sha256: string;
  filename: string;
  purpose: string;
}

function upload(
  headers: Record<string, string>,
  file: { bytes: Uint8Array; name: string; type: string },
  extra: Record<string, string> = {},
): Promise<Response> {
  const form = new FormData();
  form.append("file", new File([file.bytes], file.name, { type: file.type }));
  for (const [key, value] of Object.entries(extra)) form.append(key, value);
  return call("/v1/uploads", { method: "POST", headers, body: form });
}

async function sha256Hex(bytes: Uint8Array) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
}

describe("POST /v1/uploads accepts each allowed type", () => {
  const cases: [string, () => Uint8Array | Promise<Uint8Array>, string, string][] = [
    ["PNG", png, "diagram.png", "image/png"],
    ["JPEG (.jpg)", jpeg, "photo.jpg", "image/jpeg"],
    ["JPEG (.jpeg)", jpeg, "photo.JPEG", "image/jpeg"],
    ["GIF", gif, "anim.gif", "image/gif"],
    ["WebP", webp, "pic.webp", "image/webp"],
    ["PDF", () => pdf(), "paper.pdf", "application/pdf"],
    ["CSV", () => new TextEncoder().encode("question,answer\n2+2,4\n"), "import.csv", "text/csv"],
    ["JSON", () => new TextEncoder().encode('[{"body":"2+2?","answer":"4"}]'), "import.json", "application/json"],
    ["text", () => new TextEncoder().encode("plain notes\n"), "notes.txt", "text/plain; charset=utf-8"],
    [
      "ZIP",
      () =>
        zip([
          { name: "questions.json", content: '[{"q":1}]' },
          { name: "images/q1.png", content: png(), store: true },
        ]),
      "bundle.zip",
      "application/zip",
    ],
  ];

  it.each(cases)("%s", async (_name, make, filename, type) => {
    const { user, headers } = await createUser();
    const bytes = await make();
    const res = await upload(headers, { bytes, name: filename, type });
    expect(res.status, await res.clone().text()).toBe(201);
    const body = (await res.json()) as UploadBody;
    expect(body.id).toMatch(/^upl_/);
    expect(body.size).toBe(bytes.byteLength);
    expect(body.sha256).toBe(await sha256Hex(bytes));
    expect(body.contentType).toBe(type.split(";")[0]);
    expect(body.filename).toBe(filename);
    expect(body.key).toMatch(new RegExp(`^uploads/${user.id}/${body.id}\\.`));
    expect(res.headers.get("Location")).toBe(`/v1/uploads/${body.id}`);

    const object = await env.FILES.get(body.key);
    expect(object).not.toBeNull();
    expect(new Uint8Array(await object!.arrayBuffer())).toEqual(bytes);
    expect(object!.httpMetadata?.contentType).toBe(body.contentType);

    const row = await env.DB.prepare("SELECT owner_id, sha256, size FROM uploads WHERE id = ?").bind(body.id).first();
    expect(row).toEqual({ owner_id: user.id, sha256: body.sha256, size: bytes.byteLength });
    const audit = await env.DB.prepare("SELECT actor_id, status FROM audit_logs WHERE action = 'upload.created' AND target_id = ?")
      .bind(body.id)
      .first();
    expect(audit).toEqual({ actor_id: user.id, status: "SUCCESS" });
  });

  it("defaults the purpose from the type and accepts an explicit one", async () => {
    const { headers } = await createUser();
    const image = (await (await upload(headers, { bytes: png(), name: "a.png", type: "image/png" })).json()) as UploadBody;
    expect(image.purpose).toBe("question_image");
    const data = (await (await upload(headers, { bytes: pdf(), name: "a.pdf", type: "application/pdf" })).json()) as UploadBody;
    expect(data.purpose).toBe("question_import");
    const chosen = await upload(headers, { bytes: png(), name: "b.png", type: "image/png" }, { purpose: "question_import" });
    expect(((await chosen.json()) as UploadBody).purpose).toBe("question_import");
  });

  it("keeps only the base name of a path-like file name", async () => {
    const { headers } = await createUser();
    const res = await upload(headers, { bytes: png(), name: "C:\\fakepath\\scan.png", type: "image/png" });
    expect(((await res.json()) as UploadBody).filename).toBe("scan.png");
  });

  it("works with an API key holding uploads:write", async () => {
    const { headers } = await createUser();
    const key = await createApiKey(headers, { scopes: ["uploads:write"] });
    const res = await upload(key.headers, { bytes: png(), name: "k.png", type: "image/png" });
    expect(res.status).toBe(201);
  });
});

describe("POST /v1/uploads accepts real-world shapes the inspection must not mistake for attacks", () => {
  const XMP =
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description dc:title="Forces &lt;and&gt; motion"/></rdf:RDF></x:xmpmeta>';
  const cases: [string, () => Uint8Array | Promise<Uint8Array>, string, string][] = [
    [
      "a PDF whose objects live in a compressed object stream",
      () => pdfWithObjectStream("<< /Kids [] /Limits [(a) (z)] >>"),
      "modern.pdf",
      "application/pdf",
    ],
    [
      "a PDF object stream with an indirect /Length",
      () => pdfWithObjectStream("<< /Kids [] >>", { indirectLength: true }),
      "modern2.pdf",
      "application/pdf",
    ],
    [
      "a PDF whose names only start like active ones",
      () => pdf("/JSON 1 /AAA 2 /URIs 3 /Launcher 4 /JavaScriptish 5 /X#2FJS 6 "),
      "names.pdf",
      "application/pdf",
    ],
    [
      "a PNG with random pixels and a text chunk",
      () => pngWith([pngChunk("tEXt", "Software\0Inkscape 1.3, a < b > c")], noise(200_000, 41)),
      "plot.png",
      "image/png",
    ],
    [
      "a JPEG with binary EXIF, XMP and a long random scan",
      () =>
        jpegWith(
          [jpegSegment(0xe1, concat("Exif\0\0", noise(60_000, 43))), jpegSegment(0xe1, concat("http://ns.adobe.com/xap/1.0/\0", XMP))],
          noise(500_000, 47),
        ),
      "photo.jpg",
      "image/jpeg",
    ],
    [
      "a phone's motion photo: a video appended after the JPEG",
      () => concat(jpeg(), new Uint8Array([0, 0, 0, 0x18]), "ftypmp42", noise(1_000_000, 53)),
      "motion.jpg",
      "image/jpeg",
    ],
    ["a GIF with a plain comment", () => gifWithComment("Drawn for question 12: x < y and y > z. Not markup."), "c.gif", "image/gif"],
    ["a WebP with EXIF and XMP", () => webpWith("XMP ", XMP), "w.webp", "image/webp"],
    ["a PNG followed by zero padding", () => concat(png(), new Uint8Array(4096)), "padded.png", "image/png"],
  ];
  it.each(cases)("%s", async (_name, make, filename, type) => {
    const bytes = await make();
    const { headers } = await createUser();
    const res = await upload(headers, { bytes, name: filename, type });
    expect(res.status, await res.clone().text()).toBe(201);
  });
});

describe("POST /v1/uploads under concurrency", () => {
  it("judges each of many simultaneous uploads on its own: clean ones stored, hostile ones refused and absent", async () => {
    const { user, headers } = await createUser();
    const files = await Promise.all(
      Array.from({ length: 12 }, async (_, i) =>
        i % 2 === 0
          ? { bytes: pngWith([], noise(5000, i + 1)), name: `clean-${i}.png`, type: "image/png", clean: true }
          : i % 4 === 1
            ? { bytes: concat(png(), await zip([{ name: "x.txt", content: "x" }])), name: `zip-${i}.png`, type: "image/png", clean: false }
            : {
                bytes: await pdfWithObjectStream("<< /S /JavaScript /JS (app.alert(1)) >>"),
                name: `js-${i}.pdf`,
                type: "application/pdf",
                clean: false,
              },
      ),
    );
    const responses = await Promise.all(files.map((file) => upload(headers, file)));
    expect(responses.map((r) => r.status)).toEqual(files.map((file) => (file.clean ? 201 : 422)));
    const stored = await env.DB.prepare("SELECT filename FROM uploads WHERE owner_id = ? ORDER BY filename")
      .bind(user.id)
      .all<{ filename: string }>();
    expect(stored.results.map((row) => row.filename)).toEqual(
      files
        .filter((file) => file.clean)
        .map((file) => file.name)
        .sort(),
    );
    expect((await env.FILES.list({ prefix: `uploads/${user.id}/` })).objects).toHaveLength(6);
  });
});

describe("POST /v1/uploads request errors", () => {
  it("requires authentication", async () => {
    const res = await upload({}, { bytes: png(), name: "a.png", type: "image/png" });
    expect(res.status).toBe(401);
  });

  it("requires the uploads:write scope", async () => {
    const { headers } = await createUser();
    const key = await createApiKey(headers, { scopes: ["questions:read"] });
    const res = await upload(key.headers, { bytes: png(), name: "a.png", type: "image/png" });
    expect(res.status).toBe(403);
    expect((await problemOf(res)).code).toBe("insufficient_scope");
  });

  it("wants multipart/form-data", async () => {
    const { headers } = await createUser();
    const res = await call("/v1/uploads", { method: "POST", headers: { ...headers, "Content-Type": "image/png" }, body: png() });
    expect(res.status).toBe(415);
    expect((await problemOf(res)).code).toBe("unsupported_media_type");
  });

  it("wants a `file` field", async () => {
    const { headers } = await createUser();
    const form = new FormData();
    form.append("other", "x");
    const res = await call("/v1/uploads", { method: "POST", headers, body: form });
    expect(res.status).toBe(400);
    expect((await problemOf(res)).errors?.[0]?.path).toBe("file");
  });

  it("takes exactly one file", async () => {
    const { headers } = await createUser();
    const form = new FormData();
    form.append("file", new File([png()], "a.png", { type: "image/png" }));
    form.append("file", new File([png()], "b.png", { type: "image/png" }));
    const res = await call("/v1/uploads", { method: "POST", headers, body: form });
    expect(res.status).toBe(400);
  });

  it("refuses unknown fields and bad purposes", async () => {
    const { headers } = await createUser();
    const unknown = await upload(headers, { bytes: png(), name: "a.png", type: "image/png" }, { ownerId: "usr_someoneelse" });
    expect(unknown.status).toBe(400);
    expect((await problemOf(unknown)).errors?.[0]?.path).toBe("ownerId");
    const badPurpose = await upload(headers, { bytes: png(), name: "a.png", type: "image/png" }, { purpose: "avatar" });
    expect(badPurpose.status).toBe(400);
  });

  it("refuses an empty file", async () => {
    const { headers } = await createUser();
    const res = await upload(headers, { bytes: new Uint8Array(0), name: "a.png", type: "image/png" });
    expect(res.status).toBe(400);
  });

  it("answers 413 past the size cap, without storing anything", async () => {
    const { headers } = await createUser();
    const big = new Uint8Array(10 * 1024 * 1024 + 1);
    big.set(png());
    const res = await upload(headers, { bytes: big, name: "big.png", type: "image/png" });
    expect(res.status).toBe(413);
    expect((await problemOf(res)).code).toBe("payload_too_large");
  });
});

describe("GET /v1/uploads", () => {
  it("lists only the caller's uploads, newest first, with a cursor and a purpose filter", async () => {
    const owner = await createUser();
    const other = await createUser();
    await upload(other.headers, { bytes: png(), name: "theirs.png", type: "image/png" });
    const ids: string[] = [];
    for (const name of ["a.png", "b.png", "c.pdf"]) {
      const type = name.endsWith(".pdf") ? "application/pdf" : "image/png";
      const res = await upload(owner.headers, { bytes: name.endsWith(".pdf") ? pdf() : png(), name, type });
      ids.unshift(((await res.json()) as UploadBody).id);
    }
    const first = (await (await call("/v1/uploads?limit=2", { headers: owner.headers })).json()) as {
      data: UploadBody[];
      nextCursor: string;
    };
    expect(first.data.map((u) => u.id)).toEqual(ids.slice(0, 2));
    const second = (await (await call(`/v1/uploads?limit=2&cursor=${first.nextCursor}`, { headers: owner.headers })).json()) as {
      data: UploadBody[];
      nextCursor: string | null;
    };
    expect(second.data.map((u) => u.id)).toEqual(ids.slice(2));
    expect(second.nextCursor).toBeNull();
    const images = (await (await call("/v1/uploads?purpose=question_image", { headers: owner.headers })).json()) as { data: UploadBody[] };
    expect(images.data.map((u) => u.filename).sort()).toEqual(["a.png", "b.png"]);
    expect((await call("/v1/uploads?purpose=weird", { headers: owner.headers })).status).toBe(400);
  });
});

describe("GET /v1/uploads/:id", () => {
  async function uploaded(owner: TestUser) {
    const res = await upload(owner.headers, { bytes: png(), name: "mine.png", type: "image/png" });
    return (await res.json()) as UploadBody;
  }

  it("shows the owner its upload and serves the bytes as an attachment", async () => {
    const owner = await createUser();
    const body = await uploaded(owner);
    const res = await call(`/v1/uploads/${body.id}`, { headers: owner.headers });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: body.id, sha256: body.sha256, ownerId: owner.user.id });

    const content = await call(`/v1/uploads/${body.id}/content`, { headers: owner.headers });
    expect(content.status).toBe(200);
    expect(new Uint8Array(await content.arrayBuffer())).toEqual(png());
    expect(content.headers.get("Content-Type")).toBe("image/png");
    expect(content.headers.get("Content-Disposition")).toMatch(/^attachment;/);
    expect(content.headers.get("X-Content-Type-Options")).toBe("nosniff");
  });

  it("serves stored bytes under their own sandboxing CSP, not the API's default, for every type and every reader", async () => {
    const owner = await createUser();
    const admin = await createUser({ role: "admin" });
    const ids: string[] = [];
    for (const [bytes, name, type] of [
      [png(), "p.png", "image/png"],
      [pdf(), "d.pdf", "application/pdf"],
      [new TextEncoder().encode("a,b\n1,2\n"), "t.csv", "text/csv"],
    ] as const) {
      ids.push(((await (await upload(owner.headers, { bytes, name, type })).json()) as UploadBody).id);
    }
    // Concurrent reads, by the owner and an admin: each response carries the route's headers.
    const reads = await Promise.all(
      ids.flatMap((id) => [owner, admin].map((reader) => call(`/v1/uploads/${id}/content`, { headers: reader.headers }))),
    );
    for (const res of reads) {
      expect(res.status).toBe(200);
      expect(res.headers.get("Content-Security-Policy")).toBe("default-src 'none'; sandbox");
      expect(res.headers.get("Content-Disposition")).toMatch(/^attachment; filename="upl_[0-9A-Z]{26}\.(png|pdf|csv)"$/);
      expect(res.headers.get("X-Content-Type-Options")).toBe("nosniff");
      // The global headers still fill in what the route did not set.
      expect(res.headers.get("X-Frame-Options")).toBe("DENY");
      expect(res.headers.get("Strict-Transport-Security")).toContain("max-age=63072000");
    }
    // Every other response keeps the API's own policy.
    const metadata = await call(`/v1/uploads/${ids[0]}`, { headers: owner.headers });
    expect(metadata.headers.get("Content-Security-Policy")).toBe(
      "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    );
  });

  it("answers 404 to another user, as if the upload did not exist", async () => {
    const owner = await createUser();
    const other = await createUser();
    const body = await uploaded(owner);
    for (const path of [`/v1/uploads/${body.id}`, `/v1/uploads/${body.id}/content`]) {
      const res = await call(path, { headers: other.headers });
      expect(res.status).toBe(404);
      expect((await problemOf(res)).code).toBe("not_found");
    }
  });

  it("lets an admin see any upload", async () => {
    const owner = await createUser();
    const admin = await createUser({ role: "admin" });
    const body = await uploaded(owner);
    expect((await call(`/v1/uploads/${body.id}`, { headers: admin.headers })).status).toBe(200);
  });

  it("answers 404 for unknown and malformed ids", async () => {
    const { headers } = await createUser();
    expect((await call("/v1/uploads/upl_01JD0000000000000000000000", { headers })).status).toBe(404);
    expect((await call("/v1/uploads/../../etc/passwd", { headers })).status).toBe(404);
    expect((await call("/v1/uploads/not-an-id", { headers })).status).toBe(404);
  });
});
