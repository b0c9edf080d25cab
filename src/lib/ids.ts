import { clock } from "./clock";

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** Every kind of identifier the platform mints, by prefix, so an id says what it names. */
export const ID_PREFIXES = {
  user: "usr",
  session: "ses",
  login: "lgn",
  apiKey: "key",
  audit: "aud",
  auditSeal: "seal",
  error: "err",
  job: "job",
  rateLimitLog: "rll",
  securityEvent: "sev",
  event: "evt",
  webhook: "whk",
  webhookDelivery: "whd",
  upload: "upl",
  question: "qst",
  test: "tst",
  section: "sec",
  attempt: "att",
  plan: "pln",
  subscription: "sub",
  coupon: "cpn",
  redemption: "red",
  goal: "gol",
  studySession: "sss",
  request: "req",
  email: "eml",
  emailToken: "etk",
  export: "exp",
  aiUsage: "aiu",
} as const;

export type IdKind = keyof typeof ID_PREFIXES;

/**
 * A prefixed ULID (`usr_01JD…`): 48 bits of milliseconds then 80 random bits in Crockford base32,
 * so ids sort by creation time and can serve as pagination cursors.
 */
export function newId(kind: IdKind, now = clock.now()): string {
  return `${ID_PREFIXES[kind]}_${ulid(now)}`;
}

export function ulid(now: number): string {
  let time = "";
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const random = crypto.getRandomValues(new Uint8Array(16));
  let rand = "";
  for (const byte of random) rand += CROCKFORD[byte & 31];
  return time + rand;
}
