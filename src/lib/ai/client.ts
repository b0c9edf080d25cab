import OpenAI, { APIError } from "openai";
import type { ChatCompletionCreateParamsNonStreaming, ChatCompletionMessageParam } from "openai/resources/chat/completions";
import { z } from "zod";
import { loadConfig } from "../../config";
import type { Env } from "../../env";
import { checkAnswer } from "./answer";
import { breakerFor, type CircuitBreaker } from "./breaker";
import { AiInvalidOutputError, AiUnavailableError } from "./errors";
import { unavailableFrom, withRetries } from "./retry";
import { type AiConfig, type AiFeature, type AiUsage, UsageMeter } from "./usage-meter";

export interface ChatMessage {
  role: "user" | "assistant";
  content: string;
}

export interface StructuredRequest<T> {
  system: string;
  messages: ChatMessage[];
  schema: z.ZodType<T>;
  /** Names the schema for the provider (letters, digits, `_` and `-`). */
  schemaName: string;
  /** Re-asks after an answer that is not valid JSON or breaks the schema (default 2). */
  maxValidationRetries?: number;
}

export interface StreamRequest {
  system: string;
  messages: ChatMessage[];
}

export interface AiStream {
  /** Text deltas in order; throws AiUnavailableError if the provider breaks off. */
  chunks: AsyncIterable<string>;
  /** Resolves (never rejects) once `chunks` has ended, failed or been abandoned. */
  usage: Promise<AiUsage>;
}

export interface AiClientOptions {
  fetch?: typeof fetch;
}

const NOT_CONFIGURED = "AI is not configured on this deployment: set AI_BASE_URL, AI_API_KEY and AI_MODEL.";
const DEFAULT_VALIDATION_RETRIES = 2;

/** Base URLs whose provider refused a `json_schema` response format: JSON mode from then on, in this isolate. */
const jsonSchemaRefusedBy = new Set<string>();

const refusesJsonSchema = (error: unknown) =>
  error instanceof APIError && error.status === 400 && /response_format|json_schema/i.test(error.message);

const charactersOf = (messages: ChatCompletionMessageParam[]) =>
  messages.reduce((sum, message) => sum + (typeof message.content === "string" ? message.content.length : 0), 0);

/** The schema as the provider reads it; `$schema` is left out as strict structured outputs do not expect it. */
function providerSchemaOf(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { unrepresentable: "any" });
  return rest;
}

const correction = (problems: string[]) =>
  `Your previous answer could not be used:\n${problems.map((problem) => `- ${problem}`).join("\n")}\n` +
  "Answer again with only the corrected JSON object.";

interface Provider {
  config: AiConfig;
  openai: OpenAI;
  breaker: CircuitBreaker;
}

export function createAiClient(env: Env, options?: AiClientOptions): AiClient {
  return new AiClient(loadConfig(env).ai, options);
}

/**
 * An OpenAI-compatible chat completions provider, behind a per-base-URL circuit breaker, with bounded
 * retries and usage accounting. The client adds nothing personal to a request: no `user` field, no
 * organisation or project header; what the model sees is exactly what the caller passes.
 */
export class AiClient {
  readonly #provider: Provider | null;

  constructor(config: AiConfig | null, options: AiClientOptions = {}) {
    this.#provider = config && {
      config,
      breaker: breakerFor(config.baseUrl),
      openai: new OpenAI({
        baseURL: config.baseUrl,
        apiKey: config.apiKey,
        timeout: config.timeoutMs,
        maxRetries: 0, // retry.ts retries, so a long Retry-After fails fast
        organization: null, // null, not undefined: never read OPENAI_ORG_ID / OPENAI_PROJECT_ID from the environment
        project: null,
        logLevel: "off", // failures reach the caller as AiUnavailableError
        ...(options.fetch ? { fetch: options.fetch } : {}),
      }),
    };
  }

  /** A JSON answer validated against `schema`; re-asks with the problems, then throws AiInvalidOutputError. */
  async structured<T>(feature: AiFeature, request: StructuredRequest<T>): Promise<{ value: T; usage: AiUsage }> {
    const schema = providerSchemaOf(request.schema);
    const provider = this.#admitted();
    const { config } = provider;
    const meter = new UsageMeter(feature, config.models[feature], config.pricing);
    const conversation: ChatMessage[] = [...request.messages];
    const maxRetries = request.maxValidationRetries ?? DEFAULT_VALIDATION_RETRIES;

    const ask = (jsonMode: boolean) => {
      const messages: ChatCompletionMessageParam[] = [
        {
          role: "system",
          content: jsonMode
            ? `${request.system}\n\nAnswer with one JSON object and nothing else. It must match this JSON Schema:\n${JSON.stringify(schema)}`
            : request.system,
        },
        ...conversation,
      ];
      const responseFormat: ChatCompletionCreateParamsNonStreaming["response_format"] = jsonMode
        ? { type: "json_object" }
        : { type: "json_schema", json_schema: { name: request.schemaName, schema, strict: true } };
      return withRetries(config.maxRetries, async () => {
        meter.countAttempt();
        const completion = await provider.openai.chat.completions.create({
          model: config.models[feature],
          messages,
          response_format: responseFormat,
        });
        const content = completion.choices[0]?.message.content ?? null;
        meter.add(completion.usage, charactersOf(messages), content?.length ?? 0);
        return content;
      });
    };

    const answer = async () => {
      const jsonMode = jsonSchemaRefusedBy.has(config.baseUrl);
      try {
        return await ask(jsonMode);
      } catch (error) {
        if (jsonMode || !refusesJsonSchema(error)) throw error;
        jsonSchemaRefusedBy.add(config.baseUrl);
        return ask(true);
      }
    };

    return settled(provider.breaker, async () => {
      for (let validationRetry = 0; ; validationRetry++) {
        const content = await answer();
        const checked = checkAnswer(content, request.schema);
        if (checked.valid) return { value: checked.value, usage: meter.total() };
        if (validationRetry >= maxRetries) throw new AiInvalidOutputError(checked.problems, meter.total());
        conversation.push({ role: "assistant", content: content ?? "" }, { role: "user", content: correction(checked.problems) });
      }
    });
  }

  /** Free text as it is generated; `usage` comes from the provider's final chunk, or is estimated from the characters. */
  async stream(feature: AiFeature, request: StreamRequest): Promise<AiStream> {
    const provider = this.#admitted();
    const { config } = provider;
    const meter = new UsageMeter(feature, config.models[feature], config.pricing);
    const messages: ChatCompletionMessageParam[] = [{ role: "system", content: request.system }, ...request.messages];
    const response = await settled(provider.breaker, () =>
      withRetries(config.maxRetries, () => {
        meter.countAttempt();
        return provider.openai.chat.completions.create({
          model: config.models[feature],
          messages,
          stream: true,
          stream_options: { include_usage: true },
        });
      }),
    );

    let settleUsage!: (usage: AiUsage) => void;
    const usage = new Promise<AiUsage>((resolve) => {
      settleUsage = resolve;
    });
    async function* chunks(): AsyncGenerator<string> {
      let text = "";
      let reported: OpenAI.CompletionUsage | null | undefined;
      try {
        for await (const chunk of response) {
          if (chunk.usage) reported = chunk.usage;
          const piece = chunk.choices[0]?.delta?.content;
          if (piece) {
            text += piece;
            yield piece;
          }
        }
      } catch (error) {
        provider.breaker.failed();
        throw new AiUnavailableError("The AI provider's answer broke off.", { cause: error });
      } finally {
        meter.add(reported, charactersOf(messages), text.length);
        settleUsage(meter.total());
      }
    }
    return { chunks: chunks(), usage };
  }

  #admitted(): Provider {
    if (!this.#provider) throw new AiUnavailableError(NOT_CONFIGURED);
    const admission = this.#provider.breaker.admit();
    if (!admission.admitted) {
      throw new AiUnavailableError(`The AI provider is failing; calls are paused for ${admission.retryAfterSeconds} s.`, {
        retryAfterSeconds: admission.retryAfterSeconds,
      });
    }
    return this.#provider;
  }
}

/**
 * Reports the call's fate to the breaker. A provider that answered (an invalid answer, a refused
 * request) is up; only failures that outlived their retries, and the unexpected, count against it.
 */
async function settled<R>(breaker: CircuitBreaker, call: () => Promise<R>): Promise<R> {
  try {
    const result = await call();
    breaker.succeeded();
    return result;
  } catch (error) {
    if (error instanceof AiInvalidOutputError || error instanceof APIError) breaker.succeeded();
    else breaker.failed();
    throw error instanceof APIError ? unavailableFrom(error) : error;
  }
}
