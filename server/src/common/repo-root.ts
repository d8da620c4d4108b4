import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

/**
 * The repository root, found by walking up to the package.json that declares the workspaces.
 * Needed because this file runs both from `src/` (development, tests) and `dist/` (production),
 * which sit at different depths.
 */
export function repoRoot(): string {
  let dir = __dirname;
  for (;;) {
    const candidate = path.join(dir, "package.json");
    if (existsSync(candidate)) {
      const pkg = JSON.parse(readFileSync(candidate, "utf8")) as { workspaces?: unknown };
      if (Array.isArray(pkg.workspaces)) return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`Cannot find the Skillyard repository root above ${__dirname}`);
    dir = parent;
  }
}
