import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { repoRoot } from "../../src/common/repo-root";

/**
 * The shared corpus of real skills (`anthropic-skills`). It sits next to the checkout (`../shared`);
 * for a clone made elsewhere (CI's fresh-clone check under /tmp) next to the checkout it was cloned
 * from; for a linked worktree next to the main checkout. None: throws, naming where it looked.
 */
export function corpusDir(): string {
  const root = repoRoot();
  const git = (...args: string[]) => spawnSync("git", ["-C", root, ...args], { encoding: "utf8" }).stdout?.trim() ?? "";
  const roots = [root];
  const origin = git("remote", "get-url", "origin");
  if (origin && path.isAbsolute(origin)) roots.push(origin);
  // A linked worktree's common git directory is the main checkout's `.git`.
  const common = git("rev-parse", "--path-format=absolute", "--git-common-dir");
  if (common && path.basename(common) === ".git") roots.push(path.dirname(common));
  const candidates = [...new Set(roots.map((r) => path.join(r, "..", "shared", "corpus", "anthropic-skills")))];
  const found = candidates.find((dir) => existsSync(dir));
  if (!found) throw new Error(`the shared corpus is in none of: ${candidates.join(", ")}`);
  return found;
}
