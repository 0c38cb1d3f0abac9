/**
 * A service's log: a ring of entries bounded by bytes (100 KiB per service, as in
 * Pebble), fed by the service's stdout and stderr, read by `/v1/logs`, `--verbose`
 * output and followers.
 *
 * Each stream is cut into lines as it arrives; a line is stored with the time its first
 * byte arrived, in Pebble's layout `2021-05-03T03:55:49.654Z [svc] text`. A line that
 * arrives in several reads is stored whole; one that stays unfinished is stored in
 * pieces (see {@link LogStreamWriter}), so readers see output without waiting for a
 * newline, as Pebble's do. stdout and stderr are cut separately,
 * so a partial line on one never swallows the other's lines. Bytes that are not UTF-8
 * become U+FFFD, per stream, so a multi-byte character split across reads survives.
 * Memory stays bounded however much a service prints: the oldest entries are dropped
 * once the formatted size passes the capacity, and one piece never holds more than the
 * capacity.
 *
 * @module
 */

/** Bytes of formatted log kept per service. */
export const MAX_LOG_BYTES = 100 * 1024;

/** One line (or piece of a line) of output. */
export interface LogEntry {
  /** Milliseconds since the epoch when the line started. */
  readonly time: number;
  readonly service: string;
  /** The text, with its trailing newline when the line is complete. */
  readonly message: string;
  /** Whether this piece continues a line begun by the previous piece of its stream. */
  readonly continued: boolean;
}

/** Called with each new entry. */
export type LogListener = (entry: LogEntry) => void;

const LINE_OVERHEAD = "2021-05-03T03:55:49.654Z [] ".length;

/**
 * What the ring stores: the text of one or more lines written at once (cut into lines
 * only when read), so a flood of output costs a few operations per read, not per line.
 */
interface Block {
  time: number;
  text: string;
  /** Newlines in `text`. */
  lines: number;
  continued: boolean;
  /** Bytes counted against the capacity. */
  cost: number;
}

function countLines(text: string): number {
  let n = 0;
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) n++;
  return n;
}

/** The log of one service. */
export class LogBuffer {
  #blocks: (Block | undefined)[] = [];
  #head = 0;
  #bytes = 0;
  #listeners = new Set<LogListener>();
  readonly #overhead: number;

  constructor(readonly service: string, readonly capacity = MAX_LOG_BYTES) {
    this.#overhead = LINE_OVERHEAD + service.length;
  }

  /** Formatted bytes held (approximately: UTF-16 units of the text plus the prefixes). */
  get bytes(): number {
    return this.#bytes;
  }

  #cost(text: string, lines: number, continued: boolean): number {
    const starts = lines + (text.endsWith("\n") ? 0 : 1) - (continued ? 1 : 0);
    return text.length + Math.max(starts, 0) * this.#overhead;
  }

  /**
   * Adds output written at `time`: any number of complete lines, or a piece of one
   * (`continued` when it continues the previous piece of its stream).
   */
  append(time: number, text: string, continued: boolean): void {
    if (text === "") return;
    const lines = countLines(text);
    const block: Block = { time, text, lines, continued, cost: 0 };
    block.cost = this.#cost(text, lines, continued);
    this.#blocks.push(block);
    this.#bytes += block.cost;
    if (this.#bytes > this.capacity) this.#evict();
    if (this.#listeners.size > 0) {
      for (const e of this.#entriesOf(block)) for (const l of this.#listeners) l(e);
    }
  }

  #evict(): void {
    while (this.#bytes > this.capacity) {
      const oldest = this.#blocks[this.#head]!;
      const excess = this.#bytes - this.capacity;
      if (oldest.cost <= excess && this.#blocks.length - this.#head > 1) {
        this.#blocks[this.#head++] = undefined;
        this.#bytes -= oldest.cost;
        continue;
      }
      // Drop whole lines from the front of the oldest block until enough is freed.
      const text = oldest.text;
      let cut = 0;
      let freed = 0;
      let dropped = 0;
      while (freed < excess) {
        const nl = text.indexOf("\n", cut);
        if (nl < 0 || nl + 1 >= text.length) {
          // The last line (or a piece) alone is too big: keep its end.
          const keep = Math.max(this.capacity - this.#overhead - (this.#bytes - oldest.cost), 0);
          cut = Math.max(text.length - keep, cut);
          break;
        }
        freed += nl + 1 - cut + (cut === 0 && oldest.continued ? 0 : this.#overhead);
        cut = nl + 1;
        dropped++;
      }
      const rest = text.slice(cut);
      this.#bytes -= oldest.cost;
      if (rest === "") {
        this.#blocks[this.#head++] = undefined;
        if (this.#blocks.length === this.#head) break;
        continue;
      }
      oldest.text = rest;
      oldest.lines = Math.max(oldest.lines - dropped, countLines(rest));
      oldest.continued = oldest.continued && cut === 0;
      oldest.cost = this.#cost(rest, oldest.lines, oldest.continued);
      this.#bytes += oldest.cost;
      break;
    }
    if (this.#head > 1024 && this.#head * 2 > this.#blocks.length) {
      this.#blocks = this.#blocks.slice(this.#head);
      this.#head = 0;
    }
  }

  #entriesOf(b: Block): LogEntry[] {
    const out: LogEntry[] = [];
    let start = 0;
    let continued = b.continued;
    const text = b.text;
    while (start < text.length) {
      const nl = text.indexOf("\n", start);
      const end = nl < 0 ? text.length : nl + 1;
      out.push({ time: b.time, service: this.service, message: text.slice(start, end), continued });
      continued = false;
      start = end;
    }
    return out;
  }

  /**
   * The last `n` lines' entries (every entry with `n < 0`), oldest first. A line is
   * counted once however many pieces it was stored in.
   */
  last(n: number): LogEntry[] {
    const blocks: Block[] = [];
    let lines = 0;
    for (let i = this.#blocks.length - 1; i >= this.#head && (n < 0 || lines < n); i--) {
      const b = this.#blocks[i]!;
      blocks.push(b);
      lines += b.lines + (b.text.endsWith("\n") ? 0 : 1) - (b.continued ? 1 : 0);
    }
    const out: LogEntry[] = [];
    for (let i = blocks.length - 1; i >= 0; i--) out.push(...this.#entriesOf(blocks[i]));
    if (n < 0) return out;
    // Keep the entries of the last n line starts (and the pieces that follow them).
    let starts = 0;
    let i = out.length;
    while (i > 0 && starts < n) {
      i--;
      if (!out[i].continued) starts++;
    }
    return out.slice(i);
  }

  /** Whether anyone is subscribed (a follower or `--verbose`), i.e. sees every entry. */
  get hasListeners(): boolean {
    return this.#listeners.size > 0;
  }

  /** Calls `fn` with every entry added from now on; returns the unsubscribe function. */
  subscribe(fn: LogListener): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }
}

/** Formats an entry as Pebble's service log line (the prefix only when it starts a line). */
export function formatEntry(e: LogEntry): string {
  return e.continued ? e.message : `${new Date(e.time).toISOString()} [${e.service}] ${e.message}`;
}

/** A partial line is stored once it reaches this many characters. */
export const MAX_PENDING_LINE = 4096;
/** A partial line is stored after this long without its newline (ms). */
export const PARTIAL_LINE_DELAY = 100;

/**
 * Cuts one stream (stdout or stderr) of a service into entries of a {@link LogBuffer}.
 * Complete lines are stored whole even when they arrive in several reads; a partial
 * line is held until its newline, up to {@link MAX_PENDING_LINE} characters or
 * {@link PARTIAL_LINE_DELAY} ms, then stored as a piece (the rest of the line follows
 * as `continued` pieces with the same time), so a prompt without a newline still shows.
 *
 * Cost: a read larger than the buffer's capacity, with nobody following the log, is cut
 * at a line boundary so that only its tail (at least the capacity) is decoded: the lines
 * before it would be evicted by the same append anyway, so what the buffer holds is the
 * same, at a fraction of the decoding (a service flooding its output sends most of its
 * bytes this way). The partial-line timer is armed once and re-armed lazily, not set and
 * cleared on every read.
 */
export class LogStreamWriter {
  #decoder = new TextDecoder("utf-8", { fatal: false });
  /** Start time of the line being written, or null at a line boundary. */
  #open: number | null = null;
  /** Whether part of the open line was already stored. */
  #stored = false;
  #pending = "";
  /** `performance.now()` when `#pending` became non-empty. */
  #pendingSince = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(readonly buffer: LogBuffer, readonly now: () => number = Date.now) {}

  /** Adds bytes read from the stream. */
  write(bytes: Uint8Array): void {
    const capacity = this.buffer.capacity;
    if (bytes.length > 2 * capacity && !this.buffer.hasListeners && this.#skipTo(bytes)) return;
    this.#text(this.#decoder.decode(bytes, { stream: true }));
  }

  /**
   * Stores only the tail of a large read: from the first line start at least `capacity`
   * UTF-16 units before its end. False (nothing done) when there is no such line start.
   */
  #skipTo(bytes: Uint8Array): boolean {
    const capacity = this.buffer.capacity;
    // A UTF-16 unit comes from at most 3 bytes: a window of 3 × capacity always suffices,
    // and 1 × capacity does for ASCII.
    for (const window of [capacity, 3 * capacity]) {
      if (window >= bytes.length) return false;
      const nl = bytes.indexOf(0x0a, bytes.length - window - 1);
      if (nl < 0 || nl + 1 >= bytes.length) continue;
      const decoder = new TextDecoder("utf-8", { fatal: false });
      const text = decoder.decode(bytes.subarray(nl + 1), { stream: true });
      if (text.length < capacity) continue;
      // Everything before the cut (with the open line it completes) would be evicted.
      this.#decoder = decoder;
      this.#pending = "";
      this.#open = null;
      this.#stored = false;
      this.#text(text);
      return true;
    }
    return false;
  }

  /** Stores the partial line held, if any. */
  flush(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (this.#pending === "") return;
    this.buffer.append(this.#open ?? this.now(), this.#pending, this.#stored);
    this.#pending = "";
    this.#stored = true;
  }

  /** Flushes what the decoder and the writer hold at the end of the stream. */
  close(): void {
    this.#text(this.#decoder.decode());
    this.flush();
    this.#open = null;
    this.#stored = false;
  }

  #onTimer = (): void => {
    this.#timer = undefined;
    if (this.#pending === "") return;
    const wait = this.#pendingSince + PARTIAL_LINE_DELAY - performance.now();
    if (wait > 1) this.#timer = setTimeout(this.#onTimer, wait);
    else this.flush();
  };

  #text(text: string): void {
    if (text === "") return;
    const last = text.lastIndexOf("\n");
    if (last >= 0) {
      let start = 0;
      if (this.#pending !== "" || this.#stored) {
        // The end of the open line keeps the line's start time.
        const first = text.indexOf("\n");
        this.buffer.append(this.#open!, this.#pending + text.slice(0, first + 1), this.#stored);
        this.#pending = "";
        this.#stored = false;
        start = first + 1;
      }
      this.#open = null;
      if (start <= last) this.buffer.append(this.now(), text.slice(start, last + 1), false);
    }
    if (last + 1 < text.length) {
      if (this.#open === null) this.#open = this.now();
      if (this.#pending === "") this.#pendingSince = performance.now();
      this.#pending += text.slice(last + 1);
      if (this.#pending.length >= MAX_PENDING_LINE) this.flush();
      else if (this.#timer === undefined) {
        // Left armed when the line completes: it re-arms itself for a later partial line.
        this.#timer = setTimeout(this.#onTimer, PARTIAL_LINE_DELAY);
      }
    }
  }
}

/** Bytes per read while a stream trickles. */
const READ_BUFFER_BYTES = 64 * 1024;
/** Bytes per read once a stream floods (see {@link pumpStream}). */
const FLOOD_READ_BUFFER_BYTES = 1024 * 1024;
/** Reads completing within this many ms of each other mean the stream floods. */
const FLOOD_GAP_MS = 2;

/** Options of {@link pumpStream}. */
export interface PumpOptions {
  /**
   * Called once when the stream first floods, to let the pipe hold more (see
   * `growPipe` in server/process) so that the writer does not block while reads wait;
   * returns whether it could. Without it (or when it fails) reads are not delayed.
   */
  onFlood?: () => boolean;
}

/**
 * Reads a byte stream into a {@link LogStreamWriter} until it ends.
 *
 * Reads go through a BYOB reader into one reused buffer. A program writing as fast as it
 * can is read in as many small reads as it makes writes (4 KiB each for stdio), and each
 * read costs the same whatever its size; so when reads come back to back (within
 * {@link FLOOD_GAP_MS}) and the pipe could be grown (`onFlood`), the pump waits a
 * millisecond before the next read and reads up to 1 MiB at a time: tens of times fewer
 * reads, and most of each one skipped by the writer (see {@link LogStreamWriter}). A
 * stream that trickles is read as soon as data comes.
 */
export async function pumpStream(
  stream: ReadableStream<Uint8Array>,
  writer: LogStreamWriter,
  opts: PumpOptions = {},
): Promise<void> {
  let reader: ReadableStreamBYOBReader | ReadableStreamDefaultReader<Uint8Array>;
  try {
    reader = stream.getReader({ mode: "byob" });
  } catch {
    reader = stream.getReader();
  }
  let buf = new Uint8Array(READ_BUFFER_BYTES);
  let flooding = false;
  let batching = false;
  let last = -Infinity;
  try {
    for (;;) {
      const { done, value } = reader instanceof ReadableStreamBYOBReader
        ? await reader.read(buf)
        : await reader.read();
      if (done) break;
      writer.write(value);
      if (reader instanceof ReadableStreamBYOBReader) {
        buf = new Uint8Array(value.buffer as ArrayBuffer);
      }
      if (flooding && !batching) continue;
      const now = performance.now();
      if (now - last < FLOOD_GAP_MS) {
        if (!flooding) {
          flooding = true;
          try {
            batching = opts.onFlood?.() ?? false;
          } catch {
            batching = false; // only an optimisation
          }
          if (!batching) continue;
          if (buf.length < FLOOD_READ_BUFFER_BYTES) buf = new Uint8Array(FLOOD_READ_BUFFER_BYTES);
        }
        await new Promise((r) => setTimeout(r, 1));
        last = performance.now();
      } else {
        last = now;
      }
    }
  } catch {
    // The pipe broke: keep what was read.
  } finally {
    writer.close();
    reader.releaseLock();
  }
}

/**
 * A time in the layout Go's `encoding/json` writes a `time.Time` (RFC 3339 with the
 * fraction's trailing zeros dropped), for `/v1/logs` entries.
 */
export function goJsonTime(ms: number): string {
  const iso = new Date(ms).toISOString(); // 2021-05-03T03:55:49.650Z
  const frac = iso.slice(20, 23).replace(/0+$/, "");
  return iso.slice(0, 19) + (frac ? "." + frac : "") + "Z";
}
