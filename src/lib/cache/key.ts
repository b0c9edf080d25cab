export type KeyInputs = Record<string, string | number | boolean | null | undefined>;

/**
 * A cache key: the read's name and every input its result depends on, in a fixed order and encoded,
 * so two different inputs never share a key (`tests:list?limit=20&scope=published`). Unset inputs
 * are left out.
 */
export function cacheKey(name: string, inputs: KeyInputs = {}): string {
  const params = new URLSearchParams();
  for (const field of Object.keys(inputs).sort()) {
    const value = inputs[field];
    if (value !== undefined && value !== null) params.set(field, String(value));
  }
  const query = params.toString();
  return query ? `${name}?${query}` : name;
}
