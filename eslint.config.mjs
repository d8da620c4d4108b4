// ESLint for every workspace (`npm run lint`, part of `npm test`). Formatting is Prettier's.
import js from "@eslint/js";
import reactHooks from "eslint-plugin-react-hooks";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    // Built output, generated code (codegen, TypeORM migrations) and third-party files.
    ignores: ["**/dist/**", "**/node_modules/**", "admin/src/gql/**", "cli/src/gql/**", "migrations/**", ".data/**", "e2e/screenshots/**", "bench/results/**"],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" }],
      eqeqeq: ["error", "always"],
      "no-console": ["error", { allow: ["error", "warn"] }],
    },
  },
  {
    files: ["admin/src/**/*.{ts,tsx}"],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { "react-hooks": reactHooks },
    // The two classic rules; the React Compiler's rules (react-hooks v7's recommended set) assume the compiler, which the console does not use.
    rules: { "react-hooks/rules-of-hooks": "error", "react-hooks/exhaustive-deps": "error" },
  },
  {
    // type-graphql identifies resolver classes by their constructors, typed `Function` in its API.
    files: ["server/src/identity/access.ts", "server/src/graphql/subgraphs.ts", "server/src/composition-root.ts"],
    rules: { "@typescript-eslint/no-unsafe-function-type": "off" },
  },
  {
    // Matching control characters is what these files are for (terminal sanitising, archive path rules).
    files: ["cli/src/output.ts", "cli/test/terminal.test.ts", "core/src/archive.ts"],
    rules: { "no-control-regex": "off" },
  },
  {
    // The CommonJS launcher of the compiled CLI.
    files: ["cli/bin/*.js"],
    languageOptions: { sourceType: "commonjs" },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  {
    // Command-line programs and benchmarks print to the console on purpose.
    files: ["cli/**/*.ts", "bench/**/*.ts", "bench/**/*.mjs", "scripts/**/*.mjs", "server/scripts/**/*.ts", "server/src/graphql/compose-cli.ts"],
    rules: { "no-console": "off" },
  },
);
