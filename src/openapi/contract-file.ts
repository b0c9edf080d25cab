import type { OpenAPIV3_1 } from "openapi-types";
import packageJson from "../../package.json";

/** The committed docs/openapi.json carries the package's version; a deployment serves its APP_VERSION. */
export const CONTRACT_VERSION: string = packageJson.version;

/** The committed file's exact text: stable key order from the generator, two-space JSON, final newline. */
export function serializeDocument(document: OpenAPIV3_1.Document): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}
