import { Badge, Box, Button, Group, Stack, Switch, Text, UnstyledButton, type MantineColor } from "@mantine/core";
import { IconChevronDown, IconChevronRight } from "@tabler/icons-react";
import { useState } from "react";
import { EmptyState } from "../../../components/QueryState";
import type { ReviewRequestDetailFragment } from "../../../gql/graphql";
import { formatBytes } from "../manifest-facts";
import { PatchView } from "./PatchView";

type FileChange = ReviewRequestDetailFragment["fileDiff"][number];

const CHANGE_STYLE: Record<string, { label: string; color: MantineColor }> = {
  ADDED: { label: "added", color: "green" },
  CHANGED: { label: "modified", color: "blue" },
  REMOVED: { label: "removed", color: "red" },
  UNCHANGED: { label: "unchanged", color: "gray" },
};

function changeStyle(change: string) {
  return CHANGE_STYLE[change] ?? { label: change.toLowerCase(), color: "gray" };
}

function FileRow({ file, open, onToggle }: { file: FileChange; open: boolean; onToggle: () => void }) {
  const style = changeStyle(file.change);
  const heading = (
    <Group justify="space-between" gap="xs" wrap="nowrap" py={6} px="xs">
      <Group gap={6} wrap="nowrap" style={{ minWidth: 0 }}>
        {file.patch !== null && (open ? <IconChevronDown size={16} /> : <IconChevronRight size={16} />)}
        <Text size="sm" ff="monospace" style={{ overflowWrap: "anywhere" }} td={file.change === "REMOVED" ? "line-through" : undefined}>
          {file.path}
        </Text>
      </Group>
      <Group gap={6} wrap="nowrap">
        {file.size !== null && (
          <Text size="xs" c="dimmed">
            {formatBytes(file.size)}
          </Text>
        )}
        <Badge size="sm" variant="light" color={style.color} data-testid="file-change">
          {style.label}
        </Badge>
      </Group>
    </Group>
  );
  return (
    <Box
      component="li"
      data-testid="file-diff-row"
      data-path={file.path}
      data-change={file.change}
      style={{ borderBottom: "1px solid var(--mantine-color-default-border)" }}
    >
      {file.patch === null ? (
        heading
      ) : (
        <UnstyledButton
          w="100%"
          onClick={onToggle}
          aria-expanded={open}
          aria-label={`${open ? "Hide" : "Show"} the changes to ${file.path}`}
          data-testid="file-diff-toggle"
        >
          {heading}
        </UnstyledButton>
      )}
      {file.patch === null && file.change !== "UNCHANGED" && (
        <Text size="xs" c="dimmed" px="xs" pb={6}>
          No line diff: the file is binary or too large to compare.
        </Text>
      )}
      {open && file.patch !== null && (
        <Box px="xs" pb="xs">
          <PatchView patch={file.patch} />
        </Box>
      )}
    </Box>
  );
}

/** The package's files against the previous published version, each changed file's diff on request. */
export function FileDiffList({ files }: { files: readonly FileChange[] }) {
  const [showUnchanged, setShowUnchanged] = useState(false);
  const [openPaths, setOpenPaths] = useState<ReadonlySet<string>>(new Set());
  if (files.length === 0) return <EmptyState title="No files">The package is empty.</EmptyState>;

  const unchanged = files.filter((file) => file.change === "UNCHANGED").length;
  const shown = showUnchanged ? files : files.filter((file) => file.change !== "UNCHANGED");
  const withPatch = shown.filter((file) => file.patch !== null).map((file) => file.path);
  const allOpen = withPatch.length > 0 && withPatch.every((path) => openPaths.has(path));
  const toggle = (path: string) =>
    setOpenPaths((current) => {
      const next = new Set(current);
      if (!next.delete(path)) next.add(path);
      return next;
    });

  return (
    <Stack gap="xs" data-testid="file-diff">
      <Group justify="space-between" gap="xs" wrap="wrap">
        {unchanged > 0 ? (
          <Switch
            size="sm"
            label={`Show ${unchanged} unchanged ${unchanged === 1 ? "file" : "files"}`}
            checked={showUnchanged}
            onChange={(event) => setShowUnchanged(event.currentTarget.checked)}
            data-testid="file-diff-show-unchanged"
          />
        ) : (
          <span />
        )}
        {withPatch.length > 0 && (
          <Button variant="subtle" size="compact-sm" onClick={() => setOpenPaths(allOpen ? new Set() : new Set(withPatch))} data-testid="file-diff-toggle-all">
            {allOpen ? "Collapse all" : "Expand all"}
          </Button>
        )}
      </Group>
      {shown.length === 0 ? (
        <Text size="sm" c="dimmed">
          No file changed.
        </Text>
      ) : (
        <Stack gap={0} component="ul" p={0} m={0} style={{ listStyle: "none", borderTop: "1px solid var(--mantine-color-default-border)" }}>
          {shown.map((file) => (
            <FileRow key={file.path} file={file} open={openPaths.has(file.path)} onToggle={() => toggle(file.path)} />
          ))}
        </Stack>
      )}
    </Stack>
  );
}
