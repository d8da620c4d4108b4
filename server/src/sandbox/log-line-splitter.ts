/** What the splitter knows about one line when it hands it over. */
export interface SplitLine {
  /** The line without its "\n": at most `maxLineBytes` bytes (the head when the line was longer). */
  head: Buffer;
  /** Length of the whole line in bytes, also when only the head was kept. */
  totalBytes: number;
  /** The last bytes of an over-long line (empty otherwise), so a marker at its end is still found. */
  tail: Buffer;
  /** False for a final line that had no "\n" when the stream ended. */
  terminated: boolean;
}

const EMPTY = Buffer.alloc(0);
const NEWLINE = 0x0a;

/**
 * Turns a byte stream whose chunks do not align with lines into lines, keeping memory bounded:
 * of a line longer than `maxLineBytes` only the head and a short tail are held, the rest is
 * counted and dropped. `maxLineBytes` may be changed between lines (the next line uses it).
 */
export class LogLineSplitter {
  private parts: Buffer[] = [];
  private held = 0;
  private total = 0;
  private tail: Buffer = EMPTY;

  constructor(
    public maxLineBytes: number,
    private readonly onLine: (line: SplitLine) => void,
    private readonly tailBytes = 256,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(NEWLINE, start);
      const end = newline === -1 ? chunk.length : newline;
      this.append(chunk, start, end);
      if (newline === -1) return;
      this.emit(true);
      start = newline + 1;
    }
  }

  /** Flushes a final partial line, if any. */
  end(): void {
    if (this.total > 0) this.emit(false);
  }

  private append(chunk: Buffer, start: number, end: number): void {
    const length = end - start;
    if (length === 0) return;
    const before = this.total;
    this.total += length;
    if (this.total > this.maxLineBytes) {
      // On the segment that makes the line over-long, every earlier byte is still held: seed the tail from them.
      const seed = before <= this.maxLineBytes ? Buffer.concat(this.parts, this.held) : this.tail;
      const joined = Buffer.concat([seed, chunk.subarray(Math.max(start, end - this.tailBytes), end)]);
      this.tail = Buffer.from(joined.subarray(Math.max(0, joined.length - this.tailBytes)));
    }
    const room = this.maxLineBytes - this.held;
    if (room > 0) {
      const take = Math.min(room, length);
      // Copied so a long-lived partial line does not pin the whole chunk in memory.
      this.parts.push(Buffer.from(chunk.subarray(start, start + take)));
      this.held += take;
    }
  }

  private emit(terminated: boolean): void {
    const head = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.held);
    const line: SplitLine = { head, totalBytes: this.total, tail: this.total > this.held ? this.tail : EMPTY, terminated };
    this.parts = [];
    this.held = 0;
    this.total = 0;
    this.tail = EMPTY;
    this.onLine(line);
  }
}
