import type { Logger } from "./logger";

/**
 * Runs `task` every `intervalMs` (the timer does not keep the process alive). A run never overlaps
 * the previous one in this process: a tick that finds one still running is skipped. `stop` waits for
 * the running one, then runs `task` once more when `finalRun` is set (to flush what is pending).
 */
export class PeriodicTask {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly name: string,
    private readonly task: () => Promise<void>,
    private readonly intervalMs: number,
    private readonly logger: Logger,
    private readonly finalRun = false,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
  }

  /** Runs the task now (unless a run is under way, which is awaited instead). */
  tick(): Promise<void> {
    this.running ??= this.task()
      .catch((error: unknown) => this.logger.error(`${this.name} failed`, { message: String(error) }))
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
    if (this.finalRun) await this.tick();
  }
}
