import { z } from "zod";

/**
 * The cache's statistics (src/lib/cache): D1's shared entries and this isolate's LRU. Open objects:
 * their counters are operational detail that grows with the cache, not a contract.
 */
export const cacheStatsSchema = z.object({
  shared: z.looseObject({ entries: z.number(), topEntries: z.array(z.looseObject({ key: z.string() })) }),
  isolate: z.looseObject({}),
});

export const cacheInvalidatedSchema = z.object({ tag: z.string(), deletedEntries: z.number().int() });
