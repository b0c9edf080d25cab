// Lets Node (tsx) load the modules wrangler bundles as bytes (wrangler.toml [[rules]] type = "Data": the
// PDF fonts): `import font from "….ttf"` gives an ArrayBuffer, as in the Worker. Used by scripts that
// import the app outside workerd (npm run openapi).
import { register } from "node:module";

register(
  `data:text/javascript,${encodeURIComponent(`
    import { readFileSync } from "node:fs";
    export async function load(url, context, next) {
      if (!url.endsWith(".ttf")) return next(url, context);
      const base64 = readFileSync(new URL(url)).toString("base64");
      return { format: "module", shortCircuit: true, source: \`const bytes = Uint8Array.from(atob("\${base64}"), (c) => c.charCodeAt(0)); export default bytes.buffer;\` };
    }
  `)}`,
);
