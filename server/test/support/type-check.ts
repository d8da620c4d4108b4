import path from "node:path";
import ts from "typescript";

/**
 * Type-checks TypeScript sources that exist only in memory, as if they were files in server/test
 * (so `import type … from "kubernetes-models/…"` or `"@grafana/schema"` resolve from this checkout's
 * node_modules), with the repository's strict compiler options. Returns the diagnostics of those
 * sources, one line each ("file:line:col message"); [] means they type-check.
 *
 * Sources are named `*.mts` so they are ES modules: type-only imports of ESM-only packages
 * (kubernetes-models) then need no `resolution-mode` attribute.
 */
export function typeCheck(sources: Readonly<Record<string, string>>): string[] {
  const dir = path.join(__dirname, "..");
  const virtual = new Map(Object.entries(sources).map(([name, text]) => [path.join(dir, name), text]));
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.Node16,
    moduleResolution: ts.ModuleResolutionKind.Node16,
    lib: ["lib.es2023.d.ts"],
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
  };
  const host = ts.createCompilerHost(options, true);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (file) => virtual.has(file) || fileExists.call(host, file);
  host.readFile = (file) => virtual.get(file) ?? readFile.call(host, file);
  host.getSourceFile = (file, languageVersion, onError, shouldCreate) => {
    const text = virtual.get(file);
    if (text !== undefined) return ts.createSourceFile(file, text, languageVersion, true);
    return getSourceFile.call(host, file, languageVersion, onError, shouldCreate);
  };
  const program = ts.createProgram([...virtual.keys()], options, host);
  return ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file === undefined || virtual.has(d.file.fileName))
    .map((d) => {
      const message = ts.flattenDiagnosticMessageText(d.messageText, "\n");
      if (!d.file || d.start === undefined) return message;
      const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
      return `${path.basename(d.file.fileName)}:${line + 1}:${character + 1} ${message}`;
    });
}
