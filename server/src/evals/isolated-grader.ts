import path from "node:path";
import { Worker } from "node:worker_threads";
import type { EvalCase, GraderName, OutputGrade } from "@skillyard/core";

export interface GradingRequest {
  id: number;
  evalCase: EvalCase;
  stdout: string;
  outputsSchema: Record<string, unknown> | null;
}

export interface GradingResponse {
  id: number;
  grade: OutputGrade;
}

/** How long one case's graders may take before the thread is stopped. */
const DEFAULT_TIMEOUT_MS = 2_000;

/**
 * Grades outputs in a worker thread, one case at a time. The graders run the author's own regular
 * expressions (`regex`, and `pattern` in JSON Schemas) on the entry point's output; one that
 * backtracks catastrophically would otherwise block this process's event loop, and with it every
 * test and eval run it serves. A grade that takes longer than the timeout terminates the thread
 * (a fresh one grades the next case) and fails the case with the reason.
 */
export class IsolatedGrader {
  private worker: { thread: Worker; ready: Promise<void> } | null = null;
  private nextId = 0;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly timeoutMs = DEFAULT_TIMEOUT_MS) {}

  grade(evalCase: EvalCase, stdout: string, outputsSchema: Record<string, unknown> | null): Promise<OutputGrade> {
    const graded = this.queue.then(() => this.gradeNow({ id: ++this.nextId, evalCase, stdout, outputsSchema }));
    this.queue = graded.catch(() => undefined);
    return graded;
  }

  async close(): Promise<void> {
    await this.queue;
    const worker = this.worker;
    this.worker = null;
    await worker?.thread.terminate();
  }

  private async gradeNow(request: GradingRequest): Promise<OutputGrade> {
    const spawned = (this.worker ??= spawnGradingWorker());
    // Starting a thread (and compiling its script under a require hook) is not the author's time.
    await spawned.ready;
    const worker = spawned.thread;
    return new Promise<OutputGrade>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        worker.off("message", onMessage);
        worker.off("error", onError);
      };
      const onMessage = (response: GradingResponse) => {
        if (response.id !== request.id) return;
        done();
        resolve(response.grade);
      };
      const onError = (error: Error) => {
        done();
        this.worker = null;
        reject(error);
      };
      const timer = setTimeout(() => {
        done();
        this.worker = null;
        void worker.terminate();
        resolve(stoppedGrade(request.evalCase, this.timeoutMs));
      }, this.timeoutMs);
      worker.on("message", onMessage);
      worker.on("error", onError);
      worker.postMessage(request);
    });
  }
}

/** The worker script next to this file: .js in dist, .ts under the test runner's require hook (inherited through execArgv). */
function spawnGradingWorker(): { thread: Worker; ready: Promise<void> } {
  const thread = new Worker(path.join(__dirname, `grading-worker${path.extname(__filename)}`));
  // An idle grading thread must not keep the process alive.
  thread.unref();
  const ready = new Promise<void>((resolve, reject) => {
    const onReady = (message: unknown) => {
      if (typeof message !== "object" || message === null || !("ready" in message)) return;
      thread.off("message", onReady);
      thread.off("error", reject);
      resolve();
    };
    thread.on("message", onReady);
    thread.once("error", reject);
  });
  return { thread, ready };
}

/** The case's result when its graders were stopped: failed, blaming the author's patterns. */
function stoppedGrade(evalCase: EvalCase, timeoutMs: number): OutputGrade {
  const grader: GraderName = evalCase.expect?.regex !== undefined ? "regex" : evalCase.expect?.jsonSchema !== undefined ? "json_schema" : "outputs_schema";
  const message = `grading took over ${timeoutMs / 1000} s and was stopped (a pattern that backtracks catastrophically?)`;
  return { parsed: undefined, results: [{ grader, passed: false, message }], passed: false, reason: `${grader}: ${message}` };
}
