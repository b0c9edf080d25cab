import type { Context } from "hono";
import type { AppEnv } from "../../../env";
import { recordSecurityEvent } from "../events";

export interface MaliciousUploadInput {
  filename: string;
  declaredType: string;
  size: number;
  sha256: string;
  reasons: readonly string[];
}

/**
 * A rejected dangerous upload (executable, polyglot, disguised name, archive bomb). HIGH: someone
 * holding a valid credential tried to plant a payload. The hash lets an operator match the file
 * against threat intelligence; the content itself is never stored.
 */
export function recordMaliciousUpload(c: Context<AppEnv>, input: MaliciousUploadInput): void {
  recordSecurityEvent(c, {
    type: "malicious_upload",
    severity: "HIGH",
    details: {
      filename: input.filename.slice(0, 255),
      declaredType: input.declaredType.slice(0, 100),
      size: input.size,
      sha256: input.sha256,
      reasons: [...input.reasons],
    },
  });
}
