import { Badge, Code, Group, List, ScrollArea, Stack, Text } from "@mantine/core";
import { IconCheck, IconX } from "@tabler/icons-react";
import type { EvalCaseFieldsFragment } from "../../../gql/graphql";
import { formatScore } from "../eval-format";

/** JSON as the server sent it, indented when it parses (the input is always JSON text). */
export function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/** A block of program text that scrolls within a bounded height instead of stretching the page. */
export function OutputBlock({ text, label, testId, truncated = false }: { text: string | null; label: string; testId: string; truncated?: boolean }) {
  return (
    <Stack gap={4} style={{ minWidth: 0 }}>
      <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
        {label}
      </Text>
      {text === null ? (
        <Text size="sm" c="dimmed" data-testid={testId} data-empty>
          None: the case never ran.
        </Text>
      ) : (
        <ScrollArea.Autosize mah={280} type="auto" offsetScrollbars>
          <Code block style={{ whiteSpace: "pre-wrap", overflowWrap: "anywhere" }} data-testid={testId}>
            {text === "" ? "(empty)" : prettyJson(text)}
          </Code>
        </ScrollArea.Autosize>
      )}
      {truncated && (
        <Text size="xs" c="orange.8" data-testid={`${testId}-truncated`}>
          The output went over the sandbox's cap and was cut; it was scored as it is.
        </Text>
      )}
    </Stack>
  );
}

/** Everything about one case: what went in, what came out, every grader and the judge's verdict. */
export function EvalCaseDetail({ evalCase }: { evalCase: EvalCaseFieldsFragment }) {
  return (
    <Stack gap="sm" data-testid="eval-case-detail">
      <OutputBlock text={evalCase.input} label="Input (stdin)" testId="eval-case-input" />
      <OutputBlock text={evalCase.output} label="Output (stdout)" testId="eval-case-output" truncated={evalCase.truncated} />
      {evalCase.graders.length > 0 && (
        <Stack gap={4}>
          <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
            Checks
          </Text>
          <List spacing={4} size="sm" listStyleType="none" data-testid="eval-case-graders">
            {evalCase.graders.map((grader, index) => (
              <List.Item key={index} data-testid="eval-grader" data-grader={grader.grader} data-passed={grader.passed}>
                <Group gap={6} wrap="nowrap" align="flex-start">
                  {grader.passed ? (
                    <IconCheck size={16} color="var(--mantine-color-green-7)" aria-label="passed" />
                  ) : (
                    <IconX size={16} color="var(--mantine-color-red-7)" aria-label="failed" />
                  )}
                  <Text size="sm" style={{ overflowWrap: "anywhere" }}>
                    <Code>{grader.grader}</Code> {grader.message}
                  </Text>
                </Group>
              </List.Item>
            ))}
          </List>
        </Stack>
      )}
      {evalCase.rubric !== null && (
        <Stack gap={4}>
          <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
            Rubric (scored by the judge)
          </Text>
          <Text size="sm" style={{ whiteSpace: "pre-wrap", overflowWrap: "anywhere" }}>
            {evalCase.rubric}
          </Text>
          <Group gap={6} wrap="wrap">
            <Badge variant="light" color={evalCase.scored ? "blue" : "gray"} tt="none" data-testid="eval-judge-score">
              {evalCase.judgeScore === null ? "judge gave no score" : `judge ${formatScore(evalCase.judgeScore)}`}
            </Badge>
            {evalCase.judgeReason && (
              <Text size="sm" style={{ overflowWrap: "anywhere" }} data-testid="eval-judge-reason">
                {evalCase.judgeReason}
              </Text>
            )}
          </Group>
        </Stack>
      )}
    </Stack>
  );
}
