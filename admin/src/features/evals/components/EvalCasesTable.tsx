import { Badge, Button, Card, Group, List, Stack, Table, Text } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { IconChevronDown, IconChevronRight } from "@tabler/icons-react";
import { Fragment, useId } from "react";
import { useWideScreen } from "../../../components/useWideScreen";
import type { EvalCaseFieldsFragment } from "../../../gql/graphql";
import { formatDuration } from "../../runs/components/format";
import { caseProblems, formatScore, sortCasesForReading } from "../eval-format";
import { EvalCaseDetail } from "./EvalCaseDetail";

export type EvalCase = EvalCaseFieldsFragment;

function resultOf(evalCase: EvalCase): { label: string; color: string } {
  if (!evalCase.scored) return { label: "not scored", color: "gray" };
  return evalCase.passed ? { label: "passed", color: "green" } : { label: "failed", color: "red" };
}

const rowProps = (evalCase: EvalCase) => ({
  "data-testid": "eval-case-row",
  "data-case": evalCase.name,
  "data-index": evalCase.index,
  "data-score": evalCase.score ?? "",
  "data-passed": evalCase.passed,
  "data-scored": evalCase.scored,
});

function CaseName({ evalCase }: { evalCase: EvalCase }) {
  return (
    <Stack gap={2} style={{ minWidth: 0 }}>
      <Text size="sm" ff="monospace" fw={600} style={{ overflowWrap: "anywhere" }} data-testid="eval-case-name">
        {evalCase.name}
      </Text>
      <Group gap={4}>
        {evalCase.rubric !== null && (
          <Badge size="xs" variant="light" color="blue" tt="none">
            rubric
          </Badge>
        )}
        {evalCase.weight !== 1 && (
          <Badge size="xs" variant="outline" color="gray" tt="none">
            weight {evalCase.weight}
          </Badge>
        )}
      </Group>
    </Stack>
  );
}

function Result({ evalCase }: { evalCase: EvalCase }) {
  const result = resultOf(evalCase);
  return (
    <Group gap={6} wrap="nowrap">
      <Text size="sm" fw={700} ff="monospace" data-testid="eval-case-score">
        {formatScore(evalCase.score)}
      </Text>
      <Badge variant="light" color={result.color} miw="max-content" data-testid="eval-case-result">
        {result.label}
      </Badge>
    </Group>
  );
}

function Problems({ evalCase }: { evalCase: EvalCase }) {
  const problems = caseProblems(evalCase);
  if (problems.length === 0) {
    return (
      <Text size="sm" c="dimmed">
        —
      </Text>
    );
  }
  return (
    <List size="sm" spacing={2} data-testid="eval-case-problems">
      {problems.map((problem, index) => (
        <List.Item key={index} style={{ overflowWrap: "anywhere" }}>
          {problem}
        </List.Item>
      ))}
    </List>
  );
}

/** "Show output": reveals the case's input, output, checks and the judge's verdict (keyboard: Enter/Space). */
function DetailToggle({ name, opened, onToggle, controls }: { name: string; opened: boolean; onToggle: () => void; controls: string }) {
  return (
    <Button
      variant="subtle"
      size="compact-sm"
      leftSection={opened ? <IconChevronDown size={14} /> : <IconChevronRight size={14} />}
      onClick={onToggle}
      aria-expanded={opened}
      aria-controls={controls}
      aria-label={`${opened ? "Hide" : "Show"} the output of ${name}`}
      data-testid="eval-case-toggle"
    >
      {opened ? "Hide output" : "Show output"}
    </Button>
  );
}

function CaseRow({ evalCase, columns }: { evalCase: EvalCase; columns: number }) {
  const [opened, { toggle }] = useDisclosure(false);
  const detailId = useId();
  return (
    <Fragment>
      <Table.Tr {...rowProps(evalCase)} data-expanded={opened}>
        <Table.Td>
          <Stack gap={4} align="flex-start">
            <CaseName evalCase={evalCase} />
            <DetailToggle name={evalCase.name} opened={opened} onToggle={toggle} controls={detailId} />
          </Stack>
        </Table.Td>
        <Table.Td style={{ whiteSpace: "nowrap" }}>
          <Result evalCase={evalCase} />
        </Table.Td>
        <Table.Td>
          <Problems evalCase={evalCase} />
        </Table.Td>
        <Table.Td ta="right" style={{ whiteSpace: "nowrap" }}>
          <Text size="sm">{evalCase.durationMs === null ? "—" : formatDuration(evalCase.durationMs)}</Text>
        </Table.Td>
      </Table.Tr>
      <Table.Tr id={detailId} hidden={!opened} data-testid="eval-case-detail-row" data-case={evalCase.name}>
        <Table.Td colSpan={columns} bg="var(--mantine-color-gray-0)">
          {opened && <EvalCaseDetail evalCase={evalCase} />}
        </Table.Td>
      </Table.Tr>
    </Fragment>
  );
}

function CaseCard({ evalCase }: { evalCase: EvalCase }) {
  const [opened, { toggle }] = useDisclosure(false);
  const detailId = useId();
  return (
    <Card withBorder padding="sm" {...rowProps(evalCase)} data-expanded={opened}>
      <Stack gap="xs">
        <Group justify="space-between" align="flex-start" gap="xs" wrap="nowrap">
          <CaseName evalCase={evalCase} />
          <Result evalCase={evalCase} />
        </Group>
        {caseProblems(evalCase).length > 0 && <Problems evalCase={evalCase} />}
        <Group justify="space-between" gap="xs">
          <Text size="xs" c="dimmed">
            {evalCase.durationMs === null ? "did not run" : `took ${formatDuration(evalCase.durationMs)}`}
          </Text>
          <DetailToggle name={evalCase.name} opened={opened} onToggle={toggle} controls={detailId} />
        </Group>
        <div id={detailId} hidden={!opened}>
          {opened && <EvalCaseDetail evalCase={evalCase} />}
        </div>
      </Stack>
    </Card>
  );
}

/**
 * An eval run's cases: score and result, why a case lost points (failed checks, the judge's
 * reason), its duration, and its output on request. Failing and unscored cases come first. A table
 * on wide screens, one card per case on phones.
 */
export function EvalCasesTable({ cases }: { cases: readonly EvalCase[] }) {
  const wide = useWideScreen("62em");
  const sorted = sortCasesForReading(cases);
  if (!wide) {
    return (
      <Stack gap="xs" data-testid="eval-cases">
        {sorted.map((evalCase) => (
          <CaseCard key={evalCase.index} evalCase={evalCase} />
        ))}
      </Stack>
    );
  }
  return (
    <Table.ScrollContainer minWidth={600}>
      <Table verticalSpacing="xs" data-testid="eval-cases">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Case</Table.Th>
            <Table.Th w={170}>Score</Table.Th>
            <Table.Th>Why it lost points</Table.Th>
            <Table.Th w={90} ta="right">
              Duration
            </Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {sorted.map((evalCase) => (
            <CaseRow key={evalCase.index} evalCase={evalCase} columns={4} />
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
