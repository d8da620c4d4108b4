import type Dockerode from "dockerode";
import { createLogger } from "../server/src/common/logger";
import { createDataSource } from "../server/src/db/data-source";
import { startEmbeddedPostgres } from "../server/src/db/embedded-postgres";
import { freePort } from "../server/src/db/free-port";
import { LABEL_SCOPE } from "../server/src/sandbox/sandbox-runner";

/** What every bench script shares: timestamped progress, percentiles, a table printer, cleanup and a migrated database. */

const started = performance.now();

/** A progress line prefixed with seconds since the bench started. */
export const log = (message: string) => console.log(`[${((performance.now() - started) / 1000).toFixed(1).padStart(6)}s] ${message}`);

export interface Stats {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  n: number;
}

export function percentiles(samples: number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: sorted.at(-1) ?? NaN, n: sorted.length };
}

export const fmt = (ms: number) => (Number.isNaN(ms) ? "-" : `${ms < 10 ? ms.toFixed(2) : ms.toFixed(1)} ms`);

/** A Markdown table: first column left-aligned, the figures right-aligned. */
export function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(" | ")} |`;
  console.log(line(header));
  console.log(`|${widths.map((w, i) => (i === 0 ? `:${"-".repeat(w + 1)}` : `${"-".repeat(w + 1)}:`)).join("|")}|`);
  for (const r of rows) console.log(line(r));
}

/**
 * One figure of `npm run bench`, next to the baseline it was measured against in the same run.
 * `bench/run.ts` prints every bench's results as one table and writes them to `bench/results.json`;
 * `bench/compare.mjs` diffs two such files.
 */
export interface BenchResult {
  /** The bench that measured it: "registry", "search", "testrun", "live-logs". */
  group: string;
  /** What was measured, e.g. "packument: skill(name){versions}". */
  name: string;
  value: number;
  /** "req/s", "ms" (a p99 unless the name says otherwise), "events/s". */
  unit: string;
  /** Higher is better for throughputs, lower for latencies: decides how compare.mjs reads a change. */
  better: "higher" | "lower";
  /** What the same work costs done the plain way in this run (Verdaccio, raw SQL, `docker run`); null when there is none. */
  baseline: { name: string; value: number } | null;
  /** value ÷ baseline for throughputs, baseline ÷ value for latencies: above 1 means faster than the baseline. */
  ratio: number | null;
  /** The issue's target and whether this run met it. */
  target: { text: string; met: boolean } | null;
  /** Supporting figures (p50, p99, errors, samples). */
  details?: Record<string, number>;
}

/** A result with its ratio computed from the baseline, so every bench divides the same way. */
export function benchResult(result: Omit<BenchResult, "ratio">): BenchResult {
  const { baseline, value, better } = result;
  const ratio = baseline && value > 0 && baseline.value > 0 ? (better === "higher" ? value / baseline.value : baseline.value / value) : null;
  return { ...result, ratio };
}

/** Cleanup steps run in reverse order, once, whether the bench ends, fails or is interrupted. */
export class Resources {
  private readonly steps: { name: string; run: () => Promise<unknown> | unknown }[] = [];
  private done: Promise<void> | null = null;

  add(name: string, run: () => Promise<unknown> | unknown): void {
    this.steps.push({ name, run });
  }

  release(): Promise<void> {
    this.done ??= (async () => {
      for (const step of this.steps.reverse()) {
        try {
          await step.run();
        } catch (error) {
          console.error(`cleanup: ${step.name} failed: ${String(error)}`);
        }
      }
    })();
    return this.done;
  }
}

/** Runs a bench's main, releasing its resources whatever happens (also on Ctrl-C), and exits. */
export function runBench(main: (resources: Resources) => Promise<void>): void {
  const resources = new Resources();
  let interrupted = false;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      if (interrupted) return;
      interrupted = true;
      console.error(`\n${signal}: cleaning up`);
      void resources.release().finally(() => process.exit(signal === "SIGINT" ? 130 : 143));
    });
  }
  main(resources)
    .then(
      () => 0,
      (error: unknown) => {
        // Once interrupted, in-flight work fails as its connections close: not worth a stack.
        if (!interrupted) console.error(error);
        return 1;
      },
    )
    .then(async (code) => {
      await resources.release();
      process.exit(code);
    });
}

/** An embedded PostgreSQL under `scratch` with every migration applied; stopped when `resources` are released. */
export async function startMigratedPostgres(resources: Resources, scratch: string): Promise<{ url: string }> {
  log(`starting embedded PostgreSQL in ${scratch}`);
  const pg = await startEmbeddedPostgres({ dataDir: scratch, port: await freePort(), logger: createLogger("warn") });
  resources.add("stop PostgreSQL", () => pg.stop());
  const migrator = createDataSource({ url: pg.url });
  await migrator.initialize();
  await migrator.runMigrations();
  await migrator.destroy();
  log("migrated");
  return { url: pg.url };
}

/** Removes every container and volume carrying this sandbox scope label (a bench's own); answers how many containers went. */
export async function removeScoped(docker: Dockerode, scope: string): Promise<number> {
  const filters = { label: [`${LABEL_SCOPE}=${scope}`] };
  let removed = 0;
  for (const info of await docker.listContainers({ all: true, filters })) {
    await docker
      .getContainer(info.Id)
      .remove({ force: true })
      .then(() => removed++)
      .catch(() => undefined);
  }
  const { Volumes } = await docker.listVolumes({ filters });
  for (const volume of Volumes ?? [])
    await docker
      .getVolume(volume.Name)
      .remove()
      .catch(() => undefined);
  return removed;
}
