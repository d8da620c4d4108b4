/**
 * A scripted local stand-in for an Anthropic-compatible Messages API (`POST /v1/messages`), for
 * tests of the eval judge and of anything that uses it (eval gates, end-to-end runs). It is a real
 * HTTP server on 127.0.0.1 (an ephemeral port), so clients are exercised over real sockets:
 *
 *   const api = await startMessagesApiStandIn();           // url: http://127.0.0.1:PORT
 *   api.script({ status: 429, headers: { "retry-after": "1" } }, { score: 0.5, reason: "half" });
 *   ... point EVAL_JUDGE_URL at api.url, run ...
 *   api.requests[0].body, api.requests[0].headers["x-api-key"], api.requests[1].prompt
 *   await api.close();
 *
 * Each POST /v1/messages is answered by the next scripted step; when the script is empty, by the
 * default (`setDefault(step)`, or `respondWith(fn)` to decide from the request, e.g. from the
 * output JSON in its prompt). The initial default is `{ score: 1, reason: "meets the rubric" }`.
 * Requests to any other path get a 404 and consume no step; every request is recorded, in order.
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

/** How the stand-in answers one request. `delayMs` (where allowed) waits before answering. */
export type StandInStep =
  /** A well-formed answer: 200, one text block holding `{"score": score, "reason": reason}`. Any number is sent as given (1.5 too). */
  | { score: number; reason: string; delayMs?: number }
  /** 200 with this raw assistant text (an array gives one text block per item), for malformed answers. */
  | { text: string | string[]; stopReason?: string; delayMs?: number }
  /** Any status. `body`: a string is sent as is, anything else as JSON; absent, a Messages API error object for the status. */
  | { status: number; body?: unknown; headers?: Record<string, string>; delayMs?: number }
  /** Never answers; the request stays open until the client gives up or close() ends it (timeouts). */
  | { hang: true }
  /** Destroys the socket without an answer (a network error for the client). */
  | { destroy: true };

/** Decides a step from the request (the "rubric-aware" default). May be async. */
export type StandInResponder = (request: RecordedRequest) => StandInStep | Promise<StandInStep>;

export interface RecordedRequest {
  method: string;
  /** The request path, query included. */
  path: string;
  headers: IncomingHttpHeaders;
  rawBody: string;
  /** The body parsed as JSON (not validated), or null when it is not a JSON object. */
  body: Record<string, unknown> | null;
  /** `body.model` when a string, else null. */
  model: string | null;
  /** The system prompt's text (a string, or its text blocks joined), "" when none. */
  system: string;
  /** The text of all user messages (string content or text blocks), joined with blank lines. */
  prompt: string;
  /** When it was received (performance.now(), milliseconds), to measure waits between attempts. */
  receivedAt: number;
  /** The step that answered it; null for requests the stand-in refused itself (wrong path, bad body, wrong key). */
  step: StandInStep | null;
}

export interface StandInOptions {
  /** When set, a request without exactly this `x-api-key` gets a 401 (authentication_error) and consumes no step. */
  apiKey?: string;
}

export interface MessagesApiStandIn {
  /** Base URL, http://127.0.0.1:PORT (the Messages endpoint is `${url}/v1/messages`). */
  readonly url: string;
  /** Every request received, in arrival order (recorded before it is answered). */
  readonly requests: RecordedRequest[];
  /** Appends steps; each POST /v1/messages consumes the first one left. */
  script(...steps: StandInStep[]): void;
  /** Steps scripted and not yet consumed. */
  readonly pendingSteps: number;
  /** The step used when the script is empty (replaces any respondWith). */
  setDefault(step: StandInStep): void;
  /** Decide the answer from the request when the script is empty (replaces any setDefault). */
  respondWith(responder: StandInResponder): void;
  /** Resolves once at least `count` requests have been recorded; rejects after timeoutMs. */
  waitForRequests(count: number, timeoutMs?: number): Promise<RecordedRequest[]>;
  /** Ends hung requests and open connections and releases the port. Idempotent. */
  close(): Promise<void>;
}

export const DEFAULT_STAND_IN_STEP: StandInStep = { score: 1, reason: "meets the rubric" };

/** The text between `<tag>` and `</tag>` in a prompt (the judge uses rubric, skill_input and skill_output), or null. */
export function taggedSection(prompt: string, tag: string): string | null {
  const start = prompt.indexOf(`<${tag}>`);
  if (start < 0) return null;
  const end = prompt.indexOf(`</${tag}>`, start);
  return end < 0 ? null : prompt.slice(start + tag.length + 2, end).trim();
}

const ERROR_TYPES: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  403: "permission_error",
  404: "not_found_error",
  413: "request_too_large",
  429: "rate_limit_error",
  500: "api_error",
  529: "overloaded_error",
};

/** The Messages API's error shape, as the real API sends it. */
export function apiError(status: number, message = `stand-in: HTTP ${status}`): { type: "error"; error: { type: string; message: string } } {
  return { type: "error", error: { type: ERROR_TYPES[status] ?? (status >= 500 ? "api_error" : "invalid_request_error"), message } };
}

function checkStep(step: StandInStep): StandInStep {
  const kinds = ["score", "text", "status", "hang", "destroy"].filter((k) => k in step);
  if (kinds.length !== 1) throw new TypeError(`a stand-in step has exactly one of score, text, status, hang, destroy: ${JSON.stringify(step)}`);
  return step;
}

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .filter((b): b is { type: "text"; text: string } => typeof b === "object" && b !== null && b.type === "text" && typeof b.text === "string")
    .map((b) => b.text)
    .join("");
}

function record(method: string, path: string, headers: IncomingHttpHeaders, rawBody: string): RecordedRequest {
  let body: Record<string, unknown> | null = null;
  try {
    const parsed: unknown = JSON.parse(rawBody);
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) body = parsed as Record<string, unknown>;
  } catch {
    body = null;
  }
  const messages = Array.isArray(body?.messages) ? (body.messages as unknown[]) : [];
  const prompt = messages
    .filter((m): m is { role: "user"; content: unknown } => typeof m === "object" && m !== null && "role" in m && m.role === "user")
    .map((m) => textOf(m.content))
    .join("\n\n");
  return {
    method,
    path,
    headers,
    rawBody,
    body,
    model: typeof body?.model === "string" ? body.model : null,
    system: textOf(body?.system),
    prompt,
    receivedAt: performance.now(),
    step: null,
  };
}

export async function startMessagesApiStandIn(options: StandInOptions = {}): Promise<MessagesApiStandIn> {
  const requests: RecordedRequest[] = [];
  const queue: StandInStep[] = [];
  let fallback: StandInResponder = () => DEFAULT_STAND_IN_STEP;
  let closed = false;
  let messageCount = 0;
  // Everything close() must end: open sockets (hung requests included) and pending delayed answers.
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const waiters = new Set<() => void>();

  const sendJson = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    const text = typeof body === "string" ? body : JSON.stringify(body);
    res.writeHead(status, { "content-type": "application/json", ...headers }).end(text);
  };

  const answer = (res: ServerResponse, req: RecordedRequest, step: StandInStep) => {
    if ("hang" in step) return; // Left open: the client's abort or close() ends it.
    if ("destroy" in step) return void res.socket?.destroy();
    if ("status" in step) return sendJson(res, step.status, step.body === undefined ? apiError(step.status) : step.body, step.headers);
    const blocks = "score" in step ? [JSON.stringify({ score: step.score, reason: step.reason })] : Array.isArray(step.text) ? step.text : [step.text];
    const text = blocks.join("");
    sendJson(res, 200, {
      id: `msg_standin_${++messageCount}`,
      type: "message",
      role: "assistant",
      model: req.model ?? "stand-in",
      content: blocks.map((t) => ({ type: "text", text: t })),
      stop_reason: "text" in step && step.stopReason ? step.stopReason : "end_turn",
      stop_sequence: null,
      usage: { input_tokens: Math.ceil(req.rawBody.length / 4), output_tokens: Math.ceil(text.length / 4) },
    });
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const recorded = record(req.method ?? "GET", req.url ?? "/", req.headers, Buffer.concat(chunks).toString("utf8"));
      requests.push(recorded);
      for (const wake of waiters) wake();
      if (req.method !== "POST" || new URL(recorded.path, "http://stand-in").pathname !== "/v1/messages") {
        return sendJson(res, 404, apiError(404, `stand-in: no route ${req.method} ${recorded.path}`));
      }
      if (options.apiKey !== undefined && req.headers["x-api-key"] !== options.apiKey) return sendJson(res, 401, apiError(401, "invalid x-api-key"));
      if (recorded.body === null) return sendJson(res, 400, apiError(400, "the request body is not a JSON object"));
      const scripted = queue.shift();
      // A responder may throw or return a bad step: the client then gets a 500 saying so.
      new Promise<StandInStep>((resolve) => resolve(scripted ?? fallback(recorded))).then(checkStep).then(
        (step) => {
          recorded.step = step;
          if (closed) return;
          const delayMs = "delayMs" in step ? (step.delayMs ?? 0) : 0;
          if (delayMs <= 0) return answer(res, recorded, step);
          const timer = setTimeout(() => {
            timers.delete(timer);
            answer(res, recorded, step);
          }, delayMs);
          timers.add(timer);
        },
        (error: unknown) => {
          if (!closed) sendJson(res, 500, apiError(500, `stand-in responder failed: ${error instanceof Error ? error.message : String(error)}`));
        },
      );
    });
  });
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    requests,
    script(...steps) {
      queue.push(...steps.map(checkStep));
    },
    get pendingSteps() {
      return queue.length;
    },
    setDefault(step) {
      checkStep(step);
      fallback = () => step;
    },
    respondWith(responder) {
      fallback = responder;
    },
    waitForRequests(count, timeoutMs = 5_000) {
      return new Promise((resolve, reject) => {
        if (requests.length >= count) return resolve(requests.slice());
        const timer = setTimeout(() => {
          waiters.delete(wake);
          reject(new Error(`the stand-in got ${requests.length} of ${count} requests within ${timeoutMs} ms`));
        }, timeoutMs);
        const wake = () => {
          if (requests.length < count) return;
          clearTimeout(timer);
          waiters.delete(wake);
          resolve(requests.slice());
        };
        waiters.add(wake);
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await stopped;
    },
  };
}
