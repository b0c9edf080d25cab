/// <reference path="./text-modules.d.ts" />
// The Scalar API reference bundle, embedded as text (wrangler.toml [[rules]]) so /docs loads nothing from outside.
import scalarStandalone from "../../node_modules/@scalar/api-reference/dist/browser/standalone.js";

export const SCALAR_STANDALONE_JS: string = scalarStandalone;
