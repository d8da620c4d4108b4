/**
 * Checks for untrusted JSON (a registry's answer, a lockfile, a catalog): each helper names the
 * field at fault, and `fail` turns that problem into the error to throw.
 */
import type { CliError } from "./errors";

/** Turns a problem found in untrusted input into the error to throw. */
export type Fail = (problem: string) => CliError;

export function record(value: unknown, where: string, fail: Fail): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw fail(`${where} is not an object`);
  return value as Record<string, unknown>;
}

export function list(value: unknown, where: string, fail: Fail): unknown[] {
  if (!Array.isArray(value)) throw fail(`${where} is not a list`);
  return value;
}

export function str(value: unknown, where: string, fail: Fail): string {
  if (typeof value !== "string") throw fail(`${where} is not a string`);
  return value;
}

export function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}
