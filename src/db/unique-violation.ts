/** D1 reports a unique-index violation in the message of the error or of its cause (Drizzle wraps it). */
export function isUniqueViolation(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 4; current = current.cause, depth++) {
    if (/UNIQUE constraint failed/i.test(current.message)) return true;
  }
  return false;
}
