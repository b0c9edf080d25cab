import { z } from "zod";
import { ID_PREFIXES, type IdKind } from "../../lib/ids";

const EXAMPLE_ULID = "01JD8X2V3K4M5N6P7Q8R9S0T1U";

/** A prefixed, time-sortable id (`tst_01JD…`); the prefix says what it names. */
export function prefixedId(kind: IdKind) {
  const prefix = ID_PREFIXES[kind];
  return z
    .string()
    .regex(new RegExp(`^${prefix}_[0-9A-Za-z]+$`))
    .meta({ description: `${article(kind)} ${kind} id: \`${prefix}_\` then a ULID.`, examples: [`${prefix}_${EXAMPLE_ULID}`] });
}

export const article = (word: string) => (/^[aeiou]/i.test(word) ? "An" : "A");

/** Timestamps are stored as epoch milliseconds and always answered as ISO-8601 UTC strings. */
export const isoDateTime = z.iso.datetime().meta({ examples: ["2026-12-03T08:15:30.000Z"] });

/** `{ data, nextCursor }`: pass `nextCursor` back as `?cursor=` until it is null. */
export function page<Item extends z.ZodType>(item: Item) {
  return z.object({
    data: z.array(item),
    nextCursor: z
      .string()
      .nullable()
      .meta({ description: "Opaque cursor of the next page; null on the last page.", examples: ["eyJpZCI6InRzdF8wMUpEOFgyVjNLIn0"] }),
  });
}
