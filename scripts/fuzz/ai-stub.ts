import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/** What the stub answers for each schema the Worker asks for (src/lib/ai): valid, minimal content. */
const ANSWERS: Record<string, unknown> = {
  generated_questions: {
    questions: [
      {
        body: "Which option is the second one?",
        options: ["First", "Second", "Third", "Fourth"],
        correctOption: 1,
        explanation: "It is listed second.",
      },
    ],
  },
  answer_evaluation: { marks: 1, feedback: "A fair answer." },
  question_hint: { hint: "Read the question once more, slowly." },
};

/**
 * A local OpenAI-compatible provider for the fuzz run, so AI routes are fuzzed configured (unconfigured,
 * they rightly answer 503, which the fuzzer would count as server errors): structured calls get a
 * valid answer for their schema, streamed calls a short text. Never a real provider.
 */
export async function startAiStub(): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      let body: { stream?: boolean; response_format?: { json_schema?: { name?: string } } } = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {}
      const usage = { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 };
      if (body.stream) {
        res.writeHead(200, { "Content-Type": "text/event-stream" });
        const chunk = (delta: object, extra: object = {}) =>
          `data: ${JSON.stringify({ id: "stub", object: "chat.completion.chunk", created: 0, model: "fuzz-model", choices: [{ index: 0, delta, finish_reason: null }], ...extra })}\n\n`;
        res.end(
          `${chunk({ role: "assistant", content: "Let us look at it together." })}${chunk({}, { choices: [], usage })}data: [DONE]\n\n`,
        );
        return;
      }
      const content = JSON.stringify(ANSWERS[body.response_format?.json_schema?.name ?? ""] ?? {});
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(
        JSON.stringify({
          id: "stub",
          object: "chat.completion",
          created: 0,
          model: "fuzz-model",
          choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
          usage,
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
