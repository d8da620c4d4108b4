/**
 * Terminal output: colours (only on a TTY and when NO_COLOR is unset), aligned tables, a progress
 * bar and a status line with a spinner (both on stderr, TTY only), and JSON for --json.
 *
 * Much of what is printed was written by others (descriptions, yank reasons, deprecation messages,
 * test output, error messages). Every line of human output (Output's lines, notes and warnings,
 * error lines, the status line) goes out through `terminalText`, which strips all control sequences
 * and characters from it, so none of that text can retitle the window, clear the screen, move the
 * cursor or hide what follows. The CLI's own colours survive because they travel as markers
 * carrying a random per-process nonce, which text from elsewhere cannot forge, and turn into SGR
 * codes only after stripping.
 */
import { randomBytes } from "node:crypto";

export interface Colors {
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
}

type Stream = NodeJS.WriteStream;

/** Starts every style marker: a private-use character and the nonce. */
const STYLE_PREFIX = `\uE000${randomBytes(8).toString("hex")}:`;
/** The CLI's own SGR code `code`, as a marker: the prefix, the code, a closing private-use character. */
const styleMark = (code: number) => `${STYLE_PREFIX}${code}\uE001`;
const STYLE_MARKS = new RegExp(`${STYLE_PREFIX}(\\d+)\uE001`, "g");

/**
 * Escape sequences as terminals parse them: CSI (ESC [ or C1 U+009B, parameters, final byte); the
 * string controls OSC, DCS, SOS, PM and APC (ESC ] P X ^ _ or C1 U+009D U+0090 U+0098 U+009E
 * U+009F) up to BEL or ST, and no further than a style marker; any other ESC sequence.
 */
const CONTROL_SEQUENCE =
  /(?:\u001b\[|\u009b)[0-?]*[ -/]*[@-~]|(?:\u001b[\]PX^_]|[\u0090\u0098\u009d-\u009f])[^\u0007\u001b\u009c\uE000]*(?:\u0007|\u001b\\|\u009c)|\u001b[ -/]*[0-~]/g;
/** C0 controls but the newline, DEL and C1 controls: whatever is left of them after the sequences. */
const CONTROL_CHARACTER = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g;

/**
 * `text` with nothing a terminal would act on but newlines: escape sequences are removed whole (a
 * coloured test log reads as plain text), a tab becomes a space, CRLF a newline, and any other
 * control character (a lone ESC or CR, BEL, a C1 code) a visible U+FFFD. The CLI's style markers
 * are kept.
 */
export function sanitize(text: string): string {
  return text.replace(/\r\n/g, "\n").replace(CONTROL_SEQUENCE, "").replace(/\t/g, " ").replace(CONTROL_CHARACTER, "\uFFFD");
}

/** What reaches the terminal: `text` sanitised, then the CLI's own style markers as SGR codes. */
export function terminalText(text: string): string {
  return sanitize(text).replace(STYLE_MARKS, (_, code: string) => `\u001b[${code}m`);
}

/** The text a reader sees: sanitised, without styles. */
function visibleText(text: string): string {
  return sanitize(text).replace(STYLE_MARKS, "");
}

/**
 * `value` as JSON for a terminal or a pipe: JSON.stringify escapes C0 controls but writes C1 ones
 * (U+0080-U+009F, which some terminals obey) and DEL raw, so those are escaped too. It parses to
 * exactly the same value.
 */
export function jsonText(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(/[\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/**
 * A reader that goes away (`skillyard search | head -1`) ends the output, not the command: EPIPE
 * on stdout or stderr is swallowed here, once for the process, and the stream, now destroyed, drops
 * later writes. So there is no crash or stack trace, the command still finishes its work (an
 * install still writes its lockfile, a publish still follows its tests) and exits with its own
 * code. Any other error on these streams stays fatal.
 */
export function endOutputOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code !== "EPIPE") throw err;
    });
  }
}

function colorEnabled(stream: Stream): boolean {
  const noColor = process.env.NO_COLOR;
  return Boolean(stream.isTTY) && (noColor === undefined || noColor === "");
}

export function colorsFor(stream: Stream): Colors {
  const on = colorEnabled(stream);
  const wrap = (open: number, close: number) => (text: string) => (on ? `${styleMark(open)}${text}${styleMark(close)}` : text);
  return { bold: wrap(1, 22), dim: wrap(2, 22), red: wrap(31, 39), green: wrap(32, 39), yellow: wrap(33, 39), cyan: wrap(36, 39) };
}

/** Display width in terminal cells of what a reader sees; counts code points (good enough for the symbols used here). */
export function width(text: string): number {
  return [...visibleText(text)].length;
}

export function truncate(text: string, max: number): string {
  if (max <= 0) return "";
  const chars = [...text];
  if (chars.length <= max) return text;
  return max === 1 ? "…" : `${chars.slice(0, max - 1).join("")}…`;
}

export function padEnd(text: string, cells: number): string {
  return text + " ".repeat(Math.max(0, cells - width(text)));
}

export function padStart(text: string, cells: number): string {
  return " ".repeat(Math.max(0, cells - width(text))) + text;
}

/** Terminal width of stdout: its columns on a TTY, else $COLUMNS, else unlimited (pipes keep whole lines). */
export function terminalWidth(): number {
  if (process.stdout.isTTY && process.stdout.columns) return process.stdout.columns;
  const env = Number(process.env.COLUMNS);
  return Number.isInteger(env) && env > 20 ? env : Number.POSITIVE_INFINITY;
}

export interface Column {
  header: string;
  align?: "left" | "right";
  /** The one column that shrinks (and is truncated) to fit the terminal width. */
  flexible?: boolean;
  /** Narrowest the flexible column may get. */
  min?: number;
}

/** Aligned columns separated by two spaces; the flexible column shrinks so lines fit `maxWidth`. */
export function table(columns: Column[], rows: string[][], maxWidth = terminalWidth(), colors?: Colors): string[] {
  // Cells are measured and truncated as they will be shown: one line, without control sequences.
  const shown = rows.map((row) => row.map((cell) => sanitize(cell).replace(/\n/g, " ")));
  const widths = columns.map((c, i) => Math.max(width(c.header), ...shown.map((r) => width(r[i] ?? ""))));
  const gap = 2;
  const flex = columns.findIndex((c) => c.flexible);
  if (flex >= 0 && Number.isFinite(maxWidth)) {
    const others = widths.reduce((sum, w, i) => (i === flex ? sum : sum + w), 0) + gap * (columns.length - 1);
    widths[flex] = Math.min(widths[flex], Math.max(columns[flex].min ?? 10, maxWidth - others));
  }
  const render = (cells: string[], header: boolean) =>
    cells
      .map((cell, i) => {
        const fitted = i === flex ? truncate(cell, widths[i]) : cell;
        const last = i === cells.length - 1;
        const styled = header && colors ? colors.bold(fitted) : fitted;
        if (columns[i].align === "right") return padStart(styled, widths[i]);
        return last ? styled : padEnd(styled, widths[i]);
      })
      .join(" ".repeat(gap))
      .trimEnd();
  const lines = [
    render(
      columns.map((c) => c.header),
      true,
    ),
    ...shown.map((r) => render(r, false)),
  ];
  return Number.isFinite(maxWidth) ? lines.map((l) => (width(l) > maxWidth && !l.includes(STYLE_PREFIX) ? truncate(l, maxWidth) : l)) : lines;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

export function formatCount(n: number): string {
  if (n < 1000) return String(n);
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 10_000 ? 1 : 0)}k`;
  return `${(n / 1_000_000).toFixed(1)}M`;
}

export function formatRating(rating: number | null): string {
  return rating === null ? "★ –" : `★ ${rating.toFixed(1)}`;
}

const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/**
 * One redrawn line on stderr (TTY only): a spinner with text, or a progress bar. Writing other
 * output goes through `print`, which clears the line first and redraws it after.
 */
export class StatusLine {
  private text = "";
  private frame = 0;
  private timer: NodeJS.Timeout | null = null;
  private visible = false;
  private lastDraw = 0;
  readonly enabled: boolean;

  constructor(
    private readonly stream: Stream = process.stderr,
    enabled = true,
  ) {
    this.enabled = enabled && Boolean(stream.isTTY);
  }

  /** Spinner + text, animated until `clear()` or `stop()`. */
  spin(text: string): void {
    if (!this.enabled) return;
    this.text = text;
    if (!this.timer) {
      this.timer = setInterval(() => this.draw(), 80);
      this.timer.unref();
    }
    this.draw();
  }

  /** `label [██████░░░░] 60% 1.2 KiB/2.0 KiB` (redrawn at most every 50 ms, and always at 100%). */
  progress(label: string, done: number, total: number): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (done < total && now - this.lastDraw < 50) return;
    this.lastDraw = now;
    const cells = 24;
    const ratio = total === 0 ? 1 : Math.min(1, done / total);
    const filled = Math.round(ratio * cells);
    this.stopTimer();
    this.text = `${label} [${"█".repeat(filled)}${"░".repeat(cells - filled)}] ${String(Math.round(ratio * 100)).padStart(3)}% ${formatBytes(done)}/${formatBytes(total)}`;
    this.render(this.text);
  }

  /** Writes a whole line to `target` (through `terminalText`) without tearing the status line. */
  print(target: Stream, line: string): void {
    if (this.visible) this.erase();
    target.write(`${terminalText(line)}\n`);
    if (this.timer) this.draw();
  }

  /** Removes the line (the spinner stops too). */
  clear(): void {
    this.stopTimer();
    if (this.visible) this.erase();
    this.text = "";
  }

  private draw(): void {
    this.frame = (this.frame + 1) % SPINNER.length;
    this.render(`${SPINNER[this.frame]} ${this.text}`);
  }

  private render(line: string): void {
    const columns = this.stream.columns || 80;
    this.stream.write(`\r\u001b[2K${truncate(visibleText(line), columns - 1)}`);
    this.visible = true;
  }

  private erase(): void {
    this.stream.write("\r\u001b[2K");
    this.visible = false;
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

/** Where a command writes: human lines, or JSON when --json is on. */
export class Output {
  readonly out: Colors = colorsFor(process.stdout);
  readonly err: Colors = colorsFor(process.stderr);
  readonly status: StatusLine;

  constructor(readonly json: boolean) {
    this.status = new StatusLine(process.stderr, !json);
  }

  /** A line on stdout (suppressed in --json mode, where stdout is the JSON document only). */
  line(text = ""): void {
    if (this.json) return;
    this.status.print(process.stdout, text);
  }

  /** A line on stderr (notes, warnings); suppressed in --json mode. */
  note(text: string): void {
    if (this.json) return;
    this.status.print(process.stderr, text);
  }

  warn(text: string): void {
    this.note(`${this.err.yellow("warning")} ${text}`);
  }

  printJson(value: unknown): void {
    process.stdout.write(`${jsonText(value, 2)}\n`);
  }
}
