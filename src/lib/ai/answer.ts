import type { z } from "zod";

const MAX_PROBLEMS = 10;
const MAX_PROBLEM_CHARS = 200;

export type CheckedAnswer<T> = { valid: true; value: T } | { valid: false; problems: string[] };

/** Models in JSON mode sometimes wrap the object in a Markdown code fence anyway. */
const withoutCodeFence = (text: string) => text.replace(/^\s*```(?:json)?\s*\n([\s\S]*?)\n\s*```\s*$/i, "$1");

/** Parses the model's answer as JSON and validates it; the problems say what to fix, in words the model can act on. */
export function checkAnswer<T>(content: string | null | undefined, schema: z.ZodType<T>): CheckedAnswer<T> {
  if (!content?.trim()) return { valid: false, problems: ["The answer was empty."] };
  let parsed: unknown;
  try {
    parsed = JSON.parse(withoutCodeFence(content));
  } catch (error) {
    return { valid: false, problems: [`The answer is not valid JSON: ${String((error as Error).message).slice(0, MAX_PROBLEM_CHARS)}`] };
  }
  const result = schema.safeParse(parsed);
  if (result.success) return { valid: true, value: result.data };
  return {
    valid: false,
    problems: result.error.issues
      .slice(0, MAX_PROBLEMS)
      .map((issue) =>
        `${issue.path.length > 0 ? issue.path.join(".") : "(the whole answer)"}: ${issue.message}`.slice(0, MAX_PROBLEM_CHARS),
      ),
  };
}
