/** The facts a reviewer checks first, read defensively from SkillVersion.manifest (a JSON object). */
export interface ManifestFacts {
  runtime: string | null;
  memoryMb: number | null;
  timeoutSeconds: number | null;
  license: string | null;
  author: string | null;
  source: string | null;
  testCommand: string | null;
  dependencies: { name: string; range: string }[];
  permissions: string[];
  allowedTools: string[];
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function text(value: unknown): string | null {
  return typeof value === "string" && value !== "" ? value : null;
}

function count(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : [];
}

export function manifestFacts(manifest: Record<string, unknown>): ManifestFacts {
  const requirements = record(manifest["requirements"]);
  const runtime = record(requirements["runtime"]);
  const language = text(runtime["language"]);
  const command = strings(manifest["testCommand"]);
  const dependencies = Array.isArray(manifest["dependencies"])
    ? manifest["dependencies"].flatMap((entry: unknown) => {
        const dependency = record(entry);
        const name = text(dependency["name"]);
        return name ? [{ name, range: text(dependency["range"]) ?? "*" }] : [];
      })
    : [];
  return {
    runtime: language ? [language, text(runtime["version"])].filter(Boolean).join(" ") : null,
    memoryMb: count(requirements["memoryMb"]),
    timeoutSeconds: count(requirements["timeoutSeconds"]),
    license: text(manifest["license"]),
    author: text(manifest["author"]),
    source: text(manifest["source"]),
    testCommand: command.length > 0 ? command.join(" ") : null,
    dependencies,
    permissions: strings(manifest["permissions"]),
    allowedTools: strings(manifest["allowedTools"]),
  };
}

/** "498 B", "12.3 KB", "1.2 MB". */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
