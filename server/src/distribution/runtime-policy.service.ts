import { execFile } from "node:child_process";
import { SkillyardError } from "@skillyard/core";
import type { DataSource, EntityManager } from "typeorm";
import { AuditAction } from "../audit/audit-event.entity";
import type { AuditService } from "../audit/audit.service";
import type { Logger } from "../common/logger";
import type { BlobStore } from "../packages/blob-store";
import type { CatalogPlugin } from "./catalog-format";
import { DEFAULT_POLICY_RULES, policyPluginArchive, policyPluginVersion } from "./policy-plugin";
import { RuntimePolicy, type RuntimePolicyRule } from "./runtime-policy.entity";

export const MAX_POLICY_RULES = 100;
const MAX_PATTERN_LENGTH = 500;
const MAX_REASON_LENGTH = 300;
/** Tabs and newlines separate rules.tsv's fields and lines; no control character has a use in a rule. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Whether POSIX `grep -E` (the engine the hook runs) accepts `pattern`: it exits 2 on a bad expression.
 * It reads /dev/null, not its stdin: grep refuses a bad expression before reading anything, and a
 * write to the stdin of a process that already exited fails with EPIPE, which would crash the server.
 */
function grepAccepts(pattern: string): Promise<boolean> {
  return new Promise((resolve) => {
    execFile("grep", ["-E", "-e", pattern, "/dev/null"], { timeout: 5000 }, (error) => {
      // execFile's error carries the exit status in `code`: 1 is "no match" (a valid expression).
      resolve(!error || (error as unknown as { code: unknown }).code === 1);
    });
  });
}

/**
 * The organisation's runtime policy: what the PreToolUse hook in generated managed settings blocks.
 * Admins edit it; every edit is a new, audited version whose plugin archive (`<marketplace>-policy`)
 * is built in the same transaction, so the catalogs list the version in force with its digest.
 */
export class RuntimePolicyService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly blobStore: BlobStore,
    private readonly audit: AuditService,
    private readonly logger: Logger,
    /** The plugin's name in every catalog: `<MARKETPLACE_NAME>-policy` (publishing refuses it as a skill name). */
    readonly pluginName: string,
  ) {}

  /** At start-up: installs the default policy as version 1 on a new installation, and restores a lost archive. */
  async init(): Promise<void> {
    await this.dataSource.transaction(async (em) => {
      await em.query("LOCK TABLE runtime_policy IN SHARE ROW EXCLUSIVE MODE");
      if ((await em.getRepository(RuntimePolicy).count()) === 0) await this.append(em, DEFAULT_POLICY_RULES, null);
    });
    const current = await this.current(this.dataSource.manager);
    if (!(await this.blobStore.has(current.pluginSha256, "zip"))) {
      const stored = await this.blobStore.putBuffer(await policyPluginArchive(this.pluginName, current.version, current.rules), "zip");
      if (stored.sha256 !== current.pluginSha256) {
        this.logger.error("the runtime policy's lost plugin archive rebuilt to other bytes; save the policy again to publish a new version", {
          version: current.version,
        });
      }
    }
  }

  /** The version in force. */
  async current(em: EntityManager): Promise<RuntimePolicy> {
    const [newest] = await em.getRepository(RuntimePolicy).find({ order: { version: "DESC" }, take: 1 });
    if (!newest) throw new Error("No runtime policy: RuntimePolicyService.init() runs at start-up");
    return newest;
  }

  /**
   * The size of `sha256` when it is the archive of any policy version (older ones stay downloadable
   * for machines not yet updated), else null.
   */
  async policyArchiveSize(sha256: string): Promise<number | null> {
    const policy = await this.dataSource.getRepository(RuntimePolicy).findOne({ where: { pluginSha256: sha256 }, select: { version: true, pluginSize: true } });
    return policy?.pluginSize ?? null;
  }

  /** Replaces the rules with a new version; answers it. */
  async set(actorId: string, rules: readonly RuntimePolicyRule[]): Promise<RuntimePolicy> {
    const clean = await validateRules(rules);
    return this.dataSource.transaction(async (em) => {
      // One writer at a time, so versions are consecutive and the newest is the one saved last.
      await em.query("LOCK TABLE runtime_policy IN SHARE ROW EXCLUSIVE MODE");
      const before = await this.current(em);
      const saved = await this.append(em, clean, actorId);
      await this.audit.record(em, {
        actorId,
        action: AuditAction.RUNTIME_POLICY_SET,
        targetType: "RuntimePolicy",
        targetId: String(saved.version),
        before: { version: before.version, rules: before.rules },
        after: { version: saved.version, rules: saved.rules, pluginSha256: saved.pluginSha256 },
      });
      return saved;
    });
  }

  /** The policy plugin as a catalog lists it. */
  async catalogEntry(em: EntityManager, pluginUrl: (sha256: string) => string): Promise<CatalogPlugin> {
    const current = await this.current(em);
    return {
      name: this.pluginName,
      version: policyPluginVersion(current.version),
      description: `The organisation's runtime policy (version ${current.version}): blocks the tool calls it forbids. Enabled by managed settings.`,
      category: "policy",
      tags: ["policy"],
      author: { name: "Skillyard" },
      source: { source: "archive", url: pluginUrl(current.pluginSha256), sha256: current.pluginSha256 },
    };
  }

  private async append(em: EntityManager, rules: readonly RuntimePolicyRule[], actorId: string | null): Promise<RuntimePolicy> {
    const [{ next }] = (await em.query(`SELECT COALESCE(MAX(version), 0) + 1 AS next FROM runtime_policy`)) as { next: number }[];
    const stored = await this.blobStore.putBuffer(await policyPluginArchive(this.pluginName, next, rules), "zip");
    await em
      .getRepository(RuntimePolicy)
      .insert({ version: next, rules: [...rules], pluginSha256: stored.sha256, pluginSize: stored.size, createdById: actorId });
    return em.getRepository(RuntimePolicy).findOneByOrFail({ version: next });
  }
}

/** Checks every rule (BAD_USER_INPUT naming the rule and field) and answers them trimmed. */
export async function validateRules(rules: readonly RuntimePolicyRule[]): Promise<RuntimePolicyRule[]> {
  if (rules.length > MAX_POLICY_RULES) {
    throw new SkillyardError("BAD_USER_INPUT", `A runtime policy has at most ${MAX_POLICY_RULES} rules.`, { argument: "rules" });
  }
  const clean: RuntimePolicyRule[] = [];
  for (const [index, rule] of rules.entries()) {
    const fix = (field: keyof RuntimePolicyRule, max: number): string => {
      const value = rule[field].trim();
      const where = `Rule ${index + 1}'s ${field}`;
      const problem =
        value === ""
          ? `${where} is empty.`
          : value.length > max
            ? `${where} is over ${max} characters.`
            : CONTROL.test(value)
              ? `${where} contains a tab, newline or other control character.`
              : null;
      if (problem) throw new SkillyardError("BAD_USER_INPUT", problem, { argument: `rules.${index}.${field}` });
      return value;
    };
    const cleaned = { tools: fix("tools", MAX_PATTERN_LENGTH), pattern: fix("pattern", MAX_PATTERN_LENGTH), reason: fix("reason", MAX_REASON_LENGTH) };
    for (const field of ["tools", "pattern"] as const) {
      if (!(await grepAccepts(cleaned[field]))) {
        throw new SkillyardError("BAD_USER_INPUT", `Rule ${index + 1}'s ${field} is not a POSIX extended regular expression (grep -E refuses it).`, {
          argument: `rules.${index}.${field}`,
        });
      }
    }
    clean.push(cleaned);
  }
  return clean;
}
