import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ExportFileWriter, PART_BYTES } from "../../src/lib/exports/file-writer";

const options = { contentType: "text/csv", contentDisposition: 'attachment; filename="x.csv"' };

/** Bytes whose every position is recognisable, so a part out of order or cut short shows. */
function pattern(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (i * 31 + seed) & 0xff;
  return bytes;
}

describe("ExportFileWriter", () => {
  it("a small file is one put, with its type and disposition", async () => {
    const key = `exports/test/${crypto.randomUUID()}/small.csv`;
    const writer = new ExportFileWriter(env.FILES, key, options);
    await writer.write(new TextEncoder().encode("a,b\r\n"));
    await writer.write(new TextEncoder().encode("1,2\r\n"));
    expect(await writer.close()).toBe(10);
    const object = await env.FILES.get(key);
    expect(await object!.text()).toBe("a,b\r\n1,2\r\n");
    expect(object!.httpMetadata).toMatchObject(options);
  });

  it("a file larger than a part goes up in equal parts and comes back byte for byte", async () => {
    const key = `exports/test/${crypto.randomUUID()}/large.bin`;
    const writer = new ExportFileWriter(env.FILES, key, options);
    // Odd-sized chunks straddle the part boundary.
    const chunks = Array.from({ length: 13 }, (_, i) => pattern(777_777 + i, i));
    for (const chunk of chunks) await writer.write(chunk);
    const total = chunks.reduce((n, c) => n + c.length, 0);
    expect(total).toBeGreaterThan(PART_BYTES);
    expect(await writer.close()).toBe(total);
    const stored = new Uint8Array(await (await env.FILES.get(key))!.arrayBuffer());
    expect(stored.length).toBe(total);
    let offset = 0;
    for (const chunk of chunks) {
      expect(stored.subarray(offset, offset + chunk.length)).toEqual(chunk);
      offset += chunk.length;
    }
  });

  it("abort leaves nothing behind, before or after the first part", async () => {
    for (const size of [1000, PART_BYTES + 1000]) {
      const key = `exports/test/${crypto.randomUUID()}/aborted.bin`;
      const writer = new ExportFileWriter(env.FILES, key, options);
      await writer.write(pattern(size, 7));
      await writer.abort();
      expect(await env.FILES.head(key)).toBeNull();
      await expect(writer.write(pattern(10, 1))).rejects.toThrow(/closed/);
    }
  });
});
