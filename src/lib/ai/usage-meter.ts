import type { Config } from "../../config";

export type AiConfig = NonNullable<Config["ai"]>;
export type AiFeature = keyof AiConfig["models"];

/** What one client call used, over every request it made to the provider. */
export interface AiUsage {
  feature: AiFeature;
  model: string;
  promptTokens: number;
  completionTokens: number;
  latencyMs: number;
  /** Estimated from the configured prices (AI_PRICE_*_PER_MTOK). */
  costUsd: number;
  /** Requests sent to the provider: transport retries and validation re-asks included. */
  attempts: number;
}

/** What a provider reports in `usage`; some OpenAI-compatible servers report nothing. */
interface ReportedUsage {
  prompt_tokens: number;
  completion_tokens: number;
}

/** The usual rule of thumb for English text when the provider does not count. */
const estimatedTokens = (characters: number) => Math.ceil(characters / 4);

/** Adds up the tokens of every request one call makes, and the call's duration. */
export class UsageMeter {
  #promptTokens = 0;
  #completionTokens = 0;
  #attempts = 0;
  readonly #startedAt = performance.now();

  constructor(
    private readonly feature: AiFeature,
    private readonly model: string,
    private readonly pricing: AiConfig["pricing"],
  ) {}

  countAttempt(): void {
    this.#attempts += 1;
  }

  /** One answer's tokens: as reported, else estimated from the characters sent and received. */
  add(reported: ReportedUsage | null | undefined, promptCharacters: number, completionCharacters: number): void {
    this.#promptTokens += reported?.prompt_tokens ?? estimatedTokens(promptCharacters);
    this.#completionTokens += reported?.completion_tokens ?? estimatedTokens(completionCharacters);
  }

  total(): AiUsage {
    return {
      feature: this.feature,
      model: this.model,
      promptTokens: this.#promptTokens,
      completionTokens: this.#completionTokens,
      latencyMs: performance.now() - this.#startedAt,
      costUsd: (this.#promptTokens * this.pricing.inputPerMillion + this.#completionTokens * this.pricing.outputPerMillion) / 1e6,
      attempts: this.#attempts,
    };
  }
}
