import { randomUUID } from "node:crypto";
import { gzipSync } from "node:zlib";

/**
 * Claude Code's OpenTelemetry log events, shaped as 2.1.332 sends them (see ../shared/STACK.md):
 * one scope `com.anthropic.claude_code.events`, the event name as the body, and `event.name`,
 * `event.timestamp`, `event.sequence`, `session.id`, `user.id`, `prompt.id` on every record. Tests,
 * e2e seeding and the usage bench build sessions here and render them as OTLP/JSON or hand them to
 * the OpenTelemetry SDK's own exporters.
 */
export interface ClaudeEvent {
  name: string;
  at: Date;
  attributes: Record<string, string | number>;
}

export interface SkillInvocation {
  /** What the model passed: `csv-stats` or `csv-stats:csv-stats` for a plugin skill. */
  skill: string;
  /** `plugin` (with plugin and marketplace), `userSettings` or `projectSettings`. */
  source?: string;
  plugin?: string;
  marketplace?: string;
  /** The Skill tool call's outcome; undefined sends no tool_result (OTEL_LOG_TOOL_DETAILS unset is another matter). */
  success?: boolean;
  at?: Date;
}

export const CLAUDE_CODE_VERSION = "2.1.332";
export const CLAUDE_EVENTS_SCOPE = "com.anthropic.claude_code.events";

export class ClaudeSession {
  readonly sessionId: string;
  private sequence = 0;
  private readonly list: ClaudeEvent[] = [];

  constructor(
    private readonly options: {
      userId: string;
      /** Resource attributes beyond service.name/version (e.g. `{ team: "data" }`). */
      resource?: Record<string, string>;
      sessionId?: string;
      /** When events happen unless a call says: by default now, one millisecond apart. */
      at?: Date;
    },
  ) {
    this.sessionId = options.sessionId ?? randomUUID();
  }

  get resource(): Record<string, string> {
    return { "service.name": "claude-code", "service.version": CLAUDE_CODE_VERSION, ...this.options.resource };
  }

  get events(): readonly ClaudeEvent[] {
    return this.list;
  }

  /** Sent once per plugin at session start; the only place a plugin's version appears. */
  pluginLoaded(plugin: string, marketplace: string, version: string, at?: Date): this {
    return this.push("plugin_loaded", at, { "plugin.name": plugin, "marketplace.name": marketplace, "plugin.version": version, "plugin.scope": "org" });
  }

  /** One invocation: skill_activated, an api_request made while it runs, and the Skill tool's tool_result. */
  invoke(invocation: SkillInvocation): this {
    const promptId = randomUUID();
    const pluginAttributes: Record<string, string> =
      invocation.plugin !== undefined ? { "plugin.name": invocation.plugin, "marketplace.name": invocation.marketplace ?? "" } : {};
    this.push("skill_activated", invocation.at, {
      "prompt.id": promptId,
      "skill.name": invocation.skill,
      "skill.source": invocation.source ?? (invocation.plugin !== undefined ? "plugin" : "userSettings"),
      invocation_trigger: "model",
      ...pluginAttributes,
    });
    this.push("api_request", invocation.at, { "prompt.id": promptId, "skill.name": invocation.skill, model: "claude-sonnet-4-5", cost_usd: "0.001" });
    if (invocation.success !== undefined) {
      this.push("tool_result", invocation.at, {
        "prompt.id": promptId,
        tool_name: "Skill",
        tool_use_id: `toolu_${randomUUID().slice(0, 8)}`,
        success: String(invocation.success),
        duration_ms: "19",
        tool_parameters: JSON.stringify({ skill_name: invocation.skill }),
      });
    }
    return this;
  }

  /** An event usage does not keep (counted as received and dropped). */
  other(name = "user_prompt", at?: Date): this {
    return this.push(name, at, { "prompt.id": randomUUID(), prompt_length: "42" });
  }

  private push(name: string, at: Date | undefined, attributes: Record<string, string>): this {
    const when = at ?? new Date((this.options.at ?? new Date()).getTime() + this.sequence);
    this.list.push({
      name,
      at: when,
      attributes: {
        "event.name": name,
        "event.timestamp": when.toISOString(),
        "event.sequence": this.sequence++,
        "session.id": this.sessionId,
        "user.id": this.options.userId,
        ...attributes,
      },
    });
    return this;
  }
}

type JsonValue = { stringValue: string } | { intValue: number };
const jsonValue = (v: string | number): JsonValue => (typeof v === "number" ? { intValue: v } : { stringValue: v });
const jsonAttributes = (attributes: Record<string, string | number>) => Object.entries(attributes).map(([key, v]) => ({ key, value: jsonValue(v) }));

/** An OTLP/JSON ExportLogsServiceRequest with one resourceLogs per session, as Claude Code batches them. */
export function logsRequest(sessions: readonly ClaudeSession[], pick: (e: ClaudeEvent) => boolean = () => true): object {
  return {
    resourceLogs: sessions.map((session) => ({
      resource: { attributes: jsonAttributes(session.resource) },
      scopeLogs: [
        {
          scope: { name: CLAUDE_EVENTS_SCOPE, version: CLAUDE_CODE_VERSION },
          logRecords: session.events.filter(pick).map((e) => ({
            timeUnixNano: (BigInt(e.at.getTime()) * 1_000_000n).toString(),
            observedTimeUnixNano: (BigInt(e.at.getTime()) * 1_000_000n).toString(),
            body: { stringValue: `claude_code.${e.name}` },
            attributes: jsonAttributes(e.attributes),
          })),
        },
      ],
    })),
  };
}

/** POSTs an OTLP/JSON body to `<base>/v1/logs` as Claude Code's exporter does. */
export async function postLogs(baseUrl: string, token: string | null, body: object | Buffer, options: { gzip?: boolean } = {}): Promise<Response> {
  const raw = Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
  const headers: Record<string, string> = { "content-type": "application/json", "user-agent": "OTel-OTLP-Exporter-JavaScript/0.208.0" };
  if (token) headers.authorization = `Bearer ${token}`;
  if (options.gzip) headers["content-encoding"] = "gzip";
  return fetch(new URL("/v1/logs", baseUrl), { method: "POST", headers, body: new Uint8Array(options.gzip ? gzipSync(raw) : raw) });
}
