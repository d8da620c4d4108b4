import { ActionIcon, Code, CopyButton, Group, Tooltip } from "@mantine/core";
import { IconCheck, IconCopy } from "@tabler/icons-react";

/**
 * A value to copy, with its copy button: a secret shown once (a token, an invitation code) or a
 * command to paste into a terminal. It breaks anywhere rather than at a "-" that would read as a
 * hyphenation, and the button has room for its focus ring.
 */
export function CopyableValue({ value, what, testId, autoFocus = false }: { value: string; what: string; testId: string; autoFocus?: boolean }) {
  return (
    <Group gap="xs" wrap="nowrap" align="flex-start" p={3}>
      <Code block style={{ flex: 1, minWidth: 0, wordBreak: "break-all", whiteSpace: "pre-wrap" }} data-testid={testId}>
        {value}
      </Code>
      <CopyButton value={value}>
        {({ copied, copy }) => (
          <Tooltip label={copied ? "Copied" : `Copy the ${what}`} withArrow>
            <ActionIcon
              variant="light"
              color={copied ? "teal" : "gray"}
              size="lg"
              onClick={copy}
              aria-label={`Copy the ${what}`}
              autoFocus={autoFocus}
              data-testid={`${testId}-copy`}
            >
              {copied ? <IconCheck size={18} /> : <IconCopy size={18} />}
            </ActionIcon>
          </Tooltip>
        )}
      </CopyButton>
    </Group>
  );
}
