import "reflect-metadata";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, test } from "node:test";
import { ConfigError, loadConfig, loadTracingConfig } from "../src/config";
import { repoRoot } from "../src/common/repo-root";

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe("configuration", () => {
  test("defaults: port 4000, .data under the repository, embedded PostgreSQL, loopback PUBLIC_URL", () => {
    const config = loadConfig({});
    assert.equal(config.port, 4000);
    assert.equal(config.dataDir, path.join(repoRoot(), ".data"));
    assert.equal(config.databaseUrl, undefined);
    assert.equal(config.publicUrl, "http://127.0.0.1:4000");
  });

  test("evals: gated tiers as a list or NONE, a judge only with its URL, its own key before ANTHROPIC_API_KEY", () => {
    assert.deepEqual(loadConfig({}).evals.gatedTiers, ["HIGH"]);
    assert.equal(loadConfig({}).evals.judge, null);
    assert.deepEqual(loadConfig({ EVAL_GATED_TIERS: " MEDIUM, HIGH ,MEDIUM" }).evals.gatedTiers, ["MEDIUM", "HIGH"]);
    assert.deepEqual(loadConfig({ EVAL_GATED_TIERS: "NONE" }).evals.gatedTiers, []);
    const judged = loadConfig({ EVAL_JUDGE_URL: "http://127.0.0.1:9/", ANTHROPIC_API_KEY: "sk-test" }).evals.judge;
    assert.deepEqual(judged, { url: "http://127.0.0.1:9/", model: "claude-sonnet-4-5", apiKey: "sk-test", maxCallsPerRun: 100 });
    assert.equal(loadConfig({ EVAL_JUDGE_URL: "http://127.0.0.1:9/", ANTHROPIC_API_KEY: "a", EVAL_JUDGE_API_KEY: "b" }).evals.judge?.apiKey, "b");
    const found = problems({ EVAL_GATED_TIERS: "HIGH,SOMETIMES", EVAL_JUDGE_URL: "ftp://judge", EVAL_MAX_REGRESSION: "2" });
    assert.deepEqual(found.map((p) => p.split(" ")[0]).sort(), ["EVAL_GATED_TIERS", "EVAL_JUDGE_URL", "EVAL_MAX_REGRESSION"]);
    assert.ok(found.includes('EVAL_GATED_TIERS must be NONE or a comma-separated list of HIGH, MEDIUM, LOW (got "HIGH,SOMETIMES")'), found.join("\n"));
  });

  test("DOWNLOADS_ROLLUP_INTERVAL_SECONDS: 5 by default, 1 to 3600 seconds", () => {
    assert.equal(loadConfig({}).downloadsRollupIntervalSeconds, 5);
    assert.equal(loadConfig({ DOWNLOADS_ROLLUP_INTERVAL_SECONDS: "60" }).downloadsRollupIntervalSeconds, 60);
    for (const bad of ["0", "3601", "1.5", "soon"]) {
      assert.ok(
        problems({ DOWNLOADS_ROLLUP_INTERVAL_SECONDS: bad }).some((p) => p.startsWith("DOWNLOADS_ROLLUP_INTERVAL_SECONDS ")),
        `${bad} is refused with the variable's name`,
      );
    }
  });

  test("single sign-on: all three OIDC variables or none, https except on loopback; session, CLI token and SCIM settings", () => {
    const defaults = loadConfig({});
    assert.equal(defaults.oidc, null);
    assert.deepEqual(defaults.sessions, { idleMinutes: 60, maxHours: 12 });
    assert.equal(defaults.cliTokenTtlDays, 30);
    assert.equal(defaults.scimToken, null);
    const sso = { OIDC_ISSUER: "https://login.example.com/realms/corp", OIDC_CLIENT_ID: "skillyard", OIDC_CLIENT_SECRET: "s3cret-value" };
    assert.deepEqual(loadConfig(sso).oidc, {
      issuer: "https://login.example.com/realms/corp",
      clientId: "skillyard",
      clientSecret: "s3cret-value",
      scopes: "openid email profile groups",
      groupsClaim: "groups",
      insecureLoopback: false,
    });
    assert.equal(loadConfig({ ...sso, OIDC_ISSUER: "http://127.0.0.1:9000" }).oidc?.insecureLoopback, true);
    assert.equal(loadConfig({ ...sso, OIDC_ISSUER: "http://[::1]:9000" }).oidc?.insecureLoopback, true);
    const custom = loadConfig({ ...sso, OIDC_SCOPES: "openid email", OIDC_GROUPS_CLAIM: "roles", SESSION_IDLE_MINUTES: "15", SESSION_MAX_HOURS: "8" });
    assert.deepEqual([custom.oidc?.scopes, custom.oidc?.groupsClaim, custom.sessions], ["openid email", "roles", { idleMinutes: 15, maxHours: 8 }]);
    assert.equal(loadConfig({ CLI_TOKEN_TTL_DAYS: "7", SCIM_TOKEN: "x".repeat(32) }).cliTokenTtlDays, 7);
    assert.equal(loadConfig({ SCIM_TOKEN: "x".repeat(32) }).scimToken, "x".repeat(32));

    assert.deepEqual(problems({ OIDC_ISSUER: sso.OIDC_ISSUER, OIDC_CLIENT_ID: "skillyard" }), [
      "single sign-on needs OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET together (missing: OIDC_CLIENT_SECRET)",
    ]);
    assert.deepEqual(problems({ ...sso, OIDC_ISSUER: "http://login.example.com" }), [
      'OIDC_ISSUER must be an https:// URL (http:// only on a loopback address) (got "http://login.example.com")',
    ]);
    const found = problems({
      ...sso,
      OIDC_SCOPES: "email profile",
      SESSION_IDLE_MINUTES: "0",
      SESSION_MAX_HOURS: "soon",
      CLI_TOKEN_TTL_DAYS: "0",
      SCIM_TOKEN: "short-secret",
    });
    assert.deepEqual(found.map((p) => p.split(" ")[0]).sort(), [
      "CLI_TOKEN_TTL_DAYS",
      "OIDC_SCOPES",
      "SCIM_TOKEN",
      "SESSION_IDLE_MINUTES",
      "SESSION_MAX_HOURS",
    ]);
    assert.ok(found.includes('OIDC_SCOPES must include openid (got "email profile")'), found.join("\n"));
    // Secrets are never echoed back.
    assert.ok(!found.join("\n").includes("short-secret"));
    assert.ok(
      !problems({ ...sso, OIDC_CLIENT_SECRET: "bad\u0001secret" })
        .join("\n")
        .includes("secret"),
      "the client secret is hidden",
    );
  });

  test("API tokens: 90 days by default, at most 365; the default may not exceed the maximum", () => {
    assert.deepEqual(loadConfig({}).tokens, { defaultTtlDays: 90, maxTtlDays: 365 });
    assert.deepEqual(loadConfig({ TOKEN_DEFAULT_TTL_DAYS: "30", TOKEN_MAX_TTL_DAYS: "30" }).tokens, { defaultTtlDays: 30, maxTtlDays: 30 });
    for (const [name, bad] of [
      ["TOKEN_DEFAULT_TTL_DAYS", "0"],
      ["TOKEN_MAX_TTL_DAYS", "3651"],
      ["TOKEN_MAX_TTL_DAYS", "a year"],
    ]) {
      assert.ok(
        problems({ [name]: bad }).some((p) => p.startsWith(`${name} `)),
        `${name}=${bad} is refused with the variable's name`,
      );
    }
    assert.deepEqual(problems({ TOKEN_DEFAULT_TTL_DAYS: "400" }), ["TOKEN_DEFAULT_TTL_DAYS (400) must not be above TOKEN_MAX_TTL_DAYS (365)"]);
  });

  test("TRUSTED_PROXIES: none by default; addresses, CIDR ranges and Express's names, as networks", () => {
    assert.deepEqual(loadConfig({}).trustedProxies, []);
    const shown = (env: Record<string, string>) => loadConfig(env).trustedProxies.map((n) => `${n.family}:${n.network.toString(16)}/${n.prefix}`);
    assert.deepEqual(shown({ TRUSTED_PROXIES: "10.0.0.7, 172.16.0.0/12,::1" }), ["4:a000007/32", "4:ac100000/12", "6:1/128"]);
    assert.deepEqual(shown({ TRUSTED_PROXIES: "loopback" }), ["4:7f000000/8", "6:1/128"]);
    assert.equal(loadConfig({ TRUSTED_PROXIES: "uniquelocal,linklocal" }).trustedProxies.length, 6);
    for (const bad of ["true", "2", "10.0.0.0/33", "proxy.internal", "loopback,10.0.0.300"]) {
      const found = problems({ TRUSTED_PROXIES: bad });
      assert.equal(found.length, 1, `${bad}: ${found.join("; ")}`);
      assert.match(found[0], /^TRUSTED_PROXIES must be addresses, CIDR ranges or loopback, linklocal, uniquelocal/);
    }
  });

  test("every bad value is reported with the variable's name", () => {
    const found = problems({
      PORT: "eighty",
      DATABASE_URL: "mysql://x",
      PUBLIC_URL: "ftp://x",
      NODE_ENV: "staging",
      MAX_PACKAGE_BYTES: "-1",
      SKILLYARD_BOOTSTRAP_TOKEN: "short",
    });
    for (const name of ["PORT", "DATABASE_URL", "PUBLIC_URL", "NODE_ENV", "MAX_PACKAGE_BYTES", "SKILLYARD_BOOTSTRAP_TOKEN"]) {
      assert.ok(
        found.some((p) => p.startsWith(`${name} `)),
        `${name} not named in ${JSON.stringify(found)}`,
      );
    }
    // Secrets are never echoed back.
    assert.ok(!found.join("\n").includes("short"));
  });

  test("observability: LOG_FORMAT, METRICS_TOKEN and the OTLP endpoints, each bad value a clear ConfigError", () => {
    const defaults = loadConfig({});
    assert.equal(defaults.logFormat, null);
    assert.equal(defaults.metricsToken, null);
    assert.equal(defaults.tracing, null);
    assert.equal(loadTracingConfig({}), null);
    assert.equal(loadConfig({ LOG_FORMAT: "pretty" }).logFormat, "pretty");
    assert.equal(loadConfig({ LOG_FORMAT: "json" }).logFormat, "json");
    assert.equal(loadConfig({ METRICS_TOKEN: "0123456789abcdef" }).metricsToken, "0123456789abcdef");
    // The generic endpoint gets the traces path appended; the traces endpoint is used as it is, and wins.
    assert.deepEqual(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318/" }).tracing, { tracesUrl: "http://collector:4318/v1/traces" });
    assert.deepEqual(
      loadTracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318", OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "https://traces.example/otlp" }),
      { tracesUrl: "https://traces.example/otlp" },
    );
    assert.equal(loadTracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: "" }), null, "an empty value counts as unset");

    const found = problems({
      LOG_FORMAT: "colourful",
      METRICS_TOKEN: "short secret",
      OTEL_EXPORTER_OTLP_ENDPOINT: "grpc://collector:4317",
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "collector",
    });
    assert.deepEqual(found.map((p) => p.split(" ")[0]).sort(), [
      "LOG_FORMAT",
      "METRICS_TOKEN",
      "OTEL_EXPORTER_OTLP_ENDPOINT",
      "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    ]);
    assert.ok(found.includes('LOG_FORMAT must be "json" or "pretty" (got "colourful")'), found.join("\n"));
    assert.ok(found.includes("METRICS_TOKEN must be 16-256 printable ASCII characters without spaces (got (hidden))"), found.join("\n"));
    assert.ok(
      found.includes('OTEL_EXPORTER_OTLP_ENDPOINT must be an http:// or https:// URL (an OTLP/HTTP collector) (got "grpc://collector:4317")'),
      found.join("\n"),
    );
    assert.ok(!found.join("\n").includes("short secret"), "the token is never echoed");
    // The tracing bootstrap reads the same definitions, with the same errors.
    assert.throws(
      () => loadTracingConfig({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "collector" }),
      (error: unknown) => error instanceof ConfigError && error.problems[0] === found.find((p) => p.startsWith("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ")),
    );
  });

  test("a bad OTLP endpoint stops the server with the configuration error (the tracing bootstrap leaves it to loadConfig)", () => {
    const main = path.join(repoRoot(), "server", "src", "main.ts");
    const result = spawnSync(process.execPath, ["-r", "@swc-node/register", main], {
      env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: "grpc://collector:4317", DATA_DIR: "/nonexistent-never-used" },
      encoding: "utf8",
      timeout: 30_000,
    });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /Invalid configuration:\n\s+- OTEL_EXPORTER_OTLP_ENDPOINT must be an http:\/\/ or https:\/\/ URL/);
    assert.doesNotMatch(result.stderr, /\n\s+at /, "no stack trace");
  });

  test("the server process refuses to start on a bad value and names the variable", () => {
    const main = path.join(repoRoot(), "server", "src", "main.ts");
    const result = spawnSync(process.execPath, ["-r", "@swc-node/register", main], {
      env: { ...process.env, PORT: "99999", DATA_DIR: "/nonexistent-never-used" },
      encoding: "utf8",
      timeout: 30_000,
    });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /Invalid configuration:\n\s+- PORT /);
  });
});
