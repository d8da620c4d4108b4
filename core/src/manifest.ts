import Ajv, { type ErrorObject } from "ajv";
import { valid as validSemver, validRange } from "semver";
import { isScalar, parseDocument, visit } from "yaml";
import { PERMISSION_NAME_PATTERN } from "./input-rules";
import { SkillyardError } from "./errors";

export type RuntimeLanguage = "python" | "node";

export interface Runtime {
  language: RuntimeLanguage;
  version: string;
}

export interface SkillManifest {
  name: string;
  version: string;
  description: string;
  author: string | null;
  category: string;
  tags: string[];
  license: string | null;
  requirements: { runtime: Runtime | null; memoryMb: number | null; timeoutSeconds: number | null };
  /** Sorted by name. */
  dependencies: { name: string; range: string }[];
  /** Sorted and unique; includes the permissions implied by SKILL.md `allowed-tools`. */
  permissions: string[];
  inputs: Record<string, unknown> | null;
  outputs: Record<string, unknown> | null;
  testCommand: string[] | null;
  /** From SKILL.md `allowed-tools`, in the order given. */
  allowedTools: string[];
  metadata: Record<string, unknown>;
  source: "skill.yaml" | "SKILL.md" | "both";
}

/** File contents as UTF-8 text. */
export interface ManifestFiles {
  skillYaml?: string;
  skillMd?: string;
}

export interface ManifestOptions {
  /** The version named in the publish call; required for a SKILL.md-only package. */
  version?: string;
  /** The permission catalogue; when given, every permission must be in it (or be a scoped form of an entry). */
  knownPermissions?: ReadonlySet<string>;
}

export interface ManifestResult {
  manifest: SkillManifest;
  warnings: string[];
}

export interface ManifestFieldError {
  path: string;
  message: string;
}

export const MAX_MANIFEST_YAML_BYTES = 256 * 1024;
const MAX_YAML_ALIASES = 100;
/** Longer than skill.yaml's 1024 because a corpus skill (claude-api) uses 1068 characters. */
const MAX_SKILL_MD_DESCRIPTION = 4096;

const NAME_PATTERN = "^[a-z0-9]+(?:-[a-z0-9]+)*$";
const NAME_RE = new RegExp(NAME_PATTERN);

export const TOOL_PERMISSIONS: Readonly<Record<string, string>> = Object.freeze({
  Bash: "shell:exec",
  Write: "filesystem:write",
  Edit: "filesystem:write",
  MultiEdit: "filesystem:write",
  NotebookEdit: "filesystem:write",
  Read: "filesystem:read",
  Glob: "filesystem:read",
  Grep: "filesystem:read",
  LS: "filesystem:read",
  WebFetch: "network:outbound",
  WebSearch: "network:outbound",
});

export function isValidSkillName(name: string): boolean {
  return name.length >= 1 && name.length <= 64 && NAME_RE.test(name);
}

/** Strict semver 2.0 in its canonical form: no `v`/`=` prefix, no spaces (and, as `semver.clean` drops it, no build metadata). */
function isStrictSemver(version: string): boolean {
  return validSemver(version, { loose: false }) === version;
}

// ---------------------------------------------------------------------------------------------
// Schemas

const nameSchema = { type: "string", minLength: 1, maxLength: 64, pattern: NAME_PATTERN } as const;

export const SKILL_YAML_SCHEMA = {
  type: "object",
  additionalProperties: false,
  required: ["name", "version", "description"],
  properties: {
    name: nameSchema,
    version: { type: "string", format: "strict-semver" },
    description: { type: "string", minLength: 1, maxLength: 1024, pattern: "\\S" },
    author: { type: "string", minLength: 1 },
    category: nameSchema,
    tags: {
      type: "array",
      maxItems: 20,
      uniqueItems: true,
      items: { type: "string", minLength: 1, maxLength: 32, pattern: NAME_PATTERN },
    },
    license: { type: "string", minLength: 1 },
    requirements: {
      type: "object",
      additionalProperties: false,
      properties: {
        runtime: { type: "string", minLength: 1 },
        language: { type: "string", enum: ["python", "node"] },
        memory_mb: { type: "integer", minimum: 16, maximum: 16384 },
        timeout_seconds: { type: "integer", minimum: 1, maximum: 3600 },
      },
    },
    dependencies: {
      // Map form `{name: range}` or list form `[{name, range}]`.
      if: { type: "array" },
      then: {
        type: "array",
        items: {
          type: "object",
          additionalProperties: false,
          required: ["name", "range"],
          properties: { name: nameSchema, range: { type: "string", format: "semver-range" } },
        },
      },
      else: {
        type: "object",
        propertyNames: nameSchema,
        additionalProperties: { type: "string", format: "semver-range" },
      },
    },
    permissions: {
      type: "array",
      uniqueItems: true,
      items: { type: "string", maxLength: 128, pattern: PERMISSION_NAME_PATTERN },
    },
    inputs: { type: "object" },
    outputs: { type: "object" },
    tests: {
      type: "object",
      additionalProperties: false,
      properties: {
        command: { type: "array", minItems: 1, items: { type: "string", minLength: 1 } },
      },
    },
  },
} as const;

export const SKILL_MD_FRONT_MATTER_SCHEMA = {
  type: "object",
  additionalProperties: false,
  required: ["name", "description"],
  properties: {
    name: nameSchema,
    description: { type: "string", minLength: 1, maxLength: MAX_SKILL_MD_DESCRIPTION, pattern: "\\S" },
    license: { type: "string", minLength: 1 },
    "allowed-tools": {
      if: { type: "array" },
      then: { type: "array", items: { type: "string", minLength: 1 } },
      else: { type: "string" },
    },
    metadata: { type: "object" },
  },
} as const;

interface SkillYamlDoc {
  name: string;
  version: string;
  description: string;
  author?: string;
  category?: string;
  tags?: string[];
  license?: string;
  requirements?: { runtime?: string; language?: RuntimeLanguage; memory_mb?: number; timeout_seconds?: number };
  dependencies?: Record<string, string> | { name: string; range: string }[];
  permissions?: string[];
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
  tests?: { command?: string[] };
}

interface SkillMdDoc {
  name: string;
  description: string;
  license?: string;
  "allowed-tools"?: string | string[];
  metadata?: Record<string, unknown>;
}

const FORMAT_MESSAGES: Record<string, string> = {
  "strict-semver": "must be a strict semver 2.0 version such as 1.2.3",
  "semver-range": "must be a valid semver range such as ^1.2.0",
};

const ajv = new Ajv({ allErrors: true, strict: true });
ajv.addFormat("strict-semver", { type: "string", validate: isStrictSemver });
ajv.addFormat("semver-range", { type: "string", validate: (r: string) => r.trim() !== "" && validRange(r) !== null });
const validateSkillYamlSchema = ajv.compile<SkillYamlDoc>(SKILL_YAML_SCHEMA);
const validateSkillMdSchema = ajv.compile<SkillMdDoc>(SKILL_MD_FRONT_MATTER_SCHEMA);

function escapePointer(segment: string): string {
  return segment.replace(/~/g, "~0").replace(/\//g, "~1");
}

function toFieldErrors(errors: readonly ErrorObject[]): ManifestFieldError[] {
  const out: ManifestFieldError[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    let path = e.instancePath;
    let message = e.message ?? "is invalid";
    switch (e.keyword) {
      case "if":
      case "propertyNames":
        continue; // wrappers; the nested error says what is wrong
      case "required":
        path += `/${escapePointer(String(e.params.missingProperty))}`;
        message = "is required";
        break;
      case "additionalProperties":
        path += `/${escapePointer(String(e.params.additionalProperty))}`;
        message = "is not an allowed field";
        break;
      case "uniqueItems": {
        // ajv's i/j order depends on the item type; point at the later (repeated) item.
        const [first, repeat] = [Number(e.params.i), Number(e.params.j)].sort((x, y) => x - y);
        path += `/${repeat}`;
        message = `repeats item ${first}`;
        break;
      }
      case "format":
        message = FORMAT_MESSAGES[String(e.params.format)] ?? message;
        break;
    }
    // Errors inside `propertyNames` are about a map key, not the map.
    if (e.propertyName !== undefined) {
      path += `/${escapePointer(e.propertyName)}`;
      message = `is not a valid name (${message})`;
    }
    const key = `${path}\0${message}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push({ path, message });
    }
  }
  return out;
}

function invalid(file: string | null, errors: ManifestFieldError[]): SkillyardError {
  const [first] = errors;
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : "";
  const where = file === null ? "The manifest" : file;
  return new SkillyardError(
    "MANIFEST_INVALID",
    `${where} is invalid: ${first.path || "/"} ${first.message}${more}`,
    file === null ? { errors } : { file, errors },
  );
}

// ---------------------------------------------------------------------------------------------
// YAML

function yamlInvalid(file: string, message: string): SkillyardError {
  return new SkillyardError("MANIFEST_YAML_INVALID", `${file}: ${message}`, { file });
}

/** Parses untrusted YAML into a plain mapping: core schema only, bounded size and alias expansion. */
function parseYamlMapping(text: string, file: string): Record<string, unknown> {
  if (Buffer.byteLength(text, "utf8") > MAX_MANIFEST_YAML_BYTES) {
    throw yamlInvalid(file, `the YAML document is larger than ${MAX_MANIFEST_YAML_BYTES} bytes`);
  }
  const doc = parseDocument(text, {
    schema: "core",
    prettyErrors: true,
    uniqueKeys: true,
    strict: true,
    resolveKnownTags: false, // keeps !!binary, !!set, !!timestamp etc. out of the core schema
    logLevel: "error", // warnings are refused below rather than logged; "silent" would also hide errors
  });
  // Warnings include unresolved tags such as `!!js/function` or local `!tags`: refuse them all.
  const [problem] = [...doc.errors, ...doc.warnings];
  if (problem !== undefined) throw yamlInvalid(file, problem.message);
  let collectionKey = false;
  visit(doc, {
    Pair(_, pair) {
      if (!isScalar(pair.key) || pair.key.value === null) {
        collectionKey = true;
        return visit.BREAK;
      }
      return undefined;
    },
  });
  if (collectionKey) throw yamlInvalid(file, "mapping keys must be plain scalars");
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
  } catch (err) {
    // yaml throws a ReferenceError when aliases expand past maxAliasCount (billion laughs).
    throw yamlInvalid(file, err instanceof Error ? err.message : "the YAML document cannot be read");
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw yamlInvalid(file, "the top level must be a mapping");
  }
  return value as Record<string, unknown>;
}

// ---------------------------------------------------------------------------------------------
// Runtime

type RuntimeOutcome = { runtime: Runtime } | { error: ManifestFieldError };

const LANGUAGE_ALIASES: Readonly<Record<string, RuntimeLanguage>> = {
  python: "python",
  node: "node",
  nodejs: "node",
};
const VERSION_PART = "(?:0|[1-9]\\d*)(?:\\.(?:0|[1-9]\\d*)){0,2}";
const BARE_VERSION_RE = new RegExp(`^${VERSION_PART}$`);
// One optional separator between language and version; anything else (image tags, suffixes) is refused.
const LANGUAGE_VERSION_RE = new RegExp(`^([a-z]+)[ :-]?(${VERSION_PART})$`, "i");

function resolveRuntime(raw: string, language?: string): RuntimeOutcome {
  const runtimePath = "/requirements/runtime";
  if (language !== undefined && language !== "python" && language !== "node") {
    return { error: { path: "/requirements/language", message: `must be "python" or "node", not "${language}"` } };
  }
  const declared: RuntimeLanguage | undefined = language;
  if (BARE_VERSION_RE.test(raw)) {
    if (declared === undefined) {
      return {
        error: { path: runtimePath, message: `"${raw}" names no language; write e.g. python${raw} or set requirements.language` },
      };
    }
    return { runtime: { language: declared, version: raw } };
  }
  const match = LANGUAGE_VERSION_RE.exec(raw);
  if (match === null) {
    return { error: { path: runtimePath, message: `"${raw}" is not a runtime such as python3.11 or node20` } };
  }
  const alias = match[1].toLowerCase();
  const named = Object.hasOwn(LANGUAGE_ALIASES, alias) ? LANGUAGE_ALIASES[alias] : undefined;
  if (named === undefined) {
    return { error: { path: runtimePath, message: `unknown language "${match[1]}"; expected python or node` } };
  }
  if (declared !== undefined && declared !== named) {
    return { error: { path: "/requirements/language", message: `"${declared}" contradicts runtime "${raw}"` } };
  }
  return { runtime: { language: named, version: match[2] } };
}

export function normalizeRuntime(raw: string, language?: string): Runtime {
  const outcome = resolveRuntime(raw, language);
  if ("error" in outcome) throw invalid(null, [outcome.error]);
  return outcome.runtime;
}

// ---------------------------------------------------------------------------------------------
// SKILL.md

const FRONT_MATTER_OPEN_RE = /^---[ \t]*\r?\n/;

export function parseSkillMdFrontMatter(text: string): { data: Record<string, unknown>; body: string } {
  const source = text.startsWith("\uFEFF") ? text.slice(1) : text;
  const open = FRONT_MATTER_OPEN_RE.exec(source);
  if (open === null) {
    throw invalid("SKILL.md", [{ path: "", message: "must start with YAML front matter between --- lines" }]);
  }
  const close = /^---[ \t]*(?:\r?\n|$)/gm;
  close.lastIndex = open[0].length;
  const end = close.exec(source);
  if (end === null) {
    throw invalid("SKILL.md", [{ path: "", message: "the front matter has no closing --- line" }]);
  }
  const data = parseYamlMapping(source.slice(open[0].length, end.index), "SKILL.md");
  return { data, body: source.slice(end.index + end[0].length) };
}

const TOOL_RE = /^[A-Za-z][A-Za-z0-9_.-]*(?:\([^()]*\))?$/;

/** Splits `Bash(git add:*), Read Write` on spaces/commas outside parentheses. */
function splitToolList(list: string): string[] | null {
  const tokens: string[] = [];
  let current = "";
  let depth = 0;
  for (const ch of list) {
    if (ch === "(") depth++;
    if (ch === ")" && --depth < 0) return null;
    if (depth === 0 && /[\s,]/.test(ch)) {
      if (current !== "") tokens.push(current);
      current = "";
    } else {
      current += ch;
    }
  }
  if (depth !== 0) return null;
  if (current !== "") tokens.push(current);
  return tokens;
}

interface SkillMdPart {
  name: string;
  description: string;
  license: string | null;
  allowedTools: string[];
  permissions: string[];
  metadata: Record<string, unknown>;
  warnings: string[];
}

function readSkillMd(text: string): SkillMdPart {
  const { data } = parseSkillMdFrontMatter(text);
  if (!validateSkillMdSchema(data)) throw invalid("SKILL.md", toFieldErrors(validateSkillMdSchema.errors ?? []));
  const raw = data["allowed-tools"];
  const errors: ManifestFieldError[] = [];
  let tools: string[] = [];
  if (Array.isArray(raw)) {
    tools = raw.map((t) => t.trim());
  } else if (raw !== undefined) {
    const split = splitToolList(raw);
    if (split === null) errors.push({ path: "/allowed-tools", message: "has unbalanced parentheses" });
    else tools = split;
  }
  tools.forEach((tool, i) => {
    if (!TOOL_RE.test(tool)) {
      errors.push({ path: Array.isArray(raw) ? `/allowed-tools/${i}` : "/allowed-tools", message: `"${tool}" is not a tool name` });
    }
  });
  if (errors.length > 0) throw invalid("SKILL.md", errors);

  const allowedTools = [...new Set(tools)];
  const permissions = new Set<string>();
  const warnings: string[] = [];
  for (const tool of allowedTools) {
    const base = tool.split("(")[0];
    if (Object.hasOwn(TOOL_PERMISSIONS, base)) permissions.add(TOOL_PERMISSIONS[base]);
    else warnings.push(`SKILL.md: unknown tool "${tool}" in allowed-tools grants no permission`);
  }
  return {
    name: data.name,
    description: data.description,
    license: data.license ?? null,
    allowedTools,
    permissions: [...permissions],
    metadata: data.metadata ?? {},
    warnings,
  };
}

// ---------------------------------------------------------------------------------------------
// skill.yaml

interface SkillYamlPart {
  doc: SkillYamlDoc;
  runtime: Runtime | null;
  dependencies: { name: string; range: string }[];
}

function readSkillYaml(text: string): SkillYamlPart {
  const data = parseYamlMapping(text, "skill.yaml");
  if (!validateSkillYamlSchema(data)) throw invalid("skill.yaml", toFieldErrors(validateSkillYamlSchema.errors ?? []));
  const errors: ManifestFieldError[] = [];

  let runtime: Runtime | null = null;
  const req = data.requirements;
  if (req?.runtime !== undefined) {
    const outcome = resolveRuntime(req.runtime, req.language);
    if ("error" in outcome) errors.push(outcome.error);
    else runtime = outcome.runtime;
  }

  const deps = data.dependencies ?? {};
  const dependencies = Array.isArray(deps)
    ? deps.map((d) => ({ name: d.name, range: d.range }))
    : Object.entries(deps).map(([name, range]) => ({ name, range }));
  if (Array.isArray(deps)) {
    const seen = new Set<string>();
    deps.forEach((d, i) => {
      if (seen.has(d.name)) errors.push({ path: `/dependencies/${i}/name`, message: `repeats dependency "${d.name}"` });
      seen.add(d.name);
    });
  }
  if (errors.length > 0) throw invalid("skill.yaml", errors);

  if (dependencies.some((d) => d.name === data.name)) {
    throw new SkillyardError("DEPENDENCY_SELF", `Skill "${data.name}" cannot depend on itself.`, { name: data.name });
  }
  dependencies.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { doc: data, runtime, dependencies };
}

// ---------------------------------------------------------------------------------------------
// Both

function resolveVersion(yamlVersion: string | null, requested: string | undefined): string {
  const given = requested === undefined || requested === "" ? undefined : requested;
  if (yamlVersion !== null) {
    if (given !== undefined && given !== yamlVersion) {
      throw new SkillyardError("VERSION_MISMATCH", `The publish call names version ${given} but skill.yaml says ${yamlVersion}.`, {
        requested: given,
        manifest: yamlVersion,
      });
    }
    return yamlVersion;
  }
  if (given === undefined) {
    throw new SkillyardError("VERSION_REQUIRED", "A package with only SKILL.md needs the version in the publish call.");
  }
  if (!isStrictSemver(given)) throw invalid(null, [{ path: "/version", message: FORMAT_MESSAGES["strict-semver"] }]);
  return given;
}

function isKnownPermission(permission: string, known: ReadonlySet<string>): boolean {
  if (known.has(permission)) return true;
  for (const entry of known) {
    if (permission.startsWith(`${entry}:`)) return true;
  }
  return false;
}

export function parseManifest(files: ManifestFiles, options: ManifestOptions = {}): ManifestResult {
  const yamlPart = files.skillYaml === undefined ? null : readSkillYaml(files.skillYaml);
  const mdPart = files.skillMd === undefined ? null : readSkillMd(files.skillMd);
  // skill.yaml wins for the shared fields.
  const primary = yamlPart?.doc ?? mdPart;
  if (primary === null) {
    throw new SkillyardError("MANIFEST_MISSING", "The package has neither skill.yaml nor SKILL.md at its root.");
  }
  if (yamlPart !== null && mdPart !== null && yamlPart.doc.name !== mdPart.name) {
    throw new SkillyardError("MANIFEST_MISMATCH", `skill.yaml names the skill "${yamlPart.doc.name}" but SKILL.md names it "${mdPart.name}".`, {
      field: "name",
      skillYaml: yamlPart.doc.name,
      skillMd: mdPart.name,
    });
  }
  const version = resolveVersion(yamlPart?.doc.version ?? null, options.version);

  const doc = yamlPart?.doc;
  const permissions = [...new Set([...(doc?.permissions ?? []), ...(mdPart?.permissions ?? [])])].sort();
  if (options.knownPermissions !== undefined) {
    const known = options.knownPermissions;
    const unknown = permissions.filter((p) => !isKnownPermission(p, known));
    if (unknown.length > 0) {
      throw new SkillyardError("PERMISSION_UNKNOWN", `Unknown permission(s): ${unknown.join(", ")}.`, { permissions: unknown });
    }
  }

  const manifest: SkillManifest = {
    name: primary.name,
    version,
    description: primary.description,
    author: doc?.author ?? null,
    category: doc?.category ?? "general",
    tags: doc?.tags ?? [],
    license: doc?.license ?? mdPart?.license ?? null,
    requirements: {
      runtime: yamlPart?.runtime ?? null,
      memoryMb: doc?.requirements?.memory_mb ?? null,
      timeoutSeconds: doc?.requirements?.timeout_seconds ?? null,
    },
    dependencies: yamlPart?.dependencies ?? [],
    permissions,
    inputs: doc?.inputs ?? null,
    outputs: doc?.outputs ?? null,
    testCommand: doc?.tests?.command ?? null,
    allowedTools: mdPart?.allowedTools ?? [],
    metadata: mdPart?.metadata ?? {},
    source: yamlPart !== null && mdPart !== null ? "both" : yamlPart !== null ? "skill.yaml" : "SKILL.md",
  };
  return { manifest, warnings: mdPart?.warnings ?? [] };
}
