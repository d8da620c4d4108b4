import http, { type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

/** A content block of a Messages API request (only the fields the harness reads are typed). */
export interface ContentBlock {
  type: string;
  text?: string;
  id?: string;
  name?: string;
  input?: unknown;
  tool_use_id?: string;
  is_error?: boolean;
  content?: string | ContentBlock[];
}

export interface ApiMessage {
  role: "user" | "assistant";
  content: string | ContentBlock[];
}

export interface ApiTool {
  name: string;
  description?: string;
  input_schema?: unknown;
}

/** The parts of a `POST /v1/messages` body that tests look at; `raw` has all of it. */
export interface MessagesRequestBody {
  model?: string;
  stream?: boolean;
  max_tokens?: number;
  system?: string | ContentBlock[];
  messages: ApiMessage[];
  tools?: ApiTool[];
}

export interface ModelRequest {
  at: number;
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body (undefined when there was none or it was not JSON). */
  json: unknown;
  text: string;
}

/** What the stand-in answers to one turn of the agent. */
export type ScriptedReply =
  | { text: string }
  | {
      /** Optional text block before the tool call. */
      text?: string;
      toolUse: { name: string; input: Record<string, unknown>; id?: string };
    };

/** Decides the reply for a turn; `turn` counts the agent turns (requests that offer tools) from 0. */
export type ModelScript = ScriptedReply[] | ((request: MessagesRequestBody, turn: number) => ScriptedReply);

/** A tool_result block found in a request, with its text flattened. */
export interface ToolResult {
  toolUseId: string;
  isError: boolean;
  text: string;
  /** The text blocks sent in the same user message after the tool_result (a skill's SKILL.md body arrives here). */
  followingText: string;
}

export interface ScriptedModel {
  /** `http://127.0.0.1:<port>`: the value for ANTHROPIC_BASE_URL. */
  url: string;
  /** ANTHROPIC_BASE_URL and a dummy ANTHROPIC_API_KEY. */
  env: Record<string, string>;
  /** Every request, including count_tokens and anything else Claude Code asked for. */
  readonly requests: ModelRequest[];
  /** The `POST /v1/messages` bodies that offered tools (the agent's own turns), in order. */
  turns(): MessagesRequestBody[];
  /** Every `POST /v1/messages` body. */
  messageRequests(): MessagesRequestBody[];
  /** The tool_result blocks in the last user message of every agent turn, in order. */
  toolResults(): ToolResult[];
  /** Replaces the script (turn numbers keep counting). */
  setScript(script: ModelScript): void;
  stop(): Promise<void>;
}

/** Flattens a content field (string or blocks) to its text. */
export function contentText(content: string | ContentBlock[] | undefined): string {
  if (content === undefined) return "";
  if (typeof content === "string") return content;
  return content.map((block) => (block.type === "text" ? (block.text ?? "") : block.content !== undefined ? contentText(block.content) : "")).join("\n");
}

/** All the text a request shows the model: system prompt, messages, tool descriptions. */
export function requestText(body: MessagesRequestBody): string {
  const parts = [contentText(body.system), ...body.messages.map((message) => contentText(message.content))];
  for (const tool of body.tools ?? []) parts.push(`${tool.name}: ${tool.description ?? ""}`);
  return parts.join("\n");
}

const SKILL_LIST_HEADER = "The following skills are available for use with the Skill tool:";

/**
 * The skills a request offers the model, as `name -> description`, read from the list Claude Code 2.1.332 puts
 * in a system message ("The following skills are available for use with the Skill tool:" then "- name: description" lines).
 * Plugin skills are named `<plugin>:<skill folder>`.
 */
export function offeredSkills(body: MessagesRequestBody): Map<string, string> {
  const skills = new Map<string, string>();
  const text = requestText(body);
  let at = text.indexOf(SKILL_LIST_HEADER);
  while (at !== -1) {
    const lines = text.slice(at + SKILL_LIST_HEADER.length).split("\n");
    let started = false;
    for (const line of lines) {
      const match = /^- ([^:\s][^\s]*?): (.*)$/.exec(line);
      if (match) {
        started = true;
        skills.set(match[1], match[2]);
      } else if (started && !line.startsWith("  ")) break;
      else if (!started && line.trim() !== "") break;
    }
    at = text.indexOf(SKILL_LIST_HEADER, at + 1);
  }
  return skills;
}

function isMessagesBody(json: unknown): json is MessagesRequestBody {
  return typeof json === "object" && json !== null && Array.isArray((json as { messages?: unknown }).messages);
}

function sse(response: ServerResponse, event: string, data: unknown): void {
  response.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

let idCounter = 0;

function replyBlocks(reply: ScriptedReply): { blocks: ContentBlock[]; stopReason: string } {
  const blocks: ContentBlock[] = [];
  if (reply.text !== undefined && reply.text !== "") blocks.push({ type: "text", text: reply.text });
  if ("toolUse" in reply) {
    blocks.push({
      type: "tool_use",
      id: reply.toolUse.id ?? `toolu_sky${String(++idCounter).padStart(4, "0")}`,
      name: reply.toolUse.name,
      input: reply.toolUse.input,
    });
    return { blocks, stopReason: "tool_use" };
  }
  if (blocks.length === 0) blocks.push({ type: "text", text: "" });
  return { blocks, stopReason: "end_turn" };
}

function answerMessages(response: ServerResponse, body: MessagesRequestBody, reply: ScriptedReply): void {
  const { blocks, stopReason } = replyBlocks(reply);
  const id = `msg_sky${String(++idCounter).padStart(6, "0")}`;
  const model = body.model ?? "claude-scripted";
  const usage = { input_tokens: 10, output_tokens: 5, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
  if (!body.stream) {
    response.writeHead(200, { "content-type": "application/json", "request-id": `req_${id}` });
    response.end(JSON.stringify({ id, type: "message", role: "assistant", model, content: blocks, stop_reason: stopReason, stop_sequence: null, usage }));
    return;
  }
  response.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", "request-id": `req_${id}` });
  sse(response, "message_start", {
    type: "message_start",
    message: { id, type: "message", role: "assistant", model, content: [], stop_reason: null, stop_sequence: null, usage: { ...usage, output_tokens: 1 } },
  });
  blocks.forEach((block, index) => {
    if (block.type === "tool_use") {
      sse(response, "content_block_start", {
        type: "content_block_start",
        index,
        content_block: { type: "tool_use", id: block.id, name: block.name, input: {} },
      });
      sse(response, "content_block_delta", {
        type: "content_block_delta",
        index,
        delta: { type: "input_json_delta", partial_json: JSON.stringify(block.input) },
      });
    } else {
      sse(response, "content_block_start", { type: "content_block_start", index, content_block: { type: "text", text: "" } });
      sse(response, "content_block_delta", { type: "content_block_delta", index, delta: { type: "text_delta", text: block.text ?? "" } });
    }
    sse(response, "content_block_stop", { type: "content_block_stop", index });
  });
  sse(response, "message_delta", { type: "message_delta", delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: 5 } });
  sse(response, "message_stop", { type: "message_stop" });
  response.end();
}

/**
 * A Messages API stand-in on 127.0.0.1 for ANTHROPIC_BASE_URL. `POST /v1/messages` with tools (an agent turn)
 * is answered from the script, in order; when the script is used up it answers "done." Side requests
 * without tools get a plain "ok"; `count_tokens` gets a token count; anything else gets a 404 JSON error.
 */
export async function startScriptedModel(script: ModelScript = []): Promise<ScriptedModel> {
  const requests: ModelRequest[] = [];
  const sockets = new Set<Socket>();
  let current = script;
  let turn = 0;
  const nextReply = (body: MessagesRequestBody): ScriptedReply => {
    const index = turn++;
    if (typeof current === "function") return current(body, index);
    return current[index] ?? { text: "done." };
  };

  const server = http.createServer((incoming, response) => {
    const chunks: Buffer[] = [];
    incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
    incoming.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      requests.push({ at: Date.now(), method: incoming.method ?? "GET", url: incoming.url ?? "/", headers: incoming.headers, json, text });
      const pathname = new URL(incoming.url ?? "/", "http://model.invalid").pathname;
      if (incoming.method === "POST" && pathname === "/v1/messages/count_tokens") {
        response.writeHead(200, { "content-type": "application/json" });
        response.end(JSON.stringify({ input_tokens: 100 }));
        return;
      }
      if (incoming.method === "POST" && pathname === "/v1/messages" && isMessagesBody(json)) {
        const agentTurn = (json.tools?.length ?? 0) > 0;
        answerMessages(response, json, agentTurn ? nextReply(json) : { text: "ok" });
        return;
      }
      response.writeHead(404, { "content-type": "application/json" });
      response.end(
        JSON.stringify({ type: "error", error: { type: "not_found_error", message: `the scripted model does not serve ${incoming.method} ${pathname}` } }),
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
  const messageRequests = (): MessagesRequestBody[] =>
    requests
      .filter((r) => r.method === "POST" && new URL(r.url, url).pathname === "/v1/messages" && isMessagesBody(r.json))
      .map((r) => r.json as MessagesRequestBody);
  const turns = () => messageRequests().filter((body) => (body.tools?.length ?? 0) > 0);
  let stopped: Promise<void> | undefined;
  return {
    url,
    env: { ANTHROPIC_BASE_URL: url, ANTHROPIC_API_KEY: "sk-ant-scripted-model-test-key" },
    requests,
    turns,
    messageRequests,
    toolResults() {
      const results: ToolResult[] = [];
      for (const body of turns()) {
        const last = body.messages[body.messages.length - 1];
        if (!last || last.role !== "user" || typeof last.content === "string") continue;
        last.content.forEach((block, index, blocks) => {
          if (block.type !== "tool_result") return;
          const rest = blocks.slice(index + 1);
          const next = rest.findIndex((other) => other.type === "tool_result");
          const followingText = contentText((next === -1 ? rest : rest.slice(0, next)).filter((other) => other.type === "text"));
          results.push({ toolUseId: block.tool_use_id ?? "", isError: block.is_error === true, text: contentText(block.content), followingText });
        });
      }
      return results;
    },
    setScript(next) {
      current = next;
    },
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return stopped;
    },
  };
}
