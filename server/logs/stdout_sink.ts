/**
 * `pebble run --verbose`: service output copied to the daemon's standard output in
 * Pebble's line layout. Writes are queued and flushed asynchronously so a slow reader
 * of our stdout never stalls the daemon; past `maxBacklog` bytes queued, new output is
 * dropped (and a note written once the backlog drains) to keep memory bounded.
 *
 * @module
 */

import { formatEntry, type LogEntry } from "./log_buffer.ts";

/** Copies log entries to a writer (standard output by default). */
export class StdoutSink {
  #queue: string[] = [];
  #queued = 0;
  #dropped = 0;
  #flushing = false;
  #encoder = new TextEncoder();

  constructor(
    readonly out: { write(p: Uint8Array): Promise<number> } = Deno.stdout,
    readonly maxBacklog = 4 * 1024 * 1024,
  ) {}

  /** Queues one entry. */
  write(entry: LogEntry): void {
    const text = formatEntry(entry);
    if (this.#queued + text.length > this.maxBacklog) {
      this.#dropped += text.length;
      return;
    }
    this.#queue.push(text);
    this.#queued += text.length;
    if (!this.#flushing) this.#flush();
  }

  async #flush(): Promise<void> {
    this.#flushing = true;
    try {
      while (this.#queue.length > 0) {
        const text = this.#queue.join("");
        this.#queue = [];
        this.#queued = 0;
        let bytes = this.#encoder.encode(text);
        while (bytes.length > 0) bytes = bytes.subarray(await this.out.write(bytes));
        if (this.#dropped > 0 && this.#queue.length === 0) {
          const note = `(... ${this.#dropped} bytes of service output dropped ...)\n`;
          this.#dropped = 0;
          await this.out.write(this.#encoder.encode(note));
        }
      }
    } catch {
      this.#queue = [];
      this.#queued = 0;
    } finally {
      this.#flushing = false;
    }
  }
}
