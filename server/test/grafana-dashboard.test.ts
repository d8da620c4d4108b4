import assert from "node:assert/strict";
import { METRICS_CONTRACT, type MetricShape } from "./support/metrics-contract";
import { readFileSync } from "node:fs";
import path from "node:path";
import { before, describe, test } from "node:test";
import type { Dashboard, Panel, RowPanel, VariableModel } from "@grafana/schema";
import { defaultDashboard } from "@grafana/schema";
import { collectDefaultMetrics, Registry } from "prom-client";
import { createLogger } from "../src/common/logger";
import { repoRoot } from "../src/common/repo-root";
import { Metrics } from "../src/observability/metrics";
import { typeCheck } from "./support/type-check";

/**
 * deploy/grafana/skillyard.json against Grafana's dashboard schema and the metrics contract.
 *
 * "Grafana's dashboard schema" here is the TypeScript form of it that Grafana publishes in
 * @grafana/schema (generated from its CUE "kinds"): the `Dashboard` type (classic JSON model,
 * schemaVersion ≤ defaultDashboard.schemaVersion) with its `Panel`, `RowPanel` and
 * `VariableModel`, and, per panel type, the panel plugin's `Options` and `FieldConfig`
 * (timeseries, stat). The JSON is checked as what it is on the wire: string enums (FieldColorModeId,
 * ThresholdsMode, …) as their string values. The TypeScript compiler checks types, required
 * fields and unknown (misspelt) fields of every object literal. The package ships no JSON Schema
 * or CUE file, and Grafana itself cannot run here, so this is the closest machine check.
 */

const DASHBOARD_FILE = path.join(repoRoot(), "deploy", "grafana", "skillyard.json");

const CONTRACT = METRICS_CONTRACT;

/** Labels every series has: the registry's default `role`, and what Prometheus adds when it scrapes. */
const TARGET_LABELS = ["role", "instance", "job"];

/** Name → type and label names of every metric in a prom-client registry. */
function registryMetrics(registry: Registry): Record<string, MetricShape> {
  const metrics: Record<string, MetricShape> = {};
  for (const metric of registry.getMetricsAsArray()) {
    const labelNames = "labelNames" in metric && Array.isArray(metric.labelNames) ? (metric.labelNames as string[]) : [];
    const type = String(metric.type);
    metrics[metric.name] = { type: type === "histogram" ? "histogram" : type === "counter" ? "counter" : "gauge", labels: [...labelNames].sort() };
  }
  return metrics;
}

/** prom-client's default metrics as the server registers them (collectDefaultMetrics, prefix "skillyard_"). */
function defaultMetrics(): Record<string, MetricShape> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "skillyard_" });
  return registryMetrics(registry);
}

/** Series name → labels, for the contract plus the default process metrics (histograms as _bucket, _sum, _count). */
function knownSeries(): Map<string, Set<string>> {
  const metrics: Record<string, MetricShape> = { ...defaultMetrics(), ...CONTRACT };
  const series = new Map<string, Set<string>>();
  for (const [name, { type, labels }] of Object.entries(metrics)) {
    const all = new Set([...labels, ...TARGET_LABELS]);
    if (type === "histogram") {
      series.set(`${name}_bucket`, new Set([...all, "le"]));
      series.set(`${name}_sum`, all);
      series.set(`${name}_count`, all);
    } else {
      series.set(name, all);
    }
  }
  return series;
}

// ---------------------------------------------------------------------------------------------
// The schema check: the dashboard and each panel as typed literals, compiled by TypeScript.

/** Panel types this check knows the options schema of; a panel of another type is refused. */
const PANEL_SCHEMAS: Readonly<Record<string, { module: string; options: string; fieldConfig: string }>> = {
  timeseries: {
    module: "@grafana/schema/dist/esm/raw/composable/timeseries/panelcfg/x/TimeSeriesPanelCfg_types.gen",
    options: "Options",
    fieldConfig: "FieldConfig",
  },
  stat: { module: "@grafana/schema/dist/esm/raw/composable/stat/panelcfg/x/StatPanelCfg_types.gen", options: "Options", fieldConfig: "" },
};

/** The JSON form of a schema type: string enums become their values ("palette-classic", not FieldColorModeId.PaletteClassic). */
const WIRE = `type Wire<T> = T extends string ? \`\${T}\` : T extends readonly (infer U)[] ? Wire<U>[] : T extends object ? { [K in keyof T]: Wire<T[K]> } : T;`;

/** TypeScript's complaints about `dashboard` (JSON-parsed), as "file:line:col message" lines; [] when it conforms. */
function schemaErrors(dashboard: unknown): string[] {
  const sources: Record<string, string> = {
    "grafana-dashboard.mts": `import type { Dashboard } from "@grafana/schema";\n${WIRE}\nexport const dashboard: Wire<Dashboard> = ${JSON.stringify(dashboard, null, 1)};\n`,
  };
  const panels = (dashboard as { panels?: unknown }).panels;
  const problems: string[] = [];
  if (Array.isArray(panels)) {
    panels.forEach((panel: unknown, i) => {
      const type = (panel as { type?: unknown }).type;
      if (type === "row") return;
      const schema = typeof type === "string" && Object.hasOwn(PANEL_SCHEMAS, type) ? PANEL_SCHEMAS[type] : undefined;
      if (!schema) {
        problems.push(`panels[${i}]: type ${JSON.stringify(type)} is not one this check has an options schema for (${Object.keys(PANEL_SCHEMAS).join(", ")})`);
        return;
      }
      const fieldConfig = schema.fieldConfig ? `P.${schema.fieldConfig}` : "Record<string, unknown>";
      sources[`grafana-panel-${i}-${type}.mts`] = [
        `import type { Panel, FieldConfigSource } from "@grafana/schema";`,
        `import type * as P from ${JSON.stringify(schema.module)};`,
        WIRE,
        `type Typed = Omit<Panel, "type" | "options" | "fieldConfig"> & { type: ${JSON.stringify(type)}; options: P.${schema.options}; fieldConfig: FieldConfigSource<${fieldConfig}> };`,
        `export const panel: Wire<Typed> = ${JSON.stringify(panel, null, 1)};`,
      ].join("\n");
    });
  }
  return [...problems, ...typeCheck(sources)];
}

// ---------------------------------------------------------------------------------------------
// PromQL: the metric names and labels an expression uses.

const AGGREGATIONS = new Set(["sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk", "topk", "quantile"]);
const FUNCTIONS = new Set([
  "abs", "absent", "absent_over_time", "avg_over_time", "ceil", "changes", "clamp", "clamp_max", "clamp_min", "count_over_time", "day_of_month",
  "day_of_week", "delta", "deriv", "exp", "floor", "histogram_quantile", "holt_winters", "hour", "idelta", "increase", "irate", "label_join",
  "label_replace", "last_over_time", "ln", "log10", "log2", "max_over_time", "min_over_time", "minute", "month", "predict_linear",
  "quantile_over_time", "rate", "resets", "round", "scalar", "sgn", "sort", "sort_desc", "sqrt", "stddev_over_time", "sum_over_time", "time",
  "timestamp", "vector", "year",
]); // prettier-ignore
const GROUPING = new Set(["by", "without", "on", "ignoring", "group_left", "group_right"]);
const KEYWORDS = new Set(["bool", "and", "or", "unless", "offset", "atan2"]);

interface Selector {
  metric: string;
  matchers: Map<string, string>;
}
interface PromqlUse {
  selectors: Selector[];
  /** Labels in by/without/on/ignoring/group_left/group_right clauses. */
  grouping: string[];
  variables: string[];
  problems: string[];
}

/** A small PromQL scanner: enough to list selectors, matchers, grouping labels and Grafana variables. */
function scanPromql(expr: string): PromqlUse {
  const use: PromqlUse = { selectors: [], grouping: [], variables: [], problems: [] };
  let i = 0;
  const skipSpace = () => {
    while (i < expr.length && /\s/.test(expr[i])) i++;
  };
  const readMatchers = (): Map<string, string> => {
    const end = expr.indexOf("}", i);
    if (end < 0) {
      use.problems.push(`unclosed { in ${expr}`);
      i = expr.length;
      return new Map();
    }
    const body = expr.slice(i + 1, end);
    i = end + 1;
    const matchers = new Map<string, string>();
    const matcher = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*(,|$)/y;
    let at = 0;
    while (at < body.length) {
      matcher.lastIndex = at;
      const m = matcher.exec(body);
      if (!m) {
        use.problems.push(`cannot read the label matchers {${body}}`);
        break;
      }
      matchers.set(m[1], `${m[2]}"${m[3]}"`);
      at = matcher.lastIndex;
    }
    return matchers;
  };
  while (i < expr.length) {
    skipSpace();
    const c = expr[i];
    if (c === undefined) break;
    if (c === "$") {
      const m = /^\$(?:\{([a-zA-Z0-9_]+)(?::[a-z]+)?\}|([a-zA-Z0-9_]+))/.exec(expr.slice(i));
      if (!m) {
        use.problems.push(`stray $ in ${expr}`);
        i++;
        continue;
      }
      use.variables.push(m[1] ?? m[2]);
      i += m[0].length;
    } else if (c === "[") {
      // A range or subquery duration: only a variable ($__rate_interval) matters in it.
      const end = expr.indexOf("]", i);
      const body = expr.slice(i + 1, end < 0 ? expr.length : end);
      for (const m of body.matchAll(/\$\{?([a-zA-Z0-9_]+)/g)) use.variables.push(m[1]);
      i = end < 0 ? expr.length : end + 1;
    } else if (c === '"' || c === "'") {
      const m = /^(["'])(?:[^\\]|\\.)*?\1/.exec(expr.slice(i));
      i += m ? m[0].length : expr.length;
    } else if (c === "{") {
      use.problems.push(`a selector without a metric name in ${expr}`);
      readMatchers();
    } else if (/[0-9.]/.test(c)) {
      i += /^[0-9.]+(e[+-]?[0-9]+)?/i.exec(expr.slice(i))?.[0].length ?? 1;
    } else if (/[a-zA-Z_:]/.test(c)) {
      const word = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(expr.slice(i))?.[0] ?? c;
      i += word.length;
      skipSpace();
      if (GROUPING.has(word)) {
        if (expr[i] === "(") {
          const end = expr.indexOf(")", i);
          use.grouping.push(
            ...expr
              .slice(i + 1, end)
              .split(",")
              .map((l) => l.trim())
              .filter(Boolean),
          );
          i = end + 1;
        }
      } else if (AGGREGATIONS.has(word) || KEYWORDS.has(word)) {
        // an operator: its arguments follow
      } else if (expr[i] === "(") {
        if (!FUNCTIONS.has(word)) use.problems.push(`${word}( is not a PromQL function`);
      } else {
        use.selectors.push({ metric: word, matchers: expr[i] === "{" ? readMatchers() : new Map() });
      }
    } else {
      i++; // operators, parentheses, commas
    }
  }
  return use;
}

/** The problems of one PromQL expression: unknown series, labels its series do not have, variables not defined. */
function promqlProblems(
  expr: string,
  series: ReadonlyMap<string, ReadonlySet<string>>,
  variables: ReadonlySet<string>,
  options: { legend?: string; scoped: boolean },
): string[] {
  const use = scanPromql(expr);
  const problems = [...use.problems];
  if (use.selectors.length === 0) problems.push(`names no metric: ${expr}`);
  const labels = new Set<string>();
  for (const { metric, matchers } of use.selectors) {
    const known = series.get(metric);
    if (!known) {
      problems.push(`${metric} is not in the metrics contract (nor a default process metric)`);
      continue;
    }
    known.forEach((l) => labels.add(l));
    for (const label of matchers.keys()) if (!known.has(label)) problems.push(`${metric} has no label ${label}`);
    if (options.scoped) {
      for (const [label, value] of [
        ["role", '=~"$role"'],
        ["instance", '=~"$instance"'],
      ]) {
        if (matchers.get(label) !== value) problems.push(`${metric} is not filtered by ${label}${value} (the dashboard's variables)`);
      }
    }
  }
  for (const label of use.grouping) if (!labels.has(label)) problems.push(`groups by ${label}, which none of its metrics has`);
  for (const v of use.variables) if (!variables.has(v)) problems.push(`uses $${v}, which is not a dashboard variable or a Grafana built-in`);
  for (const m of (options.legend ?? "").matchAll(/\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g)) {
    if (!labels.has(m[1])) problems.push(`legend {{${m[1]}}} is not a label of its metrics`);
  }
  return problems.map((p) => `${p} — in ${expr}`);
}

// ---------------------------------------------------------------------------------------------
// Layout and data-source checks on a dashboard that passed the schema check.

function allPanels(dashboard: Dashboard): (Panel | RowPanel)[] {
  return (dashboard.panels ?? []).flatMap((p) => (p.type === "row" && "panels" in p ? [p, ...(p as RowPanel).panels] : [p]));
}

const isRow = (panel: Panel | RowPanel): panel is RowPanel => panel.type === "row";

function layoutProblems(dashboard: Dashboard): string[] {
  const problems: string[] = [];
  const panels = allPanels(dashboard);
  const ids = panels.map((p) => p.id);
  if (ids.some((id) => id === undefined)) problems.push("a panel has no id");
  const duplicates = ids.filter((id, i) => ids.indexOf(id) !== i);
  if (duplicates.length) problems.push(`duplicate panel ids ${duplicates.join(", ")}`);
  const boxes: { id: number | undefined; x: number; y: number; w: number; h: number }[] = [];
  for (const panel of dashboard.panels ?? []) {
    const g = panel.gridPos;
    if (!g) {
      problems.push(`panel ${panel.id} has no gridPos`);
      continue;
    }
    if (!(Number.isInteger(g.x) && Number.isInteger(g.y) && Number.isInteger(g.w) && Number.isInteger(g.h)))
      problems.push(`panel ${panel.id}: gridPos is not whole numbers`);
    if (g.x < 0 || g.y < 0 || g.w < 1 || g.h < 1 || g.x + g.w > 24)
      problems.push(`panel ${panel.id}: gridPos ${JSON.stringify(g)} is outside the 24-column grid`);
    if (isRow(panel) && (g.x !== 0 || g.w !== 24 || g.h !== 1)) problems.push(`row ${panel.id} does not span the grid`);
    for (const other of boxes) {
      if (g.x < other.x + other.w && other.x < g.x + g.w && g.y < other.y + other.h && other.y < g.y + g.h)
        problems.push(`panels ${other.id} and ${panel.id} overlap`);
    }
    boxes.push({ id: panel.id, ...g });
  }
  // Rows group panels: the first panel is a row, and panels are listed top to bottom.
  const top = dashboard.panels ?? [];
  if (top.length && !isRow(top[0])) problems.push("the first panel is not a row");
  for (let i = 1; i < top.length; i++) {
    const [a, b] = [top[i - 1].gridPos, top[i].gridPos];
    if (a && b && (b.y < a.y || (b.y === a.y && b.x <= a.x))) problems.push(`panel ${top[i].id} is listed before a panel above or left of it`);
  }
  return problems;
}

interface PrometheusTarget {
  refId?: unknown;
  expr?: unknown;
  legendFormat?: unknown;
  datasource?: unknown;
}

const DATASOURCE_REF = { type: "prometheus", uid: "${datasource}" };
/** Grafana's built-in variables a query may use. */
const BUILT_IN_VARIABLES = ["__rate_interval", "__interval", "__range", "__interval_ms", "__range_s"];

function queryProblems(dashboard: Dashboard, series: ReadonlyMap<string, ReadonlySet<string>>): string[] {
  const variables = dashboard.templating?.list ?? [];
  const names = new Set([...variables.map((v) => v.name), ...BUILT_IN_VARIABLES]);
  const problems: string[] = [];
  const datasourceVariable = variables.find((v) => v.type === "datasource");
  if (!datasourceVariable || datasourceVariable.name !== "datasource" || datasourceVariable.query !== "prometheus") {
    problems.push('no template variable "datasource" of type datasource for prometheus');
  }
  for (const name of ["role", "instance"]) {
    const variable = variables.find((v) => v.name === name);
    if (!variable || variable.type !== "query") problems.push(`no query variable "${name}"`);
  }
  for (const variable of variables.filter((v): v is VariableModel & { query: string } => v.type === "query" && typeof v.query === "string")) {
    if (JSON.stringify(variable.datasource) !== JSON.stringify(DATASOURCE_REF)) problems.push(`variable ${variable.name} does not query the $datasource`);
    const m = /^label_values\((.+),\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)$/.exec(variable.query);
    if (!m) {
      problems.push(`variable ${variable.name}: ${variable.query} is not label_values(selector, label)`);
      continue;
    }
    const [, selector, label] = m;
    problems.push(...promqlProblems(selector, series, names, { scoped: false, legend: `{{${label}}}` }).map((p) => `variable ${variable.name}: ${p}`));
  }
  for (const panel of allPanels(dashboard)) {
    if (isRow(panel)) continue;
    if (JSON.stringify(panel.datasource) !== JSON.stringify(DATASOURCE_REF))
      problems.push(`panel ${panel.id} (${panel.title}) does not use the $datasource variable`);
    const targets = (panel.targets ?? []) as PrometheusTarget[];
    if (targets.length === 0) problems.push(`panel ${panel.id} (${panel.title}) has no query`);
    const refIds = targets.map((t) => t.refId);
    if (new Set(refIds).size !== refIds.length) problems.push(`panel ${panel.id}: duplicate refIds`);
    for (const t of targets) {
      if (t.datasource !== undefined && JSON.stringify(t.datasource) !== JSON.stringify(DATASOURCE_REF))
        problems.push(`panel ${panel.id} query ${String(t.refId)} uses another data source`);
      if (typeof t.expr !== "string") {
        problems.push(`panel ${panel.id} query ${String(t.refId)} has no PromQL expr`);
        continue;
      }
      const legend = typeof t.legendFormat === "string" ? t.legendFormat : undefined;
      problems.push(...promqlProblems(t.expr, series, names, { scoped: true, legend }).map((p) => `panel ${panel.id} (${panel.title}): ${p}`));
    }
    for (const m of (panel.title ?? "").matchAll(/\$\{?([a-zA-Z0-9_]+)/g))
      if (!names.has(m[1])) problems.push(`panel ${panel.id} title uses $${m[1]}, which is not defined`);
  }
  return problems;
}

/** Every metric of the contract, and the process metrics the brief names, are on some panel. */
function coverageProblems(dashboard: Dashboard): string[] {
  const used = new Set<string>();
  for (const panel of allPanels(dashboard)) {
    for (const t of (panel as Panel).targets ?? []) {
      const expr = (t as PrometheusTarget).expr;
      if (typeof expr === "string") scanPromql(expr).selectors.forEach((s) => used.add(s.metric.replace(/_(bucket|sum|count)$/, "")));
    }
  }
  const wanted = [
    ...Object.keys(CONTRACT),
    "skillyard_process_resident_memory_bytes",
    "skillyard_process_cpu_seconds_total",
    "skillyard_nodejs_eventloop_lag_p99_seconds",
  ];
  return wanted.filter((m) => !used.has(m)).map((m) => `no panel shows ${m}`);
}

// ---------------------------------------------------------------------------------------------

describe("Grafana dashboard (deploy/grafana/skillyard.json)", () => {
  let raw: unknown;
  let dashboard: Dashboard;
  let series: Map<string, Set<string>>;

  before(() => {
    raw = JSON.parse(readFileSync(DASHBOARD_FILE, "utf8"));
    dashboard = raw as Dashboard; // only read after the schema test below passes
    series = knownSeries();
  });

  test("conforms to Grafana's dashboard schema (@grafana/schema Dashboard, and each panel's Options/FieldConfig)", () => {
    assert.deepEqual(schemaErrors(raw), []);
    assert.ok(dashboard.schemaVersion <= (defaultDashboard.schemaVersion ?? 0), `schemaVersion ${dashboard.schemaVersion} is newer than the schema's`);
    assert.equal(dashboard.uid, "skillyard");
    assert.ok(dashboard.title);
  });

  test("layout: unique panel ids, gridPos within 24 columns, no overlaps, panels grouped under rows", () => {
    assert.deepEqual(layoutProblems(dashboard), []);
    const rows = (dashboard.panels ?? []).filter(isRow).map((r) => r.title);
    assert.ok(rows.length >= 5, `rows group the panels: ${rows.join(", ")}`);
  });

  test("queries: the $datasource variable everywhere, role and instance variables, only contract metrics and their labels", () => {
    assert.deepEqual(queryProblems(dashboard, series), []);
    assert.deepEqual(coverageProblems(dashboard), []);
  });

  test("the contract is what the server registers (server/src/observability/metrics.ts), besides the default process metrics", () => {
    const registered = registryMetrics(new Metrics("api", createLogger("silent")).registry);
    const defaults = defaultMetrics();
    const own = Object.fromEntries(Object.entries(registered).filter(([name]) => !(name in defaults)));
    const contract = Object.fromEntries(Object.entries(CONTRACT).map(([name, shape]) => [name, { ...shape, labels: [...shape.labels].sort() }]));
    assert.deepEqual(own, contract);
    for (const name of Object.keys(defaults)) assert.ok(name in registered, `the server does not register the default metric ${name}`);
  });

  test("negative controls: a wrong type, a misspelt field, an unknown panel type, an overlap and an unknown metric are refused", () => {
    const wrongType = structuredClone(raw) as { panels: { gridPos: { w: unknown } }[] };
    wrongType.panels[1].gridPos.w = "4";
    assert.match(schemaErrors(wrongType).join("\n"), /Type 'string' is not assignable to type 'number'/);

    const misspelt = structuredClone(raw) as { templating: { list: Record<string, unknown>[] } };
    misspelt.templating.list[0].multiple = true;
    assert.match(schemaErrors(misspelt).join("\n"), /'"?multiple"?' does not exist in type/);

    const badEnum = structuredClone(raw) as { panels: { type: string; fieldConfig?: { defaults: { color?: { mode: string } } } }[] };
    const timeseries = badEnum.panels.find((p) => p.type === "timeseries");
    assert.ok(timeseries?.fieldConfig?.defaults.color);
    timeseries.fieldConfig.defaults.color.mode = "rainbow";
    assert.match(schemaErrors(badEnum).join("\n"), /"rainbow"/);

    const badOptions = structuredClone(raw) as { panels: { type: string; options?: { tooltip?: unknown } }[] };
    const withTooltip = badOptions.panels.find((p) => p.type === "timeseries");
    assert.ok(withTooltip?.options);
    delete withTooltip.options.tooltip;
    assert.match(schemaErrors(badOptions).join("\n"), /tooltip/);

    const unknownPanel = structuredClone(raw) as { panels: { type: string }[] };
    unknownPanel.panels[1].type = "piechart";
    assert.match(schemaErrors(unknownPanel).join("\n"), /"piechart" is not one this check has an options schema for/);

    const overlapping = structuredClone(dashboard);
    const [, first, second] = overlapping.panels ?? [];
    assert.ok(first.gridPos && second.gridPos);
    second.gridPos.x = first.gridPos.x + 1;
    assert.match(layoutProblems(overlapping).join("\n"), /overlap/);

    const variables = new Set(["role", "instance", "__rate_interval"]);
    const scoped = 'role=~"$role", instance=~"$instance"';
    assert.deepEqual(
      promqlProblems(`sum by (route) (rate(skillyard_http_request_duration_seconds_count{${scoped}}[$__rate_interval]))`, series, variables, { scoped: true }),
      [],
    );
    for (const [expr, problem] of [
      [`sum(rate(skillyard_http_requests_total{${scoped}}[5m]))`, /skillyard_http_requests_total is not in the metrics contract/],
      [`sum by (path) (rate(skillyard_http_request_duration_seconds_count{${scoped}}[5m]))`, /groups by path/],
      [`rate(skillyard_errors_total{${scoped}, route="/graphql"}[5m])`, /skillyard_errors_total has no label route/],
      [`rate(skillyard_errors_total{role=~"$role"}[5m])`, /not filtered by instance/],
      [`rat(skillyard_errors_total{${scoped}}[5m])`, /rat\( is not a PromQL function/],
      [`rate(skillyard_errors_total{${scoped}}[$__interval_typo])`, /\$__interval_typo/],
      [`skillyard_queue_depth_bucket{${scoped}}`, /skillyard_queue_depth_bucket is not in the metrics contract/],
    ] as const) {
      assert.match(promqlProblems(expr, series, variables, { scoped: true }).join("\n"), problem, expr);
    }
    assert.match(
      promqlProblems(`skillyard_queue_depth{${scoped}}`, series, variables, { scoped: true, legend: "{{route}}" }).join("\n"),
      /legend \{\{route\}\}/,
    );

    const noDatasource = structuredClone(dashboard);
    const panel = (noDatasource.panels ?? []).find((p) => !isRow(p));
    assert.ok(panel);
    panel.datasource = { type: "prometheus", uid: "prometheus-prod" };
    assert.match(queryProblems(noDatasource, series).join("\n"), /does not use the \$datasource variable/);
  });
});
