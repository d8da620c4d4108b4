import { skillYaml } from "./seed";

/** A Python skill whose tests pass `passing` of `total` tests, printing a line from each. */
export function pythonSkill(
  name: string,
  version: string,
  options: { passing?: number; total?: number; timeoutSeconds?: number; memoryMb?: number; body?: string } = {},
): Record<string, string> {
  const total = options.total ?? 3;
  const passing = options.passing ?? total;
  const tests = Array.from({ length: total }, (_, i) =>
    [`def test_case_${i}():`, `    print("running case ${i}")`, `    assert ${i < passing ? "True" : "False"}, "case ${i} is meant to fail"`].join("\n"),
  ).join("\n\n");
  return {
    "skill.yaml": skillYaml({
      name,
      version,
      requirements: { runtime: "python3.11", memory_mb: options.memoryMb ?? 128, timeout_seconds: options.timeoutSeconds ?? 60 },
    }),
    "src/main.py": "def run():\n    return 42\n",
    "tests/test_skill.py": `${options.body ?? ""}\n${tests}\n`,
  };
}
