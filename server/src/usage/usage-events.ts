import { createHmac } from "node:crypto";
import type { OtlpLogRecord } from "./otlp-logs";

/** What usage keeps of Claude Code's events; everything else is counted as received and dropped. */
export type UsageEventKind = "skill_activated" | "skill_result" | "plugin_loaded";

export interface UsageEvent {
  kind: UsageEventKind;
  sessionId: string;
  /** `event.sequence`, an integer as text (it is a 64-bit counter). */
  sequence: string;
  at: Date;
  /** UTC date of `at`, `YYYY-MM-DD`: the raw table's partition. */
  day: string;
  /** The team from the resource attribute (USAGE_TEAM_ATTRIBUTE), else the ingest token's team, else "". */
  team: string;
  /** HMAC-SHA256 of `user.id` with the installation's salt (hex, 32 characters); null when absent. */
  userHash: string | null;
  /** For skill events: the name as Claude Code sent it (`csv-stats:csv-stats`, `csv-stats`). */
  skillName: string | null;
  /** `skill.source`: plugin, userSettings, projectSettings, … */
  skillSource: string | null;
  plugin: string | null;
  marketplace: string | null;
  /** For plugin_loaded: the plugin's version. */
  pluginVersion: string | null;
  /** For skill_result: whether the Skill tool call succeeded. */
  success: boolean | null;
}

export interface ExtractOptions {
  teamAttribute: string;
  /** The team of the ingest token that sent the batch, when it has one. */
  tokenTeam: string | null;
  userSalt: Buffer;
  now: Date;
  /** Events older than this many days (the raw retention) or more than a day ahead are refused. */
  retentionDays: number;
}

export interface Extracted {
  events: UsageEvent[];
  /** Records that could not be kept (missing ids, out-of-range time), with why. */
  rejected: number;
  rejectedReasons: string[];
  /** Every log record in the request, kept or not. */
  received: number;
}

const MAX_TEXT = 512;
const SEQUENCE = /^\d{1,18}$/;
const DAY_MS = 86_400_000;

const text = (value: string | undefined): string | null => (value === undefined || value === "" ? null : value.slice(0, MAX_TEXT));

/** The skill a Skill tool call names: `tool_parameters.skill_name`, else `tool_input.skill`. */
function toolSkillName(attributes: Map<string, string>): string | null {
  for (const [attribute, field] of [
    ["tool_parameters", "skill_name"],
    ["tool_input", "skill"],
  ] as const) {
    const raw = attributes.get(attribute);
    if (!raw) continue;
    try {
      const parsed = JSON.parse(raw) as Record<string, unknown>;
      if (typeof parsed[field] === "string" && parsed[field] !== "") return text(parsed[field]);
    } catch {
      // not JSON: try the next attribute
    }
  }
  return null;
}

function eventTime(record: OtlpLogRecord): Date | null {
  if (record.timeUnixNano && /^\d{1,20}$/.test(record.timeUnixNano)) return new Date(Number(BigInt(record.timeUnixNano) / 1_000_000n));
  const stamp = record.attributes.get("event.timestamp");
  const parsed = stamp ? Date.parse(stamp) : NaN;
  return Number.isFinite(parsed) ? new Date(parsed) : null;
}

/**
 * The usage events in a batch of log records. A skill invocation is `skill_activated`; its outcome
 * is the `tool_result` of the Skill tool; `plugin_loaded` says which version of each plugin a
 * session runs. A kept event needs `session.id` and `event.sequence` (its identity under exporter
 * retries) and a time within the raw retention; other records of these kinds are rejected.
 */
export function extractUsageEvents(records: Iterable<OtlpLogRecord>, options: ExtractOptions): Extracted {
  const events: UsageEvent[] = [];
  const reasons = new Set<string>();
  // A session's records share one user id: hash each id once per batch.
  const hashes = new Map<string, string>();
  const hashOf = (user: string) => {
    let hash = hashes.get(user);
    if (hash === undefined) hashes.set(user, (hash = createHmac("sha256", options.userSalt).update(user).digest("hex").slice(0, 32)));
    return hash;
  };
  let received = 0;
  let rejected = 0;
  const earliest = Date.UTC(options.now.getUTCFullYear(), options.now.getUTCMonth(), options.now.getUTCDate()) - (options.retentionDays - 1) * DAY_MS;
  const latest = options.now.getTime() + DAY_MS;
  const reject = (why: string) => {
    rejected++;
    reasons.add(why);
  };
  for (const record of records) {
    received++;
    let kind: UsageEventKind;
    if (record.eventName === "skill_activated") kind = "skill_activated";
    else if (record.eventName === "tool_result" && record.attributes.get("tool_name") === "Skill") kind = "skill_result";
    else if (record.eventName === "plugin_loaded") kind = "plugin_loaded";
    else continue;
    const a = record.attributes;
    const sessionId = text(a.get("session.id"));
    const sequence = a.get("event.sequence");
    if (!sessionId || !sequence || !SEQUENCE.test(sequence)) {
      reject("a skill event without session.id and an integer event.sequence");
      continue;
    }
    const at = eventTime(record);
    if (!at || at.getTime() < earliest || at.getTime() > latest) {
      reject(`a skill event outside the last ${options.retentionDays} days`);
      continue;
    }
    const skillName = kind === "skill_activated" ? text(a.get("skill.name")) : kind === "skill_result" ? toolSkillName(a) : null;
    if (kind !== "plugin_loaded" && !skillName) {
      reject("a skill event that names no skill");
      continue;
    }
    if (kind === "plugin_loaded" && !text(a.get("plugin.name"))) {
      reject("a plugin_loaded event without plugin.name");
      continue;
    }
    const user = a.get("user.id");
    events.push({
      kind,
      sessionId,
      sequence,
      at,
      day: at.toISOString().slice(0, 10),
      team: text(record.resource.get(options.teamAttribute)) ?? options.tokenTeam ?? "",
      userHash: user ? hashOf(user) : null,
      skillName,
      skillSource: text(a.get("skill.source")),
      plugin: text(a.get("plugin.name")),
      marketplace: text(a.get("marketplace.name")),
      pluginVersion: kind === "plugin_loaded" ? text(a.get("plugin.version")) : null,
      success: kind === "skill_result" ? a.get("success") === "true" : null,
    });
  }
  return { events, rejected, rejectedReasons: [...reasons], received };
}
