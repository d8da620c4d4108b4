import { useMutation, useQuery } from "@apollo/client/react";
import { ActionIcon, Alert, Badge, Button, Code, Group, Paper, Stack, Table, Text, Textarea, Tooltip } from "@mantine/core";
import { IconCheck, IconLock, IconPlus, IconTrash } from "@tabler/icons-react";
import { useEffect, useState } from "react";
import { useSession } from "../../../auth/session";
import { ActionError } from "../../../components/ErrorMessage";
import { EmptyState, QueryState } from "../../../components/QueryState";
import { RelativeTime } from "../../../components/RelativeTime";
import { useWideScreen } from "../../../components/useWideScreen";
import { DistributionRuntimePolicyDocument, DistributionSetRuntimePolicyDocument, type DistributionPolicyFragment } from "../../../gql/graphql";
import { describeError, type DescribedError } from "../../../lib/errors";
import { formatBytes } from "../../reviews/manifest-facts";
import {
  blamedField,
  draftChanges,
  MAX_LENGTH,
  MAX_RULES,
  rowState,
  RULE_FIELDS,
  rulesOf,
  startDraft,
  type DraftRule,
  type PolicyRule,
  type RowState,
  type RuleField,
} from "./policy-draft";

type Policy = DistributionPolicyFragment;

const FIELD_LABEL: Record<RuleField, string> = { tools: "Tools", pattern: "Pattern", reason: "Reason" };

/** The runtime policy in force: admins edit its rules (each save is a new version), everyone else reads them. */
export function RuntimePolicyPanel() {
  const session = useSession();
  const { data, error, refetch } = useQuery(DistributionRuntimePolicyDocument);
  return (
    <QueryState data={data} error={error} refetch={() => void refetch()}>
      {({ runtimePolicy }) => (
        <Stack gap="md" data-testid="runtime-policy" data-version={runtimePolicy.version}>
          <PolicyFacts policy={runtimePolicy} />
          <Text size="sm" c="dimmed" maw={900}>
            Before every tool call, Claude Code runs the policy hook: a call whose tool name matches a rule’s <b>tools</b> and whose subject (a Bash command, an
            edited file’s path, a fetched URL) matches its <b>pattern</b> is blocked, and Claude is told the <b>reason</b>. Both are POSIX extended regular
            expressions, as <Code>grep -E</Code> reads them.
          </Text>
          {session.isAdmin ? (
            <PolicyEditor policy={runtimePolicy} />
          ) : (
            <>
              <Text size="sm" c="dimmed" data-testid="policy-read-only">
                <IconLock size={12} style={{ verticalAlign: "-1px" }} /> Only admins edit the runtime policy.
              </Text>
              <ReadOnlyRules rules={runtimePolicy.rules} />
            </>
          )}
        </Stack>
      )}
    </QueryState>
  );
}

function PolicyFacts({ policy }: { policy: Policy }) {
  return (
    <Group gap="md" style={{ rowGap: 4 }} wrap="wrap">
      <Badge size="lg" variant="light" tt="none" data-testid="policy-version">
        version {policy.version}
      </Badge>
      <Text size="sm" data-testid="policy-saved-by">
        {policy.createdBy ? (
          <>
            saved by <b>{policy.createdBy.handle}</b> <RelativeTime iso={policy.createdAt} />
          </>
        ) : (
          <>
            Skillyard’s defaults, since <RelativeTime iso={policy.createdAt} />
          </>
        )}
      </Text>
      <Text size="sm" c="dimmed">
        shipped as the policy plugin{" "}
        <Code title={policy.plugin.sha256} data-testid="policy-plugin-sha">
          {policy.plugin.sha256.slice(0, 12)}
        </Code>{" "}
        ({formatBytes(policy.plugin.size)})
      </Text>
    </Group>
  );
}

/** The rules as saved: a table on wide screens, one card per rule on phones. */
function ReadOnlyRules({ rules }: { rules: readonly PolicyRule[] }) {
  const narrow = !useWideScreen("48em");
  if (rules.length === 0) return <EmptyState title="No rules">The policy blocks nothing.</EmptyState>;
  const value = (rule: PolicyRule, field: RuleField) =>
    field === "reason" ? (
      <Text size="sm" data-testid="policy-rule-reason">
        {rule.reason}
      </Text>
    ) : (
      <Code style={{ wordBreak: "break-all" }} data-testid={`policy-rule-${field}`}>
        {rule[field]}
      </Code>
    );
  if (narrow) {
    return (
      <Stack gap="xs" data-testid="policy-rules">
        {rules.map((rule, index) => (
          <Paper key={index} withBorder p="sm" data-testid="policy-rule" data-index={index}>
            <Stack gap={6}>
              <Text size="sm" fw={600}>
                Rule {index + 1}
              </Text>
              {RULE_FIELDS.map((field) => (
                <Stack key={field} gap={2}>
                  <Text size="xs" c="dimmed">
                    {FIELD_LABEL[field]}
                  </Text>
                  {value(rule, field)}
                </Stack>
              ))}
            </Stack>
          </Paper>
        ))}
      </Stack>
    );
  }
  return (
    <Table.ScrollContainer minWidth={720}>
      <Table verticalSpacing="sm" data-testid="policy-rules">
        <RulesHead editable={false} />
        <Table.Tbody>
          {rules.map((rule, index) => (
            <Table.Tr key={index} data-testid="policy-rule" data-index={index}>
              <Table.Td>
                <Text size="sm" c="dimmed">
                  {index + 1}
                </Text>
              </Table.Td>
              {RULE_FIELDS.map((field) => (
                <Table.Td key={field}>{value(rule, field)}</Table.Td>
              ))}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

function RulesHead({ editable }: { editable: boolean }) {
  return (
    <Table.Thead>
      <Table.Tr>
        <Table.Th w={56}>#</Table.Th>
        <Table.Th w="24%">Tools</Table.Th>
        <Table.Th w="38%">Pattern</Table.Th>
        <Table.Th>Reason</Table.Th>
        {editable && <Table.Th w={48} />}
      </Table.Tr>
    </Table.Thead>
  );
}

/** What the server refused at the last save, pinned to the row it named (by key, so it follows the row). */
interface Refusal {
  error: DescribedError;
  blamed: { key: number; field: RuleField } | null;
}

function PolicyEditor({ policy }: { policy: Policy }) {
  // The rows as edited; null until the first edit (and again after saving or discarding).
  const [draft, setDraft] = useState<DraftRule[] | null>(null);
  const [refusal, setRefusal] = useState<Refusal | null>(null);
  const [savedVersion, setSavedVersion] = useState<number | null>(null);
  const [focusKey, setFocusKey] = useState<number | null>(null);
  const narrow = !useWideScreen("48em");
  const [save, { loading }] = useMutation(DistributionSetRuntimePolicyDocument, {
    update: (cache, { data }) => {
      if (data) cache.writeQuery({ query: DistributionRuntimePolicyDocument, data: { runtimePolicy: data.setRuntimePolicy } });
    },
  });

  const rows = draft ?? startDraft(policy.rules);
  const changes = draftChanges(rows, policy.rules);
  const dirty = draft !== null && changes.dirty;

  // Leaving the page (reload, closing the tab) with unsaved rules asks first.
  useEffect(() => {
    if (!dirty) return;
    const warn = (event: BeforeUnloadEvent) => event.preventDefault();
    window.addEventListener("beforeunload", warn);
    return () => window.removeEventListener("beforeunload", warn);
  }, [dirty]);

  const edit = (change: (rows: DraftRule[]) => DraftRule[]) => {
    setSavedVersion(null);
    setDraft((current) => change(current ?? startDraft(policy.rules)));
  };

  const setField = (key: number, field: RuleField, value: string) => {
    if (refusal?.blamed?.key === key && refusal.blamed.field === field) setRefusal(null);
    edit((current) => current.map((row) => (row.key === key ? { ...row, [field]: value } : row)));
  };

  const addRule = () => {
    const key = Math.max(-1, ...rows.map((row) => row.key)) + 1;
    setFocusKey(key);
    edit((current) => [...current, { key, origin: null, tools: "^Bash$", pattern: "", reason: "" }]);
  };

  const removeRule = (key: number) => {
    if (refusal?.blamed?.key === key) setRefusal(null);
    edit((current) => current.filter((row) => row.key !== key));
  };

  const discard = () => {
    setDraft(null);
    setRefusal(null);
    setFocusKey(null);
  };

  const editableRules = (layout: "row" | "card") =>
    rows.map((row, index) => (
      <EditableRule
        key={row.key}
        layout={layout}
        row={row}
        index={index}
        state={rowState(row, policy.rules)}
        blamed={refusal?.blamed?.key === row.key ? { field: refusal.blamed.field, message: refusal.error.message } : null}
        autoFocus={row.key === focusKey}
        onChange={(field, value) => setField(row.key, field, value)}
        onRemove={() => removeRule(row.key)}
      />
    ));

  async function submit() {
    setRefusal(null);
    try {
      const result = await save({ variables: { input: { rules: rulesOf(rows) } } });
      if (result.data) {
        setDraft(null);
        setFocusKey(null);
        setSavedVersion(result.data.setRuntimePolicy.version);
      }
    } catch (error) {
      const described = describeError(error);
      const blamed = blamedField(described.argument);
      const row = blamed ? rows[blamed.index] : undefined;
      setRefusal({ error: described, blamed: blamed && row ? { key: row.key, field: blamed.field } : null });
    }
  }

  return (
    <Stack gap="sm">
      {dirty ? (
        <Paper withBorder p="sm" bg="var(--mantine-color-yellow-light)" data-testid="policy-unsaved">
          <Group justify="space-between" gap="sm" wrap="wrap">
            <Stack gap={0}>
              <Text size="sm" fw={600}>
                Unsaved changes
              </Text>
              <Text size="sm" data-testid="policy-unsaved-summary">
                {describeChanges(changes)}. Saving makes version {policy.version + 1}.
              </Text>
            </Stack>
            <Group gap="xs">
              <Button variant="default" onClick={discard} disabled={loading} data-testid="policy-discard">
                Discard changes
              </Button>
              <Button onClick={() => void submit()} loading={loading} data-testid="policy-save">
                Save as version {policy.version + 1}
              </Button>
            </Group>
          </Group>
        </Paper>
      ) : (
        savedVersion === policy.version && (
          <Alert color="green" icon={<IconCheck size={18} />} withCloseButton onClose={() => setSavedVersion(null)} data-testid="policy-saved">
            Saved as version {savedVersion}. Machines pick it up with the policy plugin’s next update.
          </Alert>
        )
      )}
      {refusal && <ActionError title="Not saved" error={refusal.error} testId="policy-error" />}

      {narrow ? (
        <Stack gap="xs" data-testid="policy-rules">
          {editableRules("card")}
        </Stack>
      ) : (
        <Table.ScrollContainer minWidth={860}>
          <Table verticalSpacing="xs" data-testid="policy-rules">
            <RulesHead editable />
            <Table.Tbody>{editableRules("row")}</Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {rows.length === 0 && (
        <Text size="sm" c="dimmed" data-testid="policy-empty">
          No rules: saved like this, the policy blocks nothing.
        </Text>
      )}
      <Group gap="sm">
        <Button variant="light" leftSection={<IconPlus size={16} />} onClick={addRule} disabled={rows.length >= MAX_RULES} data-testid="policy-add">
          Add rule
        </Button>
        {rows.length >= MAX_RULES && (
          <Text size="xs" c="dimmed">
            A policy has at most {MAX_RULES} rules.
          </Text>
        )}
      </Group>
    </Stack>
  );
}

function describeChanges({ added, edited, removed }: { added: number; edited: number; removed: number }): string {
  const parts = [added > 0 && `${added} ${added === 1 ? "rule" : "rules"} added`, edited > 0 && `${edited} edited`, removed > 0 && `${removed} removed`].filter(
    (part): part is string => typeof part === "string",
  );
  return parts.join(", ");
}

const STATE_BADGE: Record<Exclude<RowState, "saved">, { label: string; color: string }> = {
  new: { label: "new", color: "teal" },
  edited: { label: "edited", color: "yellow" },
};

/** One rule being edited: a table row on wide screens, a card with labelled fields on phones. */
function EditableRule({
  layout,
  row,
  index,
  state,
  blamed,
  autoFocus,
  onChange,
  onRemove,
}: {
  layout: "row" | "card";
  row: DraftRule;
  index: number;
  state: RowState;
  blamed: { field: RuleField; message: string } | null;
  autoFocus: boolean;
  onChange: (field: RuleField, value: string) => void;
  onRemove: () => void;
}) {
  const badge = state === "saved" ? null : STATE_BADGE[state];
  const monospace = (field: RuleField) => field !== "reason";
  // Wrapping text areas show a long expression whole; a rule is one line, so Enter adds none.
  const input = (field: RuleField) => (
    <Textarea
      size="xs"
      autosize
      minRows={1}
      label={layout === "card" ? FIELD_LABEL[field] : undefined}
      value={row[field]}
      onChange={(event) => onChange(field, event.currentTarget.value)}
      onKeyDown={(event) => event.key === "Enter" && event.preventDefault()}
      error={blamed?.field === field ? blamed.message : null}
      maxLength={MAX_LENGTH[field]}
      aria-label={`Rule ${index + 1}: ${FIELD_LABEL[field].toLowerCase()}`}
      autoFocus={autoFocus && field === "pattern"}
      styles={{
        input: { fontFamily: monospace(field) ? "var(--mantine-font-family-monospace)" : undefined, wordBreak: monospace(field) ? "break-all" : undefined },
      }}
      data-testid={`policy-rule-${field}`}
    />
  );
  const marker = {
    "data-testid": "policy-rule",
    "data-index": index,
    "data-state": state,
    "data-invalid": blamed ? blamed.field : undefined,
    bg: blamed ? "var(--mantine-color-red-light)" : undefined,
  };
  const stateBadge = badge && (
    <Badge size="xs" variant="light" color={badge.color}>
      {badge.label}
    </Badge>
  );
  const remove = (
    <Tooltip label={`Remove rule ${index + 1}`} withArrow>
      <ActionIcon variant="subtle" color="red" onClick={onRemove} aria-label={`Remove rule ${index + 1}`} data-testid="policy-rule-remove">
        <IconTrash size={16} />
      </ActionIcon>
    </Tooltip>
  );
  if (layout === "card") {
    return (
      <Paper withBorder p="sm" {...marker}>
        <Stack gap="xs">
          <Group justify="space-between" gap="xs">
            <Group gap="xs">
              <Text size="sm" fw={600}>
                Rule {index + 1}
              </Text>
              {stateBadge}
            </Group>
            {remove}
          </Group>
          {RULE_FIELDS.map((field) => (
            <div key={field}>{input(field)}</div>
          ))}
        </Stack>
      </Paper>
    );
  }
  return (
    <Table.Tr {...marker} style={{ verticalAlign: "top" }}>
      <Table.Td>
        <Stack gap={2} pt={4}>
          <Text size="sm" c="dimmed">
            {index + 1}
          </Text>
          {stateBadge}
        </Stack>
      </Table.Td>
      {RULE_FIELDS.map((field) => (
        <Table.Td key={field}>{input(field)}</Table.Td>
      ))}
      <Table.Td>{remove}</Table.Td>
    </Table.Tr>
  );
}
