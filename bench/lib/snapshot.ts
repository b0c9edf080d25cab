import { cpSync, existsSync, mkdtempSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A copy of the Worker's sources to run `wrangler dev` from (pass it as `cwd` to startLocalServer):
 * wrangler watches its directory, and a file saved in the working tree mid-run would reload the
 * Worker and disturb the measurement. Remove it with rmSync when done.
 */
export function snapshotProject(root = process.cwd()): string {
  const dir = mkdtempSync(join(tmpdir(), "proctor-snapshot-"));
  for (const entry of ["src", "workers", "migrations", "docs", "public", "wrangler.toml", "package.json", "tsconfig.json"]) {
    if (existsSync(join(root, entry))) cpSync(join(root, entry), join(dir, entry), { recursive: true });
  }
  symlinkSync(join(root, "node_modules"), join(dir, "node_modules"));
  return dir;
}
