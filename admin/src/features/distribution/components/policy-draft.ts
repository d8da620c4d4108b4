import type { DistributionPolicyFragment } from "../../../gql/graphql";

export type PolicyRule = Pick<DistributionPolicyFragment["rules"][number], "tools" | "pattern" | "reason">;
export const RULE_FIELDS = ["tools", "pattern", "reason"] as const;
export type RuleField = (typeof RULE_FIELDS)[number];

/** The server's limits (it checks them too, naming the rule and field). */
export const MAX_RULES = 100;
export const MAX_LENGTH: Record<RuleField, number> = { tools: 500, pattern: 500, reason: 300 };

/** A row of the editor: a rule as typed, with a stable key and the saved rule it started from (null for a new one). */
export interface DraftRule extends PolicyRule {
  key: number;
  origin: number | null;
}

/** The saved rules as editor rows, each keyed by and remembering its place. */
export function startDraft(rules: readonly PolicyRule[]): DraftRule[] {
  return rules.map((rule, index) => ({ key: index, origin: index, tools: rule.tools, pattern: rule.pattern, reason: rule.reason }));
}

const same = (a: PolicyRule, b: PolicyRule) => a.tools === b.tools && a.pattern === b.pattern && a.reason === b.reason;

/** The rules to send: exactly the rows, in order. */
export function rulesOf(rows: readonly DraftRule[]): PolicyRule[] {
  return rows.map(({ tools, pattern, reason }) => ({ tools, pattern, reason }));
}

export type RowState = "new" | "edited" | "saved";

export function rowState(row: DraftRule, saved: readonly PolicyRule[]): RowState {
  const original = row.origin === null ? undefined : saved[row.origin];
  if (!original) return "new";
  return same(row, original) ? "saved" : "edited";
}

export interface DraftChanges {
  added: number;
  edited: number;
  removed: number;
  /** Whether saving would change anything: another order or content than the saved rules. */
  dirty: boolean;
}

export function draftChanges(rows: readonly DraftRule[], saved: readonly PolicyRule[]): DraftChanges {
  const states = rows.map((row) => rowState(row, saved));
  const kept = new Set(rows.flatMap((row) => (row.origin === null ? [] : [row.origin])));
  return {
    added: states.filter((state) => state === "new").length,
    edited: states.filter((state) => state === "edited").length,
    removed: saved.filter((_, index) => !kept.has(index)).length,
    dirty:
      rows.length !== saved.length ||
      rows.some((row, index) => {
        const original = saved[index];
        return !original || !same(row, original);
      }),
  };
}

/** The rule and field an error's `extensions.argument` names (`rules.2.pattern`), if it names one. */
export function blamedField(argument: string | null): { index: number; field: RuleField } | null {
  const match = /^rules\.(\d+)\.(tools|pattern|reason)$/.exec(argument ?? "");
  if (!match) return null;
  const field = RULE_FIELDS.find((f) => f === match[2]);
  return field ? { index: Number(match[1]), field } : null;
}
