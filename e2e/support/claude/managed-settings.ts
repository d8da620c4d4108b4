import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, rmdirSync, writeFileSync, readdirSync } from "node:fs";
import path from "node:path";

/**
 * Where Claude Code 2.1.332 reads managed settings on Linux. The binary has no working override:
 * CLAUDE_CODE_MANAGED_SETTINGS_PATH (named in it) is ignored by this build, as a folder and as a file.
 */
export const MANAGED_SETTINGS_DIR = "/etc/claude-code";
export const MANAGED_SETTINGS_FILE = path.join(MANAGED_SETTINGS_DIR, "managed-settings.json");
const LOCK_FILE = path.join(MANAGED_SETTINGS_DIR, ".skillyard-e2e.lock");
const BACKUP_FILE = path.join(MANAGED_SETTINGS_DIR, ".skillyard-e2e.backup");
const ABSENT = "\u0000absent";

export interface ManagedSettingsHandle {
  /** Replaces the managed settings (while this handle holds the lock). */
  write(settings: object): void;
  /** Puts back what was there before (or removes the file and the folder the harness created) and releases the lock. */
  restore(): void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function putBack(): void {
  const saved = readFileSync(BACKUP_FILE, "utf8");
  if (saved === ABSENT) rmSync(MANAGED_SETTINGS_FILE, { force: true });
  else writeFileSync(MANAGED_SETTINGS_FILE, saved);
  rmSync(BACKUP_FILE, { force: true });
}

function tryLock(): boolean {
  try {
    writeFileSync(LOCK_FILE, String(process.pid), { flag: "wx" });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  const holder = Number(readFileSync(LOCK_FILE, "utf8").trim());
  if (Number.isInteger(holder) && holder > 0 && alive(holder)) return false;
  // The holder died without restoring: put its backup back, then take over.
  if (existsSync(BACKUP_FILE)) putBack();
  rmSync(LOCK_FILE, { force: true });
  return false;
}

/**
 * Writes `settings` to /etc/claude-code/managed-settings.json for the duration of a test. Processes are
 * serialised by a lock file beside it (a lock left by a dead process is taken over after putting back its
 * backup); what was there before is saved beside it and put back by `restore()`, at process exit too.
 * Throws a clear error when /etc/claude-code is not writable.
 */
export async function installManagedSettings(settings: object, waitMs = 120_000): Promise<ManagedSettingsHandle> {
  const createdDir = !existsSync(MANAGED_SETTINGS_DIR);
  try {
    mkdirSync(MANAGED_SETTINGS_DIR, { recursive: true });
  } catch (error) {
    throw new Error(`cannot create ${MANAGED_SETTINGS_DIR} (${(error as Error).message}): managed-settings tests must run as root, as CI does`, {
      cause: error,
    });
  }
  const deadline = Date.now() + waitMs;
  for (;;) {
    let locked: boolean;
    try {
      locked = tryLock();
    } catch (error) {
      throw new Error(`cannot write in ${MANAGED_SETTINGS_DIR} (${(error as Error).message}): managed-settings tests must run as root, as CI does`, {
        cause: error,
      });
    }
    if (locked) break;
    if (Date.now() > deadline) throw new Error(`${LOCK_FILE} is held by another live process for more than ${waitMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  writeFileSync(BACKUP_FILE, existsSync(MANAGED_SETTINGS_FILE) ? readFileSync(MANAGED_SETTINGS_FILE, "utf8") : ABSENT);
  let released = false;
  const restore = () => {
    if (released) return;
    released = true;
    process.removeListener("exit", restore);
    putBack();
    rmSync(LOCK_FILE, { force: true });
    if (createdDir && readdirSync(MANAGED_SETTINGS_DIR).length === 0) rmdirSync(MANAGED_SETTINGS_DIR);
  };
  process.on("exit", restore);
  const write = (next: object) => {
    if (released) throw new Error("these managed settings were already restored");
    const temporary = `${MANAGED_SETTINGS_FILE}.skillyard-e2e.tmp`;
    writeFileSync(temporary, `${JSON.stringify(next, null, 2)}\n`);
    renameSync(temporary, MANAGED_SETTINGS_FILE);
  };
  write(settings);
  return { write, restore };
}
