import { z } from "zod";
import { ID_PREFIXES, type IdKind } from "../ids";

/** An id of one kind as input: its prefix, then a ULID in Crockford base32 (src/lib/ids.ts). */
export function idInput(kind: IdKind) {
  return z
    .string()
    .regex(new RegExp(`^${ID_PREFIXES[kind]}_[0-9A-HJKMNP-TV-Z]{26}$`), `Not ${/^[aeiou]/.test(kind) ? "an" : "a"} ${kind} id`);
}
