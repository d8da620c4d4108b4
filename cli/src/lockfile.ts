/**
 * `<dir>/skillyard.lock`: what `install <name>` resolved, so that `install` with no argument puts
 * back exactly the same bytes with no resolution. JSON, sorted, one entry per installed skill.
 */
import { randomBytes } from "node:crypto";
import { readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { isValidSkillName } from "@skillyard/core";
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
    throw invalid(file, "it is not valid JSON");
  }
  return validateLockfile(parsed, file);
}

export function validateLockfile(value: unknown, file: string): Lockfile {
  const root = record(value, file, "the file");
  if (root.lockfileVersion !== LOCKFILE_VERSION) {
    throw invalid(file, `lockfileVersion is ${JSON.stringify(root.lockfileVersion)}; this CLI reads version ${LOCKFILE_VERSION}`);
  }
  const registry = str(root.registry, file, "registry");
  const requests = list(root.requests, file, "requests").map((item, i) => {
    const r = record(item, file, `requests[${i}]`);
    return { name: skillName(r.name, file, `requests[${i}].name`), range: str(r.range, file, `requests[${i}].range`), tenant: str(r.tenant, file, `requests[${i}].tenant`) };
  });
  const seen = new Set<string>();
  const packages = list(root.packages, file, "packages").map((item, i) => {
    const where = `packages[${i}]`;
    const p = record(item, file, where);
    const name = skillName(p.name, file, `${where}.name`);
    if (seen.has(name)) throw invalid(file, `${name} appears twice in packages`);
    seen.add(name);
    const sha256 = str(p.sha256, file, `${where}.sha256`);
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw invalid(file, `${where}.sha256 is not 64 lowercase hex digits`);
    const size = p.size;
    if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0) throw invalid(file, `${where}.size is not a byte count`);
    const downloadUrl = str(p.downloadUrl, file, `${where}.downloadUrl`);
    if (!/^https?:\/\//.test(downloadUrl)) throw invalid(file, `${where}.downloadUrl is not an http(s) URL`);
    const requiredBy = list(p.requiredBy, file, `${where}.requiredBy`).map((r, j) => str(r, file, `${where}.requiredBy[${j}]`));
    return { name, version: str(p.version, file, `${where}.version`), range: str(p.range, file, `${where}.range`), sha256, size, downloadUrl, requiredBy };
  });
  return { lockfileVersion: LOCKFILE_VERSION, registry, requests, packages };
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

function invalid(file: string, problem: string): CliError {
  return new CliError("LOCKFILE_INVALID", `${file} cannot be used: ${problem}.`);
}

function record(value: unknown, file: string, where: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw invalid(file, `${where} is not an object`);
  return value as Record<string, unknown>;
}

function list(value: unknown, file: string, where: string): unknown[] {
  if (!Array.isArray(value)) throw invalid(file, `${where} is not a list`);
  return value;
}

function str(value: unknown, file: string, where: string): string {
  if (typeof value !== "string") throw invalid(file, `${where} is not a string`);
  return value;
}

/** Names become folder names, so anything but a valid skill name (e.g. "../x") is refused. */
function skillName(value: unknown, file: string, where: string): string {
  const name = str(value, file, where);
  if (!isValidSkillName(name)) throw invalid(file, `${where} ${JSON.stringify(name)} is not a skill name`);
  return name;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
