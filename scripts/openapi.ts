// npm run openapi          writes docs/openapi.json from the app's routes (reviewers see contract changes in diffs)
// npm run openapi:check    fails when the document is not valid OpenAPI 3.1 or docs/openapi.json is stale
import { readFileSync, writeFileSync } from "node:fs";
import { Validator } from "@seriousme/openapi-schema-validator";
import { createApp } from "../src/app";
import { buildOpenApiDocument } from "../src/openapi/document";
import { CONTRACT_VERSION, serializeDocument } from "../src/openapi/contract-file";

const target = new URL("../docs/openapi.json", import.meta.url);
const check = process.argv.includes("--check");

const document = await buildOpenApiDocument(createApp(), CONTRACT_VERSION);
const text = serializeDocument(document);

const validator = new Validator();
const result = await validator.validate(JSON.parse(text));
if (!result.valid || validator.version !== "3.1") {
  console.error(`The generated document is not valid OpenAPI 3.1 (version ${validator.version}):`);
  console.error(JSON.stringify(result.errors, null, 2).slice(0, 5000));
  process.exit(1);
}

if (check) {
  let committed = "";
  try {
    committed = readFileSync(target, "utf8");
  } catch {}
  if (committed !== text) {
    console.error("docs/openapi.json is stale: run `npm run openapi` and commit the result.");
    process.exit(1);
  }
  console.log("docs/openapi.json is valid OpenAPI 3.1 and up to date.");
} else {
  writeFileSync(target, text);
  console.log(`wrote docs/openapi.json: ${Object.keys(document.paths ?? {}).length} paths, valid OpenAPI 3.1`);
}
