import { parentPort } from "node:worker_threads";
import { gradeOutput } from "@skillyard/core";
import type { GradingRequest, GradingResponse } from "./isolated-grader";

// The thread IsolatedGrader grades in: one request at a time, answered in order.
parentPort?.on("message", (request: GradingRequest) => {
  const response: GradingResponse = { id: request.id, grade: gradeOutput(request.evalCase, request.stdout, request.outputsSchema) };
  parentPort?.postMessage(response);
});
// Loaded (the require hook compiles this file under the test runner): the timer of the first case starts now.
parentPort?.postMessage({ ready: true });
