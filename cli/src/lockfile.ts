/**
 * `<dir>/skillyard.lock`: what `install <name>` resolved, so that `install` with no argument puts
 * back exactly the same bytes with no resolution. JSON, sorted, one entry per installed skill.
 */
import { randomBytes } from "node:crypto";
import { readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { isValidSkillName } from "@skillyard/core";
import { valid as validSemver } from "semver";
import { type Fail, isHttpUrl, list, record, str } from "./checks";
import { CliError } from "./errors";

export const LOCKFILE_NAME = "skillyard.lock";
export const LOCKFILE_VERSION = 1;

/** One `install <name>[@range]` the user asked for. */
export interface LockRequest {
  name: string;
  range: string;
  tenant: string;
}

/** One resolved node of the tree, with what is needed to fetch and verify it again. */
export interface LockedPackage {
  name: string;
  version: string;
  /** The range this version was chosen for. */
  range: string;
  sha256: string;
  size: number;
  downloadUrl: string;
  /** name@version of each ancestor, root first; empty for a requested skill. */
  requiredBy: string[];
}

export interface Lockfile {
  lockfileVersion: typeof LOCKFILE_VERSION;
  registry: string;
  requests: LockRequest[];
  packages: LockedPackage[];
}

export function lockfilePath(dir: string): string {
  return path.join(dir, LOCKFILE_NAME);
}

/** Reads and validates the lockfile; null when there is none. */
export async function readLockfile(dir: string): Promise<Lockfile | null> {
  const file = lockfilePath(dir);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalidLockfile(file, "it is not valid JSON");
  }
  return validateLockfile(parsed, file);
}

export function validateLockfile(value: unknown, file: string): Lockfile {
  const fail = (problem: string) => invalidLockfile(file, problem);
  const root = record(value, "the file", fail);
  if (root.lockfileVersion !== LOCKFILE_VERSION) {
    throw fail(`lockfileVersion is ${JSON.stringify(root.lockfileVersion)}; this CLI reads version ${LOCKFILE_VERSION}`);
  }
  const registry = str(root.registry, "registry", fail);
  const requests = list(root.requests, "requests", fail).map((item, i) => {
    const r = record(item, `requests[${i}]`, fail);
    return {
      name: skillName(r.name, `requests[${i}].name`, fail),
      range: str(r.range, `requests[${i}].range`, fail),
      tenant: str(r.tenant, `requests[${i}].tenant`, fail),
    };
  });
  const packages = checkPackages(root.packages, "packages", fail);
  return { lockfileVersion: LOCKFILE_VERSION, registry, requests, packages };
}

/**
 * Checks a list of packages to install, from a lockfile or from a registry's install answer: each
 * name becomes a folder name (so it must be a skill name, and appear once), the version a strict
 * semver, and the rest say what to download and how to verify it. `fail` turns a problem (naming
 * the field, e.g. `packages[1].name "../x" is not a skill name`) into the error to throw.
 */
export function checkPackages(value: unknown, where: string, fail: Fail): LockedPackage[] {
  const seen = new Set<string>();
  return list(value, where, fail).map((item, i) => {
    const at = `${where}[${i}]`;
    const p = record(item, at, fail);
    const name = skillName(p.name, `${at}.name`, fail);
    if (seen.has(name)) throw fail(`${at}.name ${JSON.stringify(name)} appears twice in ${where}`);
    seen.add(name);
    const version = str(p.version, `${at}.version`, fail);
    if (validSemver(version) !== version) throw fail(`${at}.version ${JSON.stringify(version)} is not a semver version`);
    const sha256 = str(p.sha256, `${at}.sha256`, fail);
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw fail(`${at}.sha256 is not 64 lowercase hex digits`);
    const size = p.size;
    if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0) throw fail(`${at}.size is not a byte count`);
    const downloadUrl = str(p.downloadUrl, `${at}.downloadUrl`, fail);
    if (!isHttpUrl(downloadUrl)) throw fail(`${at}.downloadUrl is not an http(s) URL`);
    const requiredBy = list(p.requiredBy, `${at}.requiredBy`, fail).map((r, j) => str(r, `${at}.requiredBy[${j}]`, fail));
    return { name, version, range: str(p.range, `${at}.range`, fail), sha256, size, downloadUrl, requiredBy };
  });
}

/** Writes the lockfile atomically (temp file + rename), entries sorted by name. */
export async function writeLockfile(dir: string, lock: Lockfile): Promise<void> {
  const sorted: Lockfile = {
    lockfileVersion: LOCKFILE_VERSION,
    registry: lock.registry,
    requests: [...lock.requests].sort((a, b) => compare(a.name, b.name)),
    packages: [...lock.packages]
      .sort((a, b) => compare(a.name, b.name))
      .map((p) => ({ name: p.name, version: p.version, range: p.range, sha256: p.sha256, size: p.size, downloadUrl: p.downloadUrl, requiredBy: p.requiredBy })),
  };
  const file = lockfilePath(dir);
  const temp = path.join(dir, `.${LOCKFILE_NAME}.${randomBytes(6).toString("hex")}`);
  try {
    await writeFile(temp, `${JSON.stringify(sorted, null, 2)}\n`, { flag: "wx" });
    await rename(temp, file);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

/**
 * Merges a new resolution into an existing lockfile: the request for `request.name` is replaced,
 * packages of this resolution replace same-named ones, and packages only the previous resolution
 * of this root pulled in are dropped.
 */
export function mergeLockfile(previous: Lockfile | null, registry: string, request: LockRequest, resolved: LockedPackage[]): Lockfile {
  const rootOf = (p: LockedPackage) => (p.requiredBy.length === 0 ? p.name : p.requiredBy[0].replace(/@[^@]*$/, ""));
  const names = new Set(resolved.map((p) => p.name));
  const kept = (previous?.packages ?? []).filter((p) => !names.has(p.name) && rootOf(p) !== request.name);
  const requests = (previous?.requests ?? []).filter((r) => r.name !== request.name);
  return { lockfileVersion: LOCKFILE_VERSION, registry, requests: [...requests, request], packages: [...kept, ...resolved] };
}

/** The error for a lockfile `file` that cannot be used because of `problem`. */
export function invalidLockfile(file: string, problem: string): CliError {
  return new CliError("LOCKFILE_INVALID", `${file} cannot be used: ${problem}.`);
}

/** Names become folder names, so anything but a valid skill name (e.g. "../x") is refused. */
function skillName(value: unknown, where: string, fail: Fail): string {
  const name = str(value, where, fail);
  if (!isValidSkillName(name)) throw fail(`${where} ${JSON.stringify(name)} is not a skill name`);
  return name;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
