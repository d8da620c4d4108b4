import { Button, Code, Collapse, Group, SimpleGrid, Stack, Text } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { IconChevronDown, IconChevronRight } from "@tabler/icons-react";
import type { ReactNode } from "react";
import { manifestFacts } from "../manifest-facts";

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <Stack gap={0} style={{ minWidth: 0 }}>
      <Text size="xs" c="dimmed" tt="uppercase" fw={600}>
        {label}
      </Text>
      <Text size="sm" component="div" style={{ overflowWrap: "anywhere" }}>
        {children}
      </Text>
    </Stack>
  );
}

function OrNone({ value, none }: { value: ReactNode; none: string }) {
  return value === null || value === "" ? (
    <Text span c="dimmed" size="sm">
      {none}
    </Text>
  ) : (
    <>{value}</>
  );
}

/** The validated manifest: the facts a reviewer checks first, then the whole JSON on request. */
export function ManifestSummary({ manifest }: { manifest: Record<string, unknown> }) {
  const facts = manifestFacts(manifest);
  const [rawOpen, raw] = useDisclosure(false);
  return (
    <Stack gap="md" data-testid="manifest">
      <SimpleGrid cols={{ base: 2, sm: 3 }} spacing="sm" verticalSpacing="sm">
        <Fact label="Runtime">
          <OrNone value={facts.runtime} none="none (tests not run)" />
        </Fact>
        <Fact label="Memory">
          <OrNone value={facts.memoryMb === null ? null : `${facts.memoryMb} MB`} none="sandbox default" />
        </Fact>
        <Fact label="Timeout">
          <OrNone value={facts.timeoutSeconds === null ? null : `${facts.timeoutSeconds} s`} none="sandbox default" />
        </Fact>
        <Fact label="License">
          <OrNone value={facts.license} none="not stated" />
        </Fact>
        <Fact label="Author">
          <OrNone value={facts.author} none="not stated" />
        </Fact>
        <Fact label="Defined in">
          <OrNone value={facts.source} none="unknown" />
        </Fact>
      </SimpleGrid>
      <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
        <Fact label="Dependencies">
          {facts.dependencies.length === 0 ? (
            <Text span c="dimmed" size="sm">
              none
            </Text>
          ) : (
            <Group gap={4} wrap="wrap" data-testid="manifest-dependencies">
              {facts.dependencies.map((dependency) => (
                <Code key={dependency.name}>
                  {dependency.name} {dependency.range}
                </Code>
              ))}
            </Group>
          )}
        </Fact>
        <Fact label="Permissions">
          {facts.permissions.length === 0 ? (
            <Text span c="dimmed" size="sm">
              none
            </Text>
          ) : (
            <Group gap={4} wrap="wrap" data-testid="manifest-permissions">
              {facts.permissions.map((permission) => (
                <Code key={permission}>{permission}</Code>
              ))}
            </Group>
          )}
        </Fact>
        {facts.testCommand && (
          <Fact label="Test command">
            <Code>{facts.testCommand}</Code>
          </Fact>
        )}
        {facts.allowedTools.length > 0 && (
          <Fact label="Allowed tools (SKILL.md)">
            <Group gap={4} wrap="wrap">
              {facts.allowedTools.map((tool) => (
                <Code key={tool}>{tool}</Code>
              ))}
            </Group>
          </Fact>
        )}
      </SimpleGrid>
      <div>
        <Button
          variant="subtle"
          size="compact-sm"
          leftSection={rawOpen ? <IconChevronDown size={16} /> : <IconChevronRight size={16} />}
          onClick={raw.toggle}
          aria-expanded={rawOpen}
          data-testid="manifest-raw-toggle"
        >
          {rawOpen ? "Hide" : "Show"} the full manifest JSON
        </Button>
        <Collapse expanded={rawOpen}>
          <Code block mt="xs" data-testid="manifest-raw" style={{ maxHeight: 480, overflow: "auto" }}>
            {JSON.stringify(manifest, null, 2)}
          </Code>
        </Collapse>
      </div>
    </Stack>
  );
}
