import { inspect } from "node:util";

export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";

/** `json`: one JSON object per line; `pretty`: one human-readable line per entry. */
export type LogFormat = "json" | "pretty";

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Where log lines go: stderr, or a stand-in with the same two members (tests). */
export interface LogSink {
  write(chunk: string): unknown;
  readonly isTTY?: boolean;
}

export interface LoggerOptions {
  /** null or undefined: pretty when the sink is a terminal, JSON otherwise (LOG_FORMAT overrides it in main.ts). */
  format?: LogFormat | null;
  /** Default process.stderr. */
  sink?: LogSink;
}

type Level = Exclude<LogLevel, "silent">;

/** An entry's own keys: a field of the same name is written as `field_<name>` in JSON so it cannot replace them. */
const RESERVED = new Set(["time", "level", "message"]);

function jsonLine(at: Date, level: Level, message: string, fields: Record<string, unknown>): string {
  const entry: Record<string, unknown> = { time: at.toISOString(), level, message };
  for (const [key, value] of Object.entries(fields)) entry[RESERVED.has(key) ? `field_${key}` : key] = value;
  return JSON.stringify(entry);
}

const COLOUR: Record<Level, string> = { debug: "\x1b[90m", info: "\x1b[32m", warn: "\x1b[33m", error: "\x1b[31m" };
const DIM = "\x1b[2m";
const RESET = "\x1b[0m";

/** A field value as `key=value` shows it: bare when it is one simple token, JSON-quoted otherwise. */
function fieldValue(value: unknown): string {
  if (typeof value === "string") return /^[\w.:/@+-]+$/.test(value) ? value : JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean" || value === null || value === undefined) return String(value);
  if (value instanceof Date) return value.toISOString();
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return inspect(value, { breakLength: Infinity, depth: 4 });
  }
}

/** `HH:MM:SS.mmm LEVEL message key=value …`; a stack goes on the lines after it, indented. Colours only on a terminal. */
function prettyLine(at: Date, level: Level, message: string, fields: Record<string, unknown>, colour: boolean): string {
  const paint = (code: string, text: string) => (colour ? `${code}${text}${RESET}` : text);
  const stacks: string[] = [];
  const pairs: string[] = [];
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    if (key === "stack" && typeof value === "string") stacks.push(value);
    else pairs.push(`${paint(DIM, `${key}=`)}${fieldValue(value)}`);
  }
  const time = at.toISOString().slice(11, 23);
  const head = `${paint(DIM, time)} ${paint(COLOUR[level], level.toUpperCase().padEnd(5))} ${message}${pairs.length ? ` ${pairs.join(" ")}` : ""}`;
  return [head, ...stacks.map((s) => s.replace(/^/gm, "    "))].join("\n");
}

/**
 * Log entries on stderr: JSON lines (greppable, ingestible in production) unless the output is a
 * terminal or `format` says `pretty`. Both formats carry the same entry: time, level, message and
 * the fields (base fields first, the call's own fields win; none replaces time, level or message).
 */
export function createLogger(level: LogLevel, base: Record<string, unknown> = {}, options: LoggerOptions = {}): Logger {
  const sink = options.sink ?? process.stderr;
  const format: LogFormat = options.format ?? (sink.isTTY ? "pretty" : "json");
  // Colour codes only where a terminal renders them, and never when NO_COLOR asks (https://no-color.org).
  const colour = format === "pretty" && sink.isTTY === true && !process.env.NO_COLOR;
  const emit = (at: Level, message: string, fields?: Record<string, unknown>) => {
    if (ORDER[at] < ORDER[level]) return;
    const now = new Date();
    if (format === "pretty") sink.write(`${prettyLine(now, at, message, { ...base, ...fields }, colour)}\n`);
    else sink.write(`${jsonLine(now, at, message, { ...base, ...fields })}\n`);
  };
  return {
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
  };
}
