/**
 * A small HTTP/1.1 client over a unix socket, giving web `Response`s with streamed bodies.
 *
 * `fetch` through `Deno.createHttpClient` costs 15–30 ms on a process's first request
 * (setting up the HTTP stack, more with an AbortSignal); a CLI command makes one request,
 * so that was most of its run time. This speaks HTTP/1.1 on `Deno.connect` directly:
 * content-length and chunked bodies both ways, keep-alive connections reused once their
 * response has been read to the end.
 *
 * @module
 */

import { concatBytes } from "./_bytes.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The caller's request body failed while it was being sent: `error` is what it threw. */
export class BodySourceError extends Error {
  override name = "BodySourceError";
  constructor(readonly error: unknown) {
    super(`request body failed: ${(error as Error)?.message ?? error}`, { cause: error });
  }
}

/** A request body this transport can send. */
export type Body = Uint8Array | string | ReadableStream<Uint8Array> | null | undefined;

/** Bytes of a read buffer; a read goes into the unused rest of the last one while it lasts. */
const READ_BUFFER = 256 * 1024;
/** Chunks of a streamed request body smaller than this are copied behind their size line. */
const COPY_BELOW = 16 * 1024;
/** Below this much room left, the next read gets a fresh buffer. */
const MIN_READ_ROOM = 16 * 1024;

/** Buffered reader over a connection. */
class Reader {
  buf = new Uint8Array(0);
  /** The unused end of the last read buffer: never handed out, so reads may go there. */
  #room = new Uint8Array(0);
  constructor(readonly conn: Deno.Conn) {}

  /** Reads more bytes into the buffer; false at end of stream. */
  async fill(): Promise<boolean> {
    // Bytes once read are never written again, so what `take` hands out can be views of
    // them. Reads fill a buffer from its start to its end, so a short read costs no fresh
    // allocation, and a leftover followed by the next read is usually contiguous already.
    if (this.#room.length < MIN_READ_ROOM) this.#room = new Uint8Array(READ_BUFFER);
    const target = this.#room;
    const n = await this.conn.read(target);
    if (n === null) return false;
    const got = target.subarray(0, n);
    this.#room = target.subarray(n);
    const buf = this.buf;
    if (buf.length === 0) {
      this.buf = got;
    } else if (buf.buffer === got.buffer && buf.byteOffset + buf.length === got.byteOffset) {
      this.buf = new Uint8Array(got.buffer, buf.byteOffset, buf.length + n);
    } else {
      const next = new Uint8Array(buf.length + n);
      next.set(buf);
      next.set(got, buf.length);
      this.buf = next;
    }
    return true;
  }

  /** Reads up to and including CRLF CRLF (the head of a response). */
  async head(): Promise<string> {
    for (;;) {
      const end = indexOf(this.buf, "\r\n\r\n");
      if (end >= 0) {
        const head = decoder.decode(this.buf.subarray(0, end));
        this.buf = this.buf.subarray(end + 4);
        return head;
      }
      if (this.buf.length > 64 * 1024) throw new Error("response head too large");
      if (!(await this.fill())) throw new Error("connection closed before the response");
    }
  }

  /** Reads one CRLF-terminated line. */
  async line(): Promise<string> {
    for (;;) {
      const end = indexOf(this.buf, "\r\n");
      if (end >= 0) {
        const line = decoder.decode(this.buf.subarray(0, end));
        this.buf = this.buf.subarray(end + 2);
        return line;
      }
      if (!(await this.fill())) throw new Error("connection closed in a chunked body");
    }
  }

  /** Takes up to `max` buffered bytes, reading if none are buffered; null at end. */
  async take(max: number): Promise<Uint8Array | null> {
    if (this.buf.length === 0 && !(await this.fill())) return null;
    const n = Math.min(max, this.buf.length);
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }
}

function indexOf(buf: Uint8Array, text: string): number {
  const first = text.charCodeAt(0);
  outer: for (let i = buf.indexOf(first); i >= 0; i = buf.indexOf(first, i + 1)) {
    if (i + text.length > buf.length) return -1;
    for (let j = 1; j < text.length; j++) if (buf[i + j] !== text.charCodeAt(j)) continue outer;
    return i;
  }
  return -1;
}

/** HTTP/1.1 over a unix socket, with a pool of idle keep-alive connections. */
export class UnixHttp {
  #idle: Reader[] = [];
  #closed = false;

  constructor(readonly path: string) {}

  /** Sends a request; the response body streams from the socket. */
  async fetch(
    method: string,
    target: string,
    headers: Headers,
    body: Body,
    signal?: AbortSignal,
  ): Promise<Response> {
    signal?.throwIfAborted();
    const pooled = this.#idle.pop();
    const reader = pooled ??
      new Reader(await Deno.connect({ transport: "unix", path: this.path }));
    let answered = false;
    const conn = reader.conn;
    const onAbort = () => {
      try {
        conn.close();
      } catch { /* already closed */ }
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      let head = `${method} ${target} HTTP/1.1\r\nHost: localhost\r\n`;
      headers.forEach((v, k) => (head += `${k}: ${v}\r\n`));
      const bytes = typeof body === "string" ? encoder.encode(body) : body;
      if (bytes instanceof Uint8Array) {
        head += `Content-Length: ${bytes.length}\r\n\r\n`;
        await writeAll(conn, concatBytes([encoder.encode(head), bytes]));
      } else if (bytes) {
        head += "Transfer-Encoding: chunked\r\n\r\n";
        await writeAll(conn, encoder.encode(head));
        // Each chunk's CRLF goes out with the next chunk's size line, and a large chunk is
        // written as it is rather than copied behind its size line.
        let after = "";
        const chunks = bytes[Symbol.asyncIterator]();
        for (;;) {
          let next;
          try {
            next = await chunks.next();
          } catch (e) {
            throw new BodySourceError(e);
          }
          if (next.done) break;
          const chunk = next.value;
          if (chunk.length === 0) continue;
          const line = encoder.encode(`${after}${chunk.length.toString(16)}\r\n`);
          if (chunk.length < COPY_BELOW) {
            await writeAll(conn, concatBytes([line, chunk]));
          } else {
            await writeAll(conn, line);
            await writeAll(conn, chunk);
          }
          after = "\r\n";
        }
        await writeAll(conn, encoder.encode(`${after}0\r\n\r\n`));
      } else {
        head += method === "GET" || method === "HEAD" ? "\r\n" : "Content-Length: 0\r\n\r\n";
        await writeAll(conn, encoder.encode(head));
      }
      const lines = (await reader.head()).split("\r\n");
      answered = true;
      const m = /^HTTP\/1\.[01] (\d{3}) ?(.*)$/.exec(lines[0]);
      if (!m) throw new Error(`malformed status line ${JSON.stringify(lines[0])}`);
      const resHeaders = new Headers();
      for (const l of lines.slice(1)) {
        const i = l.indexOf(":");
        if (i > 0) resHeaders.append(l.slice(0, i).trim(), l.slice(i + 1).trim());
      }
      const keepAlive = !/close/i.test(resHeaders.get("connection") ?? "");
      const stream = this.#body(reader, resHeaders, keepAlive, () => {
        signal?.removeEventListener("abort", onAbort);
      });
      return new Response(stream, { status: Number(m[1]), statusText: m[2], headers: resHeaders });
    } catch (e) {
      signal?.removeEventListener("abort", onAbort);
      onAbort();
      if (signal?.aborted) throw signal.reason;
      // An idle connection the server has closed meanwhile (node:http drops keep-alive
      // connections after 5 s): send the request again on another one, when it can be.
      if (pooled && !answered && !(body instanceof ReadableStream)) {
        return await this.fetch(method, target, headers, body, signal);
      }
      throw e;
    }
  }

  #body(
    reader: Reader,
    headers: Headers,
    keepAlive: boolean,
    done: () => void,
  ): ReadableStream<Uint8Array> | null {
    const length = headers.get("content-length");
    const chunked = /chunked/i.test(headers.get("transfer-encoding") ?? "");
    let remaining = length !== null ? Number(length) : chunked ? 0 : Infinity;
    const finish = (reuse: boolean) => {
      done();
      if (reuse && keepAlive && !this.#closed) this.#idle.push(reader);
      else {
        try {
          reader.conn.close();
        } catch { /* already closed */ }
      }
    };
    if (remaining === 0 && !chunked) {
      finish(true);
      return null;
    }
    return new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        try {
          if (chunked && remaining === 0) {
            const size = parseInt(await reader.line(), 16);
            if (Number.isNaN(size)) throw new Error("malformed chunk size");
            if (size === 0) {
              while ((await reader.line()) !== "");
              controller.close();
              finish(true);
              return;
            }
            remaining = size;
          }
          const chunk = await reader.take(remaining);
          if (chunk === null) {
            if (remaining === Infinity) {
              controller.close();
              finish(false);
              return;
            }
            throw new Error("connection closed before the end of the response body");
          }
          remaining -= chunk.length;
          controller.enqueue(chunk);
          if (chunked && remaining === 0) await reader.line();
          if (!chunked && remaining === 0) {
            controller.close();
            finish(true);
          }
        } catch (e) {
          finish(false);
          controller.error(e);
        }
      },
      cancel: () => finish(false),
    }, { highWaterMark: 0 });
  }

  /** Closes idle connections; later requests are refused. */
  close(): void {
    this.#closed = true;
    for (const r of this.#idle.splice(0)) {
      try {
        r.conn.close();
      } catch { /* already closed */ }
    }
  }
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let off = 0;
  while (off < bytes.length) off += await conn.write(bytes.subarray(off));
}
