import { Badge, Code, Spoiler, Table, Text, type MantineColor } from "@mantine/core";
import type { TestCaseFieldsFragment } from "../../../gql/graphql";
import { formatDuration } from "./format";

export type TestCase = TestCaseFieldsFragment;

const CASE_ORDER: Record<string, number> = { failed: 0, error: 0, skipped: 1, passed: 2 };
const CASE_COLOR: Record<string, MantineColor> = { failed: "red", error: "red", skipped: "gray", passed: "green" };

/** Failures first (what a reader came for), then skipped, then passed; report order within each. */
export function sortFailuresFirst(cases: TestCase[]): TestCase[] {
  return cases
    .map((testCase, index) => ({ testCase, index }))
    .sort((a, b) => (CASE_ORDER[a.testCase.status] ?? 0) - (CASE_ORDER[b.testCase.status] ?? 0) || a.index - b.index)
    .map(({ testCase }) => testCase);
}

export function TestCasesTable({ cases }: { cases: TestCase[] }) {
  return (
    <Table.ScrollContainer minWidth={560}>
      <Table verticalSpacing="xs" highlightOnHover data-testid="test-cases">
        <Table.Thead>
          <Table.Tr>
            <Table.Th w={90}>Result</Table.Th>
            <Table.Th>Test</Table.Th>
            <Table.Th>Message</Table.Th>
            <Table.Th w={90} ta="right">
              Duration
            </Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {sortFailuresFirst(cases).map((testCase) => (
            <Table.Tr key={`${testCase.classname}::${testCase.name}`} data-testid="test-case-row" data-status={testCase.status}>
              <Table.Td>
                <Badge variant="light" color={CASE_COLOR[testCase.status] ?? "gray"}>
                  {testCase.status}
                </Badge>
              </Table.Td>
              <Table.Td>
                <Text size="sm" ff="monospace" style={{ overflowWrap: "anywhere" }}>
                  {testCase.name}
                </Text>
                {testCase.classname && (
                  <Text size="xs" c="dimmed" ff="monospace" style={{ overflowWrap: "anywhere" }}>
                    {testCase.classname}
                  </Text>
                )}
              </Table.Td>
              <Table.Td>
                {testCase.message ? (
                  <Spoiler maxHeight={60} showLabel="Show all" hideLabel="Show less">
                    <Code block style={{ whiteSpace: "pre-wrap", overflowWrap: "anywhere" }}>
                      {testCase.message}
                    </Code>
                  </Spoiler>
                ) : (
                  <Text size="sm" c="dimmed">
                    —
                  </Text>
                )}
              </Table.Td>
              <Table.Td ta="right">
                <Text size="sm">{testCase.durationMs === null ? "—" : formatDuration(testCase.durationMs)}</Text>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
