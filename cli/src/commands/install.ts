import { randomBytes } from "node:crypto";
import { lstat, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { DEFAULT_ARCHIVE_LIMITS, extractPackageTo, generatedSkillMd, parseManifest, type PackageFile } from "@skillyard/core";
import { Option, type Command } from "commander";
import type { Fail } from "../checks";
import { CliError, usageError } from "../errors";
import { InstallDocument, type InstallSkillInput } from "../gql/graphql";
import { checkPackages, invalidLockfile, lockfilePath, mergeLockfile, readLockfile, writeLockfile, type LockedPackage } from "../lockfile";
import { formatBytes, table } from "../output";
import { examples, parseInstallSpec, requireToken, run, withCommonOptions, type CommonOptions, type Context } from "./common";

interface InstallOptions extends CommonOptions {
  tenant?: string;
  dir?: string;
  target: TargetName;
}

type TargetName = "skills" | "claude";

/** Where skills go, and in what shape. The lockfile lives in `dir` as for any install. */
interface InstallTarget {
  name: TargetName;
  dir: string;
  /** Claude Code loads a skill from SKILL.md in its folder: write the one the plugin archive has when the package has none. */
  skillMd: boolean;
}

/** Where Claude Code loads a project's skills from, relative to the project (the current folder). */
const CLAUDE_SKILLS_DIR = path.join(".claude", "skills");

/** `--target claude` is `.claude/skills/` with SKILL.md; the default target is `--dir` (default `skills/`). */
function installTarget(options: Pick<InstallOptions, "dir" | "target">): InstallTarget {
  if (options.target === "claude") {
    if (options.dir !== undefined)
      throw usageError(`--dir and --target claude both say where to install; --target claude installs into ${CLAUDE_SKILLS_DIR}${path.sep}.`);
    return { name: "claude", dir: CLAUDE_SKILLS_DIR, skillMd: true };
  }
  return { name: "skills", dir: options.dir ?? "skills", skillMd: false };
}

export function registerInstall(program: Command): void {
  const cmd = program
    .command("install")
    .description(
      "install a skill with its dependency tree into <dir>/<name>/ and record it in <dir>/skillyard.lock; with no argument, reinstall exactly what the lockfile says",
    )
    .argument("[spec]", "<name>, <name>@<semver range> or <name>@<channel>")
    .option("--tenant <team>", "team to install for (default: your only team)")
    .option("--dir <dir>", "where skills are installed (default: skills)")
    .addOption(
      new Option("--target <target>", `skills: into --dir; claude: into ${CLAUDE_SKILLS_DIR}${path.sep} of the current project, where Claude Code loads them`)
        .choices(["skills", "claude"])
        .default("skills"),
    );
  withCommonOptions(cmd).action((spec: string | undefined, options: InstallOptions) =>
    run(options, async (ctx) => {
      const target = installTarget(options);
      await (spec === undefined ? installFromLockfile(ctx, target) : install(ctx, spec, target, options.tenant));
    }),
  );
  examples(cmd, [
    "skillyard install pdf-extract",
    "skillyard install pdf-extract@^1.2 --tenant data --dir vendor/skills",
    "skillyard install pdf-extract@stable --target claude   # into .claude/skills/pdf-extract/",
    "skillyard install              # reinstall from skills/skillyard.lock, verifying every sha256",
    "skillyard install --target claude   # the same from .claude/skills/skillyard.lock",
  ]);
}

async function install(ctx: Context, spec: string, target: InstallTarget, tenant: string | undefined): Promise<void> {
  const { name, range } = parseInstallSpec(spec);
  requireToken(ctx, "Installing");
  const input: InstallSkillInput = { name };
  if (range !== null) input.range = range;
  if (tenant) input.tenant = tenant;
  ctx.out.status.spin(`resolving ${spec}`);
  const { installSkill: result } = await ctx.client.gql(InstallDocument, { input });
  // The answer names folders and files to write: it is checked like a lockfile before anything is
  // downloaded or touched (a hostile registry or an interception on plain http could send "../x").
  const refuse: Fail = (problem) => new CliError("BAD_RESPONSE", `${ctx.registry} answered an install that cannot be used: ${problem}; nothing was installed.`);
  const resolved = checkPackages(result.resolved, "resolved", refuse);
  await fetchAndExtract(ctx, target, resolved, refuse);
  const previous = await readLockfile(target.dir).catch((err: unknown) => {
    ctx.out.warn(`replacing the unreadable ${lockfilePath(target.dir)} (${err instanceof Error ? err.message : String(err)})`);
    return null;
  });
  const lock = mergeLockfile(previous, ctx.registry, { name, range: range ?? "latest", tenant: result.tenant.name }, resolved);
  await writeLockfile(target.dir, lock);
  if (ctx.json) {
    ctx.out.printJson({
      tenant: result.tenant.name,
      target: target.name,
      dir: path.resolve(target.dir),
      lockfile: lockfilePath(path.resolve(target.dir)),
      warnings: result.warnings,
      resolved,
    });
    return;
  }
  for (const warning of result.warnings) ctx.out.warn(warning);
  printInstalled(ctx, target.dir, resolved, `for team ${result.tenant.name}`);
}

async function installFromLockfile(ctx: Context, target: InstallTarget): Promise<void> {
  const { dir } = target;
  const lock = await readLockfile(dir);
  if (!lock) throw new CliError("NOT_FOUND", `There is no ${lockfilePath(dir)}; install a skill by name first (skillyard install <name>).`);
  await fetchAndExtract(ctx, target, lock.packages, (problem) => invalidLockfile(lockfilePath(dir), problem));
  if (ctx.json) {
    ctx.out.printJson({
      target: target.name,
      dir: path.resolve(dir),
      lockfile: lockfilePath(path.resolve(dir)),
      fromLockfile: true,
      warnings: [],
      resolved: lock.packages,
    });
    return;
  }
  printInstalled(ctx, dir, lock.packages, `from ${lockfilePath(dir)}`);
}

function printInstalled(ctx: Context, dir: string, packages: LockedPackage[], how: string): void {
  const c = ctx.out.out;
  const lines = table(
    [{ header: "SKILL" }, { header: "VERSION" }, { header: "SIZE", align: "right" }, { header: "SHA256" }, { header: "REQUIRED BY" }],
    packages.map((p) => [p.name, p.version, formatBytes(p.size), p.sha256.slice(0, 12), p.requiredBy.length ? p.requiredBy.join(" → ") : "(requested)"]),
    undefined,
    c,
  );
  for (const line of lines) ctx.out.line(line);
  ctx.out.line(`${c.green("✓")} installed ${packages.length} skill${packages.length === 1 ? "" : "s"} into ${dir}${path.sep} ${how}`);
}

/**
 * Downloads and verifies every package first (size and sha256), then extracts each into a staging
 * sibling, then swaps them into place: a bad digest anywhere changes nothing on disk. Every folder
 * it creates, replaces or removes must be a direct child of the target's folder (checked before the
 * first download, and again for each staging and aside folder), whatever the names passed the name rule.
 */
async function fetchAndExtract(ctx: Context, target: InstallTarget, packages: LockedPackage[], refuse: Fail): Promise<void> {
  const root = path.resolve(target.dir);
  const targets = packages.map((pkg) => ({ pkg, dest: folderIn(root, pkg.name, refuse) }));
  const downloads: { pkg: LockedPackage; dest: string; data: Buffer }[] = [];
  for (const [i, { pkg, dest }] of targets.entries()) {
    const label = `${pkg.name}@${pkg.version}`;
    ctx.out.status.spin(`downloading ${label} (${i + 1}/${packages.length})`);
    const { data, sha256 } = await ctx.client.download(pkg.downloadUrl, pkg.size, label);
    if (sha256 !== pkg.sha256) {
      throw new CliError("PACKAGE_CORRUPT", `sha256 mismatch for ${label}: expected ${pkg.sha256} got ${sha256}; nothing was installed.`);
    }
    downloads.push({ pkg, dest, data });
  }
  ctx.out.status.spin("extracting");
  await mkdir(root, { recursive: true });
  const staged: { dest: string; staging: string }[] = [];
  try {
    for (const { pkg, dest, data } of downloads) {
      const staging = folderIn(root, `.${pkg.name}.incoming-${randomBytes(6).toString("hex")}`, refuse);
      // Same hostile-archive rules as the server; on any refusal nothing is left behind.
      const { files } = await extractPackageTo(data, DEFAULT_ARCHIVE_LIMITS, staging);
      staged.push({ dest, staging });
      if (target.skillMd) await addSkillMd(staging, pkg, files, refuse);
    }
  } catch (err) {
    await Promise.all(staged.map((s) => rm(s.staging, { recursive: true, force: true })));
    throw err;
  }
  for (const { dest, staging } of staged) await swapInto(root, staging, dest, refuse);
  ctx.out.status.clear();
}

/**
 * Writes into a package folder the SKILL.md its plugin archive has, when it has none: generated from
 * skill.yaml by the same code as the server's, so `.claude/skills/<name>/` holds what the plugin's
 * `skills/<name>/` holds.
 */
async function addSkillMd(folder: string, pkg: LockedPackage, files: PackageFile[], refuse: Fail): Promise<void> {
  const paths = files.map((f) => f.path);
  if (paths.includes("SKILL.md")) return;
  if (!paths.includes("skill.yaml")) throw refuse(`the package of ${pkg.name}@${pkg.version} has neither SKILL.md nor skill.yaml`);
  const { manifest } = parseManifest({ skillYaml: await readFile(path.join(folder, "skill.yaml"), "utf8") });
  if (manifest.name !== pkg.name || manifest.version !== pkg.version) {
    throw refuse(`the package of ${pkg.name}@${pkg.version} says it is ${manifest.name}@${manifest.version}`);
  }
  await writeFile(path.join(folder, "SKILL.md"), generatedSkillMd(manifest, paths), { flag: "wx" });
}

/**
 * `root/<entry>`, or `refuse` when that is not a folder directly inside `root` (an absolute path,
 * "..", ".", "", a name with a separator): the guard that keeps an install inside its folder even if
 * a name got past the skill-name rule. `root` must be absolute.
 */
export function folderIn(root: string, entry: string, refuse: Fail): string {
  const full = path.resolve(root, entry);
  if (path.dirname(full) !== root || path.basename(full) !== entry) {
    throw refuse(`${JSON.stringify(entry)} is not a folder name inside ${root}`);
  }
  return full;
}

/** Moves `staging` to `dest`, replacing an existing install: the old folder is renamed aside first and removed last. */
async function swapInto(root: string, staging: string, dest: string, refuse: Fail): Promise<void> {
  const exists = await lstat(dest).then(
    () => true,
    (err: NodeJS.ErrnoException) => {
      if (err.code === "ENOENT") return false;
      throw err;
    },
  );
  if (!exists) {
    await rename(staging, dest);
    return;
  }
  const aside = folderIn(root, `.${path.basename(dest)}.previous-${randomBytes(6).toString("hex")}`, refuse);
  await rename(dest, aside);
  try {
    await rename(staging, dest);
  } catch (err) {
    await rename(aside, dest).catch(() => undefined);
    await rm(staging, { recursive: true, force: true });
    throw err;
  }
  await rm(aside, { recursive: true, force: true });
}
