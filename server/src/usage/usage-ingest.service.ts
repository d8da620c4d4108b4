import { randomBytes } from "node:crypto";
import type { DataSource, EntityManager } from "typeorm";
import type { UsageEvent } from "./usage-events";
import type { UsageEventStore } from "./usage-event-store";
import { UsageSalt } from "./usage-daily.entity";
import { weekStart } from "./usage-weeks";

/** Where an event's skill landed: a Skillyard skill (and version, when known) or an unmanaged one. */
interface Resolved {
  skillKey: string;
  skillId: string | null;
  version: string;
  unmanaged: { name: string; source: string; plugin: string | null; marketplace: string | null } | null;
}

export interface IngestResult {
  /** Events stored for the first time (an exporter's retry of a stored batch adds none). */
  stored: number;
  /** Events already stored (retries). */
  duplicates: number;
}

/** The rollups' user key: the first 64 bits of the salted hash as a signed integer (text, for pg's bigint). */
const userKey = (userHash: string): string => BigInt.asIntN(64, BigInt(`0x${userHash.slice(0, 16)}`)).toString();

const sessionSkill = (sessionId: string, skillName: string) => `${sessionId}\u0000${skillName}`;
const sessionPlugin = (sessionId: string, plugin: string, marketplace: string) => `${sessionId}\u0000${plugin}\u0000${marketplace}`;

/**
 * Stores Claude Code's skill events and rolls them up, in one transaction per OTLP request (never per
 * record): the raw rows go in with ON CONFLICT DO NOTHING on (day, session, sequence), and only the
 * rows that were new feed the daily rollups, so an exporter that retries a batch it already
 * delivered changes no count.
 *
 * A plugin skill is a Skillyard skill when its marketplace is one of this Skillyard's and the plugin
 * name is a skill's name; its version comes from the session's plugin_loaded event, else from what
 * that catalog serves (a first run sends no plugin_loaded for the plugins it installs). A user or
 * project skill is a Skillyard skill when its name is one (`skillyard install --target claude`).
 * Anything else is an unmanaged skill, counted under its own key.
 */
export class UsageIngestService {
  private salt: Buffer | null = null;

  constructor(
    private readonly dataSource: DataSource,
    private readonly store: UsageEventStore,
    private readonly marketplaceName: string,
  ) {}

  /** The installation's salt for user ids, made once and kept in the database. */
  async userSalt(): Promise<Buffer> {
    if (this.salt) return this.salt;
    await this.dataSource
      .createQueryBuilder()
      .insert()
      .into(UsageSalt)
      .values({ id: 1, salt: randomBytes(32) })
      .orIgnore()
      .execute();
    this.salt = (await this.dataSource.getRepository(UsageSalt).findOneByOrFail({ id: 1 })).salt;
    return this.salt;
  }

  isOurMarketplace(name: string | null): boolean {
    return name === this.marketplaceName || (name?.startsWith(`${this.marketplaceName}-`) ?? false);
  }

  async ingest(events: readonly UsageEvent[]): Promise<IngestResult> {
    if (events.length === 0) return { stored: 0, duplicates: 0 };
    await this.store.ensurePartitions(events.map((e) => e.day));
    try {
      return await this.dataSource.transaction(async (em) => {
        const resolved = await this.resolve(em, events);
        const inserted = await this.insertRaw(em, events, resolved);
        await this.rollUp(em, events, resolved, inserted);
        return { stored: inserted.size, duplicates: events.length - inserted.size };
      });
    } catch (error) {
      // 23514: no partition for a row. Another worker dropped one this process thought it had; the
      // exporter's retry (the route answers 503) will create it again.
      if ((error as { driverError?: { code?: string } }).driverError?.code === "23514") this.store.forget();
      throw error;
    }
  }

  private async resolve(em: EntityManager, events: readonly UsageEvent[]): Promise<Map<UsageEvent, Resolved>> {
    const names = new Set<string>();
    for (const e of events) {
      if (e.plugin) names.add(e.plugin);
      if (e.skillName) names.add(e.skillName.split(":")[0]);
    }
    // Each skill with the version every one of our catalogs serves now: the latest, and each channel's.
    const catalogRows = (await em.query(
      `SELECT s.id, s.name, lv.version AS latest,
              COALESCE(json_object_agg(c.name, cv.version) FILTER (WHERE c.name IS NOT NULL), '{}') AS channels
         FROM skill s
         LEFT JOIN skill_version lv ON lv.id = s.latest_version_id
         LEFT JOIN skill_channel c ON c.skill_id = s.id
         LEFT JOIN skill_version cv ON cv.id = c.version_id
        WHERE s.name = ANY($1)
        GROUP BY s.id, s.name, lv.version`,
      [[...names]],
    )) as { id: string; name: string; latest: string | null; channels: Record<string, string> }[];
    const skills = new Map(catalogRows.map((s) => [s.name, s.id]));
    const served = new Map(catalogRows.map((s) => [s.id, s]));
    /**
     * The version a marketplace of ours serves for a skill now. Claude Code sends no plugin_loaded for
     * plugins it installs during a session (a new machine's first run), so then this is the best
     * account of what it installed: the catalog it just read.
     */
    const servedBy = (skillId: string, marketplace: string | null): string => {
      const row = served.get(skillId);
      if (!row || !marketplace) return "";
      if (marketplace === this.marketplaceName) return row.latest ?? "";
      return row.channels[marketplace.slice(this.marketplaceName.length + 1)] ?? "";
    };
    const sessions = [...new Set(events.map((e) => e.sessionId))];
    const earliest = events.reduce((min, e) => (e.day < min ? e.day : min), events[0].day);

    // Plugin versions per session: this batch first, then what earlier batches stored.
    const versions = new Map<string, string>();
    const stored = (await em.query(
      `SELECT DISTINCT ON (session_id, plugin, marketplace) session_id, plugin, marketplace, plugin_version
         FROM usage_event WHERE kind = 'plugin_loaded' AND session_id = ANY($1) AND day >= ($2::date - 2)
        ORDER BY session_id, plugin, marketplace, at DESC`,
      [sessions, earliest],
    )) as { session_id: string; plugin: string; marketplace: string | null; plugin_version: string | null }[];
    for (const row of stored) if (row.plugin_version) versions.set(sessionPlugin(row.session_id, row.plugin, row.marketplace ?? ""), row.plugin_version);
    for (const e of events) {
      if (e.kind === "plugin_loaded" && e.plugin && e.pluginVersion) versions.set(sessionPlugin(e.sessionId, e.plugin, e.marketplace ?? ""), e.pluginVersion);
    }

    const result = new Map<UsageEvent, Resolved>();
    const activations = new Map<string, Resolved>();
    const activate = (e: UsageEvent): Resolved => {
      const name = e.skillName!;
      if (e.skillSource === "plugin" || (e.plugin && e.marketplace)) {
        const skillId = this.isOurMarketplace(e.marketplace) && e.plugin ? skills.get(e.plugin) : undefined;
        if (skillId) {
          const loaded = versions.get(sessionPlugin(e.sessionId, e.plugin!, e.marketplace ?? ""));
          return { skillKey: skillId, skillId, version: loaded ?? servedBy(skillId, e.marketplace), unmanaged: null };
        }
      } else {
        const skillId = skills.get(name);
        if (skillId) return { skillKey: skillId, skillId, version: "", unmanaged: null };
      }
      const source = e.skillSource ?? "unknown";
      return {
        skillKey: `unmanaged:${source}:${e.plugin ?? ""}@${e.marketplace ?? ""}:${name}`,
        skillId: null,
        version: "",
        unmanaged: { name, source, plugin: e.plugin, marketplace: e.marketplace },
      };
    };
    for (const e of events) {
      if (e.kind !== "skill_activated") continue;
      const r = activate(e);
      result.set(e, r);
      activations.set(sessionSkill(e.sessionId, e.skillName!), r);
    }

    // A Skill tool result belongs to the activation of the same name in its session.
    const results = events.filter((e) => e.kind === "skill_result");
    const unmatched = results.filter((e) => !activations.has(sessionSkill(e.sessionId, e.skillName!)));
    if (unmatched.length > 0) {
      const earlier = (await em.query(
        `SELECT DISTINCT ON (session_id, skill_name) session_id, skill_name, skill_key, skill_id, version
           FROM usage_event WHERE kind = 'skill_activated' AND session_id = ANY($1) AND day >= ($2::date - 2)
          ORDER BY session_id, skill_name, at DESC`,
        [[...new Set(unmatched.map((e) => e.sessionId))], earliest],
      )) as { session_id: string; skill_name: string; skill_key: string; skill_id: string | null; version: string | null }[];
      for (const row of earlier) {
        activations.set(sessionSkill(row.session_id, row.skill_name), {
          skillKey: row.skill_key,
          skillId: row.skill_id,
          version: row.version ?? "",
          unmanaged: null,
        });
      }
    }
    for (const e of results) {
      const known = activations.get(sessionSkill(e.sessionId, e.skillName!));
      if (known) {
        result.set(e, known);
        continue;
      }
      // No activation seen: by name (`plugin:skill` names the plugin first).
      const skillId = skills.get(e.skillName!.split(":")[0]);
      result.set(
        e,
        skillId
          ? { skillKey: skillId, skillId, version: "", unmanaged: null }
          : { skillKey: `unmanaged:unknown:@:${e.skillName}`, skillId: null, version: "", unmanaged: null },
      );
    }
    return result;
  }

  /** Inserts every event once; answers the events that were new. */
  private async insertRaw(em: EntityManager, events: readonly UsageEvent[], resolved: Map<UsageEvent, Resolved>): Promise<Set<UsageEvent>> {
    // In key order, so concurrent batches with overlapping records (retries) take index locks alike.
    const ordered = [...events].sort((a, b) =>
      a.day !== b.day
        ? a.day < b.day
          ? -1
          : 1
        : a.sessionId !== b.sessionId
          ? a.sessionId < b.sessionId
            ? -1
            : 1
          : Number(BigInt(a.sequence) - BigInt(b.sequence)),
    );
    const column = <T>(pick: (e: UsageEvent) => T) => ordered.map(pick);
    const rows = (await em.query(
      `INSERT INTO usage_event (day, session_id, sequence, kind, at, team, user_hash, skill_name, skill_source, plugin, marketplace, plugin_version, success, skill_key, skill_id, version)
       SELECT * FROM unnest($1::date[], $2::text[], $3::bigint[], $4::text[], $5::timestamptz[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[],
                            $11::text[], $12::text[], $13::boolean[], $14::text[], $15::uuid[], $16::text[])
       ON CONFLICT DO NOTHING
       RETURNING day::text AS day, session_id, sequence::text AS sequence`,
      [
        column((e) => e.day),
        column((e) => e.sessionId),
        column((e) => e.sequence),
        column((e) => e.kind),
        column((e) => e.at.toISOString()),
        column((e) => e.team),
        column((e) => e.userHash),
        column((e) => e.skillName),
        column((e) => e.skillSource),
        column((e) => e.plugin),
        column((e) => e.marketplace),
        column((e) => e.pluginVersion),
        column((e) => e.success),
        column((e) => resolved.get(e)?.skillKey ?? null),
        column((e) => resolved.get(e)?.skillId ?? null),
        column((e) => resolved.get(e)?.version ?? null),
      ],
    )) as { day: string; session_id: string; sequence: string }[];
    const fresh = new Set(rows.map((r) => `${r.day}\u0000${r.session_id}\u0000${r.sequence}`));
    // A batch may repeat a record: only its first copy counts.
    const seen = new Set<string>();
    const inserted = new Set<UsageEvent>();
    for (const e of events) {
      const key = `${e.day}\u0000${e.sessionId}\u0000${e.sequence}`;
      if (fresh.has(key) && !seen.has(key)) inserted.add(e);
      seen.add(key);
    }
    return inserted;
  }

  private async rollUp(em: EntityManager, events: readonly UsageEvent[], resolved: Map<UsageEvent, Resolved>, inserted: Set<UsageEvent>): Promise<void> {
    const daily = new Map<
      string,
      { day: string; skillKey: string; skillId: string | null; version: string; team: string; invocations: number; successes: number; failures: number }
    >();
    const users = new Map<string, [string, string, string, string]>();
    const weekly = new Map<string, { week: string; skillKey: string; skillId: string | null; invocations: number }>();
    const teamSkills = new Map<string, { skillId: string; team: string; first: Date }>();
    const unmanaged = new Map<string, { name: string; source: string; plugin: string | null; marketplace: string | null; first: Date; last: Date }>();
    for (const e of events) {
      const r = resolved.get(e);
      if (!inserted.has(e) || !r) continue;
      const key = [e.day, r.skillKey, r.version, e.team].join("\u0000");
      const row = daily.get(key) ?? {
        day: e.day,
        skillKey: r.skillKey,
        skillId: r.skillId,
        version: r.version,
        team: e.team,
        invocations: 0,
        successes: 0,
        failures: 0,
      };
      if (e.kind === "skill_activated") row.invocations++;
      else if (e.success) row.successes++;
      else row.failures++;
      daily.set(key, row);
      if (e.kind === "skill_activated") {
        const week = weekStart(e.at);
        if (e.userHash) {
          const user = userKey(e.userHash);
          users.set([r.skillKey, week, e.team, user].join("\u0000"), [r.skillKey, week, e.team, user]);
        }
        const perWeek = weekly.get(`${week}\u0000${r.skillKey}`) ?? { week, skillKey: r.skillKey, skillId: r.skillId, invocations: 0 };
        perWeek.invocations++;
        weekly.set(`${week}\u0000${r.skillKey}`, perWeek);
        if (r.skillId) {
          const seen = teamSkills.get(`${r.skillId}\u0000${e.team}`);
          if (!seen || e.at < seen.first) teamSkills.set(`${r.skillId}\u0000${e.team}`, { skillId: r.skillId, team: e.team, first: e.at });
        }
      }
      if (e.kind === "skill_activated" && r.unmanaged) {
        const seen = unmanaged.get(r.skillKey);
        unmanaged.set(r.skillKey, {
          ...r.unmanaged,
          first: seen && seen.first < e.at ? seen.first : e.at,
          last: seen && seen.last > e.at ? seen.last : e.at,
        });
      }
    }
    // Rows in key order, so concurrent batches lock shared rollup rows in the same order (no deadlock).
    const byKey = <T>(map: Map<string, T>): T[] => [...map.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
    if (daily.size > 0) {
      const rows = byKey(daily);
      await em.query(
        `INSERT INTO usage_daily (day, skill_key, skill_id, version, team, invocations, successes, failures)
         SELECT * FROM unnest($1::date[], $2::text[], $3::uuid[], $4::text[], $5::text[], $6::int[], $7::int[], $8::int[])
         ON CONFLICT (day, skill_key, version, team) DO UPDATE SET
           invocations = usage_daily.invocations + EXCLUDED.invocations,
           successes = usage_daily.successes + EXCLUDED.successes,
           failures = usage_daily.failures + EXCLUDED.failures`,
        [
          rows.map((r) => r.day),
          rows.map((r) => r.skillKey),
          rows.map((r) => r.skillId),
          rows.map((r) => r.version),
          rows.map((r) => r.team),
          rows.map((r) => r.invocations),
          rows.map((r) => r.successes),
          rows.map((r) => r.failures),
        ],
      );
    }
    if (weekly.size > 0) {
      const rows = byKey(weekly);
      await em.query(
        `INSERT INTO usage_weekly (week, skill_key, skill_id, invocations)
         SELECT * FROM unnest($1::date[], $2::text[], $3::uuid[], $4::int[])
         ON CONFLICT (week, skill_key) DO UPDATE SET invocations = usage_weekly.invocations + EXCLUDED.invocations`,
        [rows.map((r) => r.week), rows.map((r) => r.skillKey), rows.map((r) => r.skillId), rows.map((r) => r.invocations)],
      );
    }
    if (teamSkills.size > 0) {
      const rows = byKey(teamSkills);
      await em.query(
        `INSERT INTO usage_team_skill (skill_id, team, first_invoked_at)
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::timestamptz[])
         ON CONFLICT (skill_id, team) DO UPDATE SET first_invoked_at = EXCLUDED.first_invoked_at
         WHERE EXCLUDED.first_invoked_at < usage_team_skill.first_invoked_at`,
        [rows.map((r) => r.skillId), rows.map((r) => r.team), rows.map((r) => r.first.toISOString())],
      );
    }
    if (users.size > 0) {
      const rows = byKey(users);
      await em.query(
        `INSERT INTO usage_weekly_user (skill_key, week, team, user_hash)
         SELECT * FROM unnest($1::text[], $2::date[], $3::text[], $4::bigint[]) ON CONFLICT DO NOTHING`,
        [0, 1, 2, 3].map((i) => rows.map((r) => r[i])),
      );
    }
    if (unmanaged.size > 0) {
      const rows = [...unmanaged.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      await em.query(
        `INSERT INTO unmanaged_skill (key, name, source, plugin, marketplace, first_seen_at, last_seen_at)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::timestamptz[])
         ON CONFLICT (key) DO UPDATE SET
           first_seen_at = LEAST(unmanaged_skill.first_seen_at, EXCLUDED.first_seen_at),
           last_seen_at = GREATEST(unmanaged_skill.last_seen_at, EXCLUDED.last_seen_at)`,
        [
          rows.map(([k]) => k),
          rows.map(([, u]) => u.name),
          rows.map(([, u]) => u.source),
          rows.map(([, u]) => u.plugin),
          rows.map(([, u]) => u.marketplace),
          rows.map(([, u]) => u.first.toISOString()),
          rows.map(([, u]) => u.last.toISOString()),
        ],
      );
    }
  }
}
