import { Box } from "@mantine/core";

type LineKind = "added" | "removed" | "hunk" | "header" | "context";

function kindOf(line: string): LineKind {
  if (line.startsWith("+++ ") || line.startsWith("--- ")) return "header";
  if (line.startsWith("@@")) return "hunk";
  if (line.startsWith("+")) return "added";
  if (line.startsWith("-")) return "removed";
  return "context";
}

const LINE_STYLE: Record<LineKind, { background?: string; color?: string }> = {
  added: { background: "var(--mantine-color-green-light)", color: "var(--mantine-color-green-9)" },
  removed: { background: "var(--mantine-color-red-light)", color: "var(--mantine-color-red-9)" },
  hunk: { background: "var(--mantine-color-blue-light)", color: "var(--mantine-color-blue-8)" },
  header: { color: "var(--mantine-color-dimmed)" },
  context: {},
};

/** A unified diff with added and removed lines coloured; long lines scroll inside the block. */
export function PatchView({ patch }: { patch: string }) {
  const lines = patch.endsWith("\n") ? patch.slice(0, -1).split("\n") : patch.split("\n");
  return (
    <Box
      component="pre"
      m={0}
      py={4}
      fz={12}
      ff="monospace"
      style={{
        overflowX: "auto",
        maxHeight: 520,
        border: "1px solid var(--mantine-color-default-border)",
        borderRadius: "var(--mantine-radius-sm)",
        lineHeight: 1.5,
      }}
      data-testid="file-patch"
    >
      {lines.map((line, index) => {
        const kind = kindOf(line);
        return (
          <Box component="span" key={index} display="block" px="xs" style={{ ...LINE_STYLE[kind], minWidth: "max-content" }} data-line={kind}>
            {line === "" ? " " : line}
          </Box>
        );
      })}
    </Box>
  );
}
