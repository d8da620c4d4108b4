/**
 * SKILL.md for packages that have only skill.yaml. Claude Code loads a skill from its folder's
 * SKILL.md, so the server puts this file into a version's plugin archive and the CLI into a
 * `.claude/skills/<name>/` install: one implementation, so both get the same bytes.
 */
import { stringify as toYaml } from "yaml";
import type { SkillManifest } from "./manifest";

/** Where a skill.yaml-only package's program starts, by runtime, in the order they are looked for. */
const ENTRY_POINTS: Readonly<Record<string, readonly string[]>> = {
  python: ["src/main.py", "main.py", "src/__main__.py", "__main__.py"],
  node: ["src/index.js", "index.js", "src/main.js", "main.js", "src/index.mjs", "index.mjs"],
};

const COMMANDS: Readonly<Record<string, string>> = { python: "python3", node: "node" };

function schemaBlock(title: string, schema: Record<string, unknown> | null): string {
  if (!schema) return `## ${title}\n\nNot declared.\n`;
  return `## ${title}\n\nJSON Schema:\n\n\`\`\`json\n${JSON.stringify(schema, null, 2)}\n\`\`\`\n`;
}

/**
 * SKILL.md for a package that has only skill.yaml: front matter `name` and `description` (written
 * by a YAML serializer, so no description can end the front matter or add keys), and a body that
 * says how to run the entry point and what goes in and comes out.
 */
export function generatedSkillMd(manifest: SkillManifest, paths: readonly string[]): string {
  const frontMatter = toYaml({ name: manifest.name, description: manifest.description }, { lineWidth: 0 });
  const runtime = manifest.requirements.runtime;
  const entry = runtime ? ENTRY_POINTS[runtime.language].find((p) => paths.includes(p)) : undefined;
  let call: string;
  if (runtime && entry) {
    call =
      `This skill is a ${runtime.language} ${runtime.version} program; its entry point is \`${entry}\` in this skill's folder. ` +
      `Run it from that folder; its inputs and outputs are described below:\n\n` +
      `\`\`\`sh\n${COMMANDS[runtime.language]} ${entry}\n\`\`\`\n`;
  } else if (runtime) {
    call = `This skill is a ${runtime.language} ${runtime.version} program in this skill's folder, with no conventional entry point (${ENTRY_POINTS[runtime.language].join(", ")}). Its files:\n\n${paths.map((p) => `- \`${p}\``).join("\n")}\n`;
  } else {
    call = `This skill declares no runtime. Its files, in this skill's folder:\n\n${paths.map((p) => `- \`${p}\``).join("\n")}\n`;
  }
  return `---\n${frontMatter}---\n\n# ${manifest.name}\n\n## How to call it\n\n${call}\n${schemaBlock("Inputs", manifest.inputs)}\n${schemaBlock("Outputs", manifest.outputs)}`;
}
