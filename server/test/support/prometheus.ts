/** One sample of a Prometheus text exposition: `name{label="value",…} value`. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A parsed `/metrics` answer: its samples and each metric family's `# TYPE`. */
export class Exposition {
  constructor(
    readonly samples: readonly Sample[],
    readonly types: ReadonlyMap<string, string>,
  ) {}

  /** The samples named `name` whose labels include every pair of `match`. */
  find(name: string, match: Record<string, string> = {}): Sample[] {
    return this.samples.filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v));
  }

  /** The sum of those samples' values; 0 when there are none. */
  sum(name: string, match: Record<string, string> = {}): number {
    return this.find(name, match).reduce((total, s) => total + s.value, 0);
  }
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Parses the Prometheus text format (0.0.4) strictly enough that a malformed line fails the test. */
export function parseExposition(text: string): Exposition {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    if (line.startsWith("#")) {
      const type = /^# TYPE (\S+) (\S+)$/.exec(line);
      if (type) types.set(type[1], type[2]);
      continue;
    }
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, raw] of (match[2] ?? "").matchAll(LABEL)) labels[key] = raw.replace(/\\n/g, "\n").replace(/\\(["\\])/g, "$1");
    // Prometheus reads NaN and Inf in any case (prom-client writes "Nan").
    const raw = match[3].toLowerCase();
    const value = raw === "nan" ? NaN : raw === "+inf" || raw === "inf" ? Infinity : raw === "-inf" ? -Infinity : Number(match[3]);
    if (Number.isNaN(value) && raw !== "nan") throw new Error(`not a sample value: ${line}`);
    samples.push({ name: match[1], labels, value });
  }
  return new Exposition(samples, types);
}
