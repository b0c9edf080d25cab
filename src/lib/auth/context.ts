import type { Role } from "../../db/schema";
import type { UserProfile } from "../users/present";
import type { Scope } from "./scopes";

/** Who the caller is, set by the auth middleware and read by every route, the audit writer and the limiter. */
export interface AuthContext {
  kind: "session" | "api_key";
  userId: string;
  role: Role;
  /**
   * The caller's profile, read with the credential: as fresh as the credential itself (at most
   * CREDENTIAL_CACHE_TTL_MS old; changes made in this isolate evict it at once).
   */
  user: UserProfile;
  /** Scopes the caller holds: an API key's granted scopes, or every scope of the user's role for a session. */
  scopes: ReadonlySet<Scope>;
  sessionId?: string;
  apiKeyId?: string;
  /** The API key's own rate limit, overriding the `api` policy default for that key. */
  apiKeyRateLimit?: { limit: number; windowSeconds: number } | null;
}
