import { clock } from "../clock";

const FAILURES_TO_OPEN = 5;
const COOL_DOWN_MS = 30_000;

export type Admission = { admitted: true } | { admitted: false; retryAfterSeconds: number };

/**
 * Stops calling a provider that keeps failing: CLOSED → OPEN after FAILURES_TO_OPEN consecutive failed
 * calls; after COOL_DOWN_MS one trial call goes through (HALF_OPEN, the others are refused while it
 * runs); its success closes the breaker, its failure opens it again. Every admitted call must end in
 * `succeeded()` or `failed()`.
 */
export class CircuitBreaker {
  #state: "closed" | "open" | "half_open" = "closed";
  #consecutiveFailures = 0;
  #openedAt = 0;

  admit(): Admission {
    if (this.#state === "closed") return { admitted: true };
    const coolDownLeftMs = this.#openedAt + COOL_DOWN_MS - clock.now();
    if (this.#state === "open" && coolDownLeftMs <= 0) {
      this.#state = "half_open";
      return { admitted: true };
    }
    return { admitted: false, retryAfterSeconds: Math.max(1, Math.ceil(coolDownLeftMs / 1000)) };
  }

  succeeded(): void {
    this.#state = "closed";
    this.#consecutiveFailures = 0;
  }

  failed(): void {
    this.#consecutiveFailures += 1;
    if (this.#state === "half_open" || (this.#state === "closed" && this.#consecutiveFailures >= FAILURES_TO_OPEN)) {
      this.#state = "open";
      this.#openedAt = clock.now();
    }
  }
}

/** One breaker per provider base URL, shared by every request this isolate serves. */
const breakers = new Map<string, CircuitBreaker>();

export function breakerFor(baseUrl: string): CircuitBreaker {
  let breaker = breakers.get(baseUrl);
  if (!breaker) {
    breaker = new CircuitBreaker();
    breakers.set(baseUrl, breaker);
  }
  return breaker;
}
