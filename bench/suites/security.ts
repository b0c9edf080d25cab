import { randomBytes } from "node:crypto";
import { findInputProbes } from "../../src/lib/security/detectors/input-probes";
import { sanitizeRichText } from "../../src/lib/security/sanitize";
import { sniffFileType, typeForExtension } from "../../src/lib/uploads/file-types";
import { contentThreats, universalThreats } from "../../src/lib/uploads/threats";
import { percentile, printTable, type Row } from "../lib/table";

export const name = "security";

/**
 * CPU cost of the security work done per request: sanitising rich text on write, scanning a request
 * for probes (after the response), and inspecting an upload. Same V8 as workerd, measured in-process.
 */

async function time(iterations: number, work: () => unknown | Promise<unknown>): Promise<{ p50: number; p99: number; mean: number }> {
  for (let i = 0; i < Math.min(20, iterations); i++) await work();
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const started = performance.now();
    await work();
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 50), p99: percentile(samples, 99), mean: samples.reduce((a, b) => a + b, 0) / samples.length };
}

const QUESTION_HTML =
  '<p>Solve for <b>x</b>: 2x + 3 = 7. See <a href="https://example.com/hint?a=1&amp;b=2">the hint</a> and ' +
  '<img src="https://cdn.example.com/q.png" alt="figure 1">.</p><ul><li>x = 2</li><li>x = 5</li></ul>';
const HOSTILE_HTML =
  '<img src=x onerror=alert(1)><a href="jav&#x09;ascript:alert(1)" onclick=x>x</a><svg><script>alert(1)</script></svg>' +
  "<!-- <b> --><p style=x title='\"><script>'>t</p><scr<script>ipt>y</script>";

/** A structurally valid PNG (signature, IHDR, one IDAT of random bytes, IEND) of exactly `bytes` bytes. */
function pngOfSize(bytes: number): Uint8Array {
  const out = new Uint8Array(randomBytes(bytes));
  const view = new DataView(out.buffer);
  const chunk = (at: number, length: number, type: string) => {
    view.setUint32(at, length);
    out.set(new TextEncoder().encode(type), at + 4);
    return at + 12 + length;
  };
  out.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const idat = chunk(8, 13, "IHDR");
  chunk(chunk(idat, bytes - idat - 24, "IDAT"), 0, "IEND");
  return out;
}

async function zipOf(files: number, bytesEach: number): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  for (let i = 0; i < files; i++) {
    const name = new TextEncoder().encode(`q${i}.json`);
    const content = new TextEncoder().encode(JSON.stringify({ i, body: "x".repeat(bytesEach) }).slice(0, bytesEach));
    const data = new Uint8Array(
      await new Response(new Blob([content]).stream().pipeThrough(new CompressionStream("deflate-raw"))).arrayBuffer(),
    );
    const local = new Uint8Array(30 + name.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(8, 8, true);
    lv.setUint32(18, data.length, true);
    lv.setUint32(22, content.length, true);
    lv.setUint16(26, name.length, true);
    local.set(name, 30);
    const central = new Uint8Array(46 + name.length);
    const cv = new DataView(central.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(10, 8, true);
    cv.setUint32(20, data.length, true);
    cv.setUint32(24, content.length, true);
    cv.setUint16(28, name.length, true);
    cv.setUint32(42, offset, true);
    central.set(name, 46);
    parts.push(local, data);
    centrals.push(central);
    offset += local.length + data.length;
  }
  const directorySize = centrals.reduce((n, c) => n + c.length, 0);
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, files, true);
  ev.setUint16(10, files, true);
  ev.setUint32(12, directorySize, true);
  ev.setUint32(16, offset, true);
  const all = [...parts, ...centrals, end];
  const out = new Uint8Array(all.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of all) {
    out.set(a, at);
    at += a.length;
  }
  return out;
}

async function inspect(filename: string, bytes: Uint8Array) {
  const universal = universalThreats(filename, bytes);
  const type = sniffFileType(bytes, typeForExtension(filename.split(".").pop()!));
  if (universal.length > 0 || !type) throw new Error(`sample ${filename} was not clean`);
  const specific = await contentThreats(type, bytes);
  if (specific.length > 0) throw new Error(`sample ${filename} flagged: ${specific.join(", ")}`);
}

export async function run(): Promise<void> {
  const rows: Row[] = [];
  const add = async (what: string, size: number, iterations: number, work: () => unknown) => {
    const t = await time(iterations, work);
    rows.push({ work: what, bytes: size, "p50 ms": t.p50, "p99 ms": t.p99, "MB/s": size / 1024 / 1024 / (t.mean / 1000) });
  };

  for (const repeat of [4, 32, 256]) {
    const html = QUESTION_HTML.repeat(repeat);
    await add(`sanitizeRichText, question body`, html.length, 500, () => sanitizeRichText(html));
  }
  const hostile = HOSTILE_HTML.repeat(200);
  await add("sanitizeRichText, hostile markup", hostile.length, 500, () => sanitizeRichText(hostile));

  const typical = JSON.stringify({
    body: QUESTION_HTML.repeat(8),
    explanation: QUESTION_HTML,
    options: ["2", "5", "7", "9"],
    subject: "math",
  });
  await add("findInputProbes, typical JSON write", typical.length, 2000, () =>
    findInputProbes({ query: { limit: ["20"] }, body: typical }),
  );
  const large = JSON.stringify({ items: Array.from({ length: 400 }, (_, i) => ({ id: i, body: QUESTION_HTML })) });
  await add("findInputProbes, 400-item JSON import", large.length, 200, () => findInputProbes({ query: {}, body: large }));

  for (const size of [100 * 1024, 1024 * 1024, 10 * 1024 * 1024]) {
    const image = pngOfSize(size);
    await add("upload inspection, PNG", size, size > 1024 * 1024 ? 10 : 50, () => inspect("figure.png", image));
  }
  const bundle = await zipOf(200, 20_000);
  await add("upload inspection, zip (200 × 20 KB, inflated)", bundle.length, 20, () => inspect("bundle.zip", bundle));

  printTable("Security work per request (CPU, in-process V8)", rows);
}
