import fs from "node:fs/promises";
import path from "node:path";
import type { Logger } from "../common/logger";
import type { BlobKind } from "./blob-store";
import type { FileBlobStore } from "./file-blob-store";

const HOUR_MS = 3600 * 1000;
/** The longest single wait: Node's timers overflow past 24.8 days, so longer intervals are slept in days. */
const MAX_WAIT_MS = 24 * HOUR_MS;
/** In the blob directory, outside the fan-out folders: its mtime is when the last complete pass ended. */
const LAST_PASS_FILE = ".verified";

export interface ScrubReport {
  /** Blobs re-hashed. */
  checked: number;
  /** Blobs that no longer matched their digest, set aside by this pass. */
  damaged: { sha256: string; kind: BlobKind }[];
}

/**
 * Re-hashes every blob of the local store every BLOB_VERIFY_INTERVAL_HOURS, on worker processes:
 * downloads from the local store read the file without hashing it (only its size is checked), so
 * damage that keeps the size is served until the next pass finds it. That is the trade-off for
 * not reading every blob twice on every download. A damaged blob is set aside
 * (`FileBlobStore.check`), which every process sharing the directory sees at once: it is refused with
 * `BLOB_CORRUPT`, logged and counted once, by the pass that found it.
 *
 * When the last complete pass ended is kept in the directory itself, so restarts and several workers
 * on one shared volume do not add passes (two workers may still overlap once: each pass is
 * read-only until it finds damage, and only one of them sets a blob aside).
 */
export class BlobScrubber {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly deps: {
      store: FileBlobStore;
      logger: Logger;
      metrics: { blobDamaged(kind: BlobKind): void };
      intervalHours: number;
    },
  ) {}

  /** One pass over every stored blob, one at a time (so a pass competes with downloads for one read at a time). */
  async scrub(): Promise<ScrubReport> {
    const { store, logger, metrics } = this.deps;
    const started = performance.now();
    const report: ScrubReport = { checked: 0, damaged: [] };
    for await (const { sha256, kind } of store.list()) {
      if (this.stopped) return report;
      const found = await store.check(sha256, kind);
      if (found === "absent") continue;
      report.checked++;
      if (found === "quarantined") {
        report.damaged.push({ sha256, kind });
        metrics.blobDamaged(kind);
        logger.error("a stored blob does not match its digest: set aside as <name>.corrupt, refused with BLOB_CORRUPT until stored again", { sha256, kind });
      }
    }
    const marker = path.join(store.blobDir, LAST_PASS_FILE);
    await fs.writeFile(marker, "");
    logger.info("blob store verified", { checked: report.checked, damaged: report.damaged.length, seconds: Math.round((performance.now() - started) / 1000) });
    return report;
  }

  /** Milliseconds until the next pass is due: 0 when no pass ever completed here or the last one is an interval old. */
  async nextPassIn(): Promise<number> {
    let last: number;
    try {
      last = (await fs.stat(path.join(this.deps.store.blobDir, LAST_PASS_FILE))).mtimeMs;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return 0;
      throw error;
    }
    return Math.max(0, last + this.deps.intervalHours * HOUR_MS - Date.now());
  }

  /** Passes when due, from now on (the first at once when none is recorded); a failed pass is logged and tried again an hour later. */
  start(): void {
    const tick = async () => {
      let wait: number;
      try {
        wait = await this.nextPassIn();
        if (wait === 0) {
          await this.scrub();
          wait = this.deps.intervalHours * HOUR_MS;
        }
      } catch (error) {
        this.deps.logger.error("verifying the blob store failed", { message: String(error) });
        wait = HOUR_MS;
      }
      if (this.stopped) return;
      this.timer = setTimeout(() => (this.running = tick()), Math.min(wait, MAX_WAIT_MS));
      this.timer.unref();
    };
    this.running = tick();
  }

  /** Ends the pass under way at its next blob, and the schedule. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }
}
