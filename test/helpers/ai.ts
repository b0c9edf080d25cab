import { env } from "cloudflare:workers";

/** The replies test/global/ai-provider.ts can play (its header describes each). */
interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
}

export type ScriptedAiReply = { delayMs?: number } & (
  | { status?: number; headers?: Record<string, string>; json: unknown }
  | { content: string; usage?: Usage | null }
  | { stream: string[]; usage?: Usage | null }
  | { hang: true }
);

export interface ReceivedAiRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: any;
}

/** A fresh namespace of the scripted provider: its base URL, the settings that point the Worker at it, its script and log. */
export function aiProvider() {
  const root = `${env.AI_TEST_URL}/${crypto.randomUUID()}`;
  const baseUrl = `${root}/v1`;
  return {
    baseUrl,
    settings: { AI_BASE_URL: baseUrl, AI_API_KEY: "sk-test", AI_MODEL: "test-model" },
    async script(replies: ScriptedAiReply[]): Promise<void> {
      const res = await fetch(`${root}/__script`, { method: "POST", body: JSON.stringify(replies) });
      if (!res.ok) throw new Error(`scripting the AI provider failed: ${res.status}`);
      await res.body?.cancel();
    },
    async requests(): Promise<ReceivedAiRequest[]> {
      return (await (await fetch(`${root}/__requests`)).json()) as ReceivedAiRequest[];
    },
  };
}
