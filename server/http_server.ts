/**
 * The daemon's HTTP/1.1 server, on node:net sockets (unix and TCP).
 *
 * Why not node:http: Deno runs Node's whole HTTP stack in JavaScript (parser callbacks,
 * incoming and outgoing streams, event emitters), which cost about as much CPU per
 * request as the rest of a small file pull. This server does what the API needs and no
 * more: it parses a request head in one pass, hands the body out as the socket delivers
 * it (Content-Length or chunked), and writes a response head and body in one socket
 * write. node:net is kept because it exposes the accepted socket's descriptor, which
 * gives the caller's UID (peer_cred.ts).
 *
 * Behaviour follows Go's net/http server, which Pebble's clients are used to:
 * - keep-alive by default for HTTP/1.1 (HTTP/1.0 only on request), no idle timeout;
 *   requests on one connection are answered in order;
 * - `Expect: 100-continue` is answered when the handler first reads the body;
 * - a body the handler did not read is discarded up to 256 KiB, past that (or when
 *   `100 Continue` was never sent) the connection is closed after the response;
 * - header names go out in Go's canonical form (`Content-Type`), with a `Date`;
 * - without a Content-Length, an HTTP/1.1 response is chunked; HEAD responses carry
 *   no body;
 * - a malformed request gets Go's plain-text `400 Bad Request` (431 for a head over
 *   1 MiB, 501 for a transfer coding other than chunked) and the connection is closed;
 * - a request with `Connection: upgrade` and an `Upgrade` header goes to the upgrade
 *   listener with its socket and the bytes already read past its head.
 *
 * Memory: a socket chunk the body covers whole is handed out as it is (the consumer may
 * free it, see `releaseBytes`); otherwise the chunk's body bytes are copied into one
 * buffer and the chunk is freed at once, so framing and headers never hold a chunk.
 * (Socket chunks, node Buffers, are looked at through plain `Uint8Array` views; copies
 * are made with `new Uint8Array(view)`.)
 *
 * @module
 */

import { EventEmitter } from "node:events";
import net from "node:net";
import { putLatin1, releaseBytes } from "../client/_bytes.ts";

/** Go's DefaultMaxHeaderBytes plus the slack it allows. */
const MAX_HEAD_BYTES = 1024 * 1024 + 4096;
/** An unread body up to this size is read and dropped to keep the connection. */
const MAX_DISCARD = 256 * 1024;
/** Body bytes queued for a slow handler before the socket is paused. */
const BODY_HIGH_WATER = 256 * 1024;
/** A response write up to this size is copied behind its head into one buffer. */
const COPY_WRITE = 64 * 1024;
const encoder = new TextEncoder();
/** Longest chunk-size line of a chunked body. */
const MAX_CHUNK_LINE = 4096;

const STATUS_TEXT: Record<number, string> = {
  100: "Continue",
  101: "Switching Protocols",
  200: "OK",
  201: "Created",
  202: "Accepted",
  204: "No Content",
  301: "Moved Permanently",
  302: "Found",
  304: "Not Modified",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  413: "Request Entity Too Large",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  501: "Not Implemented",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
  505: "HTTP Version Not Supported",
};

/** Request headers: lower-case names; a repeated header keeps its first value (Go's Get). */
export type RequestHeaders = Record<string, string | undefined>;

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Thrown while parsing: answered with Go's plain-text error and a closed connection. */
class BadRequest extends Error {
  constructor(readonly status: number, readonly publicText: string) {
    super(publicText);
  }
}

let dateSecond = -1;
let dateText = "";
/** The `Date` header, computed once a second. */
function httpDate(): string {
  const now = Date.now();
  const s = Math.floor(now / 1000);
  if (s !== dateSecond) {
    dateSecond = s;
    dateText = new Date(now).toUTCString();
  }
  return dateText;
}

const canonicalNames = new Map<string, string>();
/** Go's canonical header name: `content-type` -> `Content-Type`. */
function canonical(name: string): string {
  let c = canonicalNames.get(name);
  if (c === undefined) {
    c = name.toLowerCase().replace(
      /(^|-)([a-z])/g,
      (_, d: string, l: string) => d + l.toUpperCase(),
    );
    if (canonicalNames.size < 256) canonicalNames.set(name, c);
  }
  return c;
}

function latin1(bytes: Uint8Array, start: number, end: number): string {
  let s = "";
  for (let i = start; i < end; i += 4096) {
    s += String.fromCharCode.apply(
      null,
      bytes.subarray(i, Math.min(end, i + 4096)) as unknown as number[],
    );
  }
  return s;
}

/** Where the head ends in `bytes` (the index just past its blank line), or -1. */
function headEnd(bytes: Uint8Array, from: number): number {
  for (let i = bytes.indexOf(10, from); i >= 0; i = bytes.indexOf(10, i + 1)) {
    if (bytes[i + 1] === 10) return i + 2;
    if (bytes[i + 1] === 13 && bytes[i + 2] === 10) return i + 3;
  }
  return -1;
}

/** Parses a request head (request line and headers, without the blank line). */
function parseHead(text: string): {
  method: string;
  url: string;
  minor: number;
  headers: RequestHeaders;
} {
  const lines = text.split("\n");
  const requestLine = lines[0].endsWith("\r") ? lines[0].slice(0, -1) : lines[0];
  const first = requestLine.indexOf(" ");
  const second = requestLine.indexOf(" ", first + 1);
  if (first <= 0 || second < 0) throw new BadRequest(400, "400 Bad Request");
  const method = requestLine.slice(0, first);
  const url = requestLine.slice(first + 1, second);
  const proto = requestLine.slice(second + 1);
  if (!TOKEN.test(method) || url === "") throw new BadRequest(400, "400 Bad Request");
  const version = /^HTTP\/(\d)\.(\d)$/.exec(proto);
  if (!version) throw new BadRequest(400, "400 Bad Request");
  if (version[1] !== "1") throw new BadRequest(505, "505 HTTP Version Not Supported");
  const headers: RequestHeaders = {};
  for (let i = 1; i < lines.length; i++) {
    let line = lines[i];
    if (line.endsWith("\r")) line = line.slice(0, -1);
    if (line === "") continue;
    const colon = line.indexOf(":");
    const name = colon > 0 ? line.slice(0, colon) : "";
    if (!TOKEN.test(name)) throw new BadRequest(400, "400 Bad Request");
    const key = name.toLowerCase();
    if (headers[key] === undefined) headers[key] = line.slice(colon + 1).trim();
  }
  return { method, url, minor: Number(version[2]), headers };
}

/** How a request body is framed. */
type Framing = { kind: "none" } | { kind: "length"; left: number } | { kind: "chunked" };

function bodyFraming(headers: RequestHeaders): Framing {
  const te = headers["transfer-encoding"];
  if (te !== undefined) {
    if (te.toLowerCase() !== "chunked") {
      throw new BadRequest(501, "Unsupported transfer encoding");
    }
    return { kind: "chunked" };
  }
  const cl = headers["content-length"];
  if (cl === undefined) return { kind: "none" };
  if (!/^\d{1,15}$/.test(cl)) {
    throw new BadRequest(400, `400 Bad Request: bad Content-Length ${JSON.stringify(cl)}`);
  }
  const left = Number(cl);
  return left === 0 ? { kind: "none" } : { kind: "length", left };
}

/**
 * A request: its line, headers and socket, and its body as an async iterable of byte
 * chunks that reads from the connection only as it is iterated.
 */
export class HttpRequest implements AsyncIterable<Uint8Array> {
  /** Set by the connection when the body is complete, failed or dropped. */
  #queue: Uint8Array[] = [];
  #queued = 0;
  #ended: boolean;
  #error: Error | null = null;
  #wake: (() => void) | null = null;
  #iterating = false;
  /** Called on the first read (to send `100 Continue`) and when the queue drains. */
  onRead: (() => void) | null = null;

  constructor(
    readonly method: string,
    readonly url: string,
    readonly httpVersionMinor: number,
    readonly headers: RequestHeaders,
    readonly socket: net.Socket,
    hasBody: boolean,
  ) {
    this.#ended = !hasBody;
  }

  /** Bytes waiting for the handler. */
  get queued(): number {
    return this.#queued;
  }

  /** Whether the handler has started reading the body. */
  get reading(): boolean {
    return this.#iterating;
  }

  /** Whether the whole body has arrived (or there was none). */
  get complete(): boolean {
    return this.#ended && this.#error === null;
  }

  push(chunk: Uint8Array): void {
    this.#queue.push(chunk);
    this.#queued += chunk.length;
    this.#notify();
  }

  end(): void {
    this.#ended = true;
    this.#notify();
  }

  /** Ends the body with an error (made only then: a connection closing after a whole
   * request is the common case, and an Error's stack trace costs ~10 µs). */
  fail(message: string): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#error = new Error(message);
    this.#notify();
  }

  #notify(): void {
    const w = this.#wake;
    this.#wake = null;
    w?.();
  }

  /** Drops the body: the connection reads and discards what is left of it. */
  resume(): void {
    this.#queue = [];
    this.#queued = 0;
    this.#iterating = true;
    this.onRead?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    this.#iterating = true;
    this.onRead?.();
    for (;;) {
      const chunk = this.#queue.shift();
      if (chunk) {
        this.#queued -= chunk.length;
        if (this.#queued < BODY_HIGH_WATER) this.onRead?.();
        yield chunk;
        continue;
      }
      if (this.#error) throw this.#error;
      if (this.#ended) return;
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }
}

/**
 * A response, with the part of node's ServerResponse the API uses: status and headers
 * set before the first write, `write` with back-pressure (`drain`), `end`, and `close`
 * once the response is done or the connection is gone.
 */
export class HttpResponse extends EventEmitter {
  statusCode = 200;
  headersSent = false;
  writableEnded = false;
  #headers = new Map<string, string>();
  #chunked = false;
  #closed = false;

  constructor(readonly req: HttpRequest, private readonly conn: Connection) {
    super();
  }

  /** Whether the connection is gone. */
  get destroyed(): boolean {
    return this.conn.socket.destroyed;
  }

  setHeader(name: string, value: string | number): void {
    this.#headers.set(name.toLowerCase(), String(value));
  }

  writeHead(status: number, headers?: Record<string, string | number>): void {
    this.statusCode = status;
    if (headers) { for (const [k, v] of Object.entries(headers)) this.setHeader(k, v); }
  }

  #head(): string {
    const status = this.statusCode;
    let head = `HTTP/1.${this.req.httpVersionMinor === 0 ? 0 : 1} ${status} ${
      STATUS_TEXT[status] ?? `status code ${status}`
    }\r\n`;
    const h = this.#headers;
    if (!h.has("content-length") && status !== 204 && status !== 304) {
      if (this.req.httpVersionMinor >= 1) {
        this.#chunked = true;
        h.set("transfer-encoding", "chunked");
      } else {
        this.conn.closeAfter = true;
      }
    }
    if (this.conn.closeAfter) h.set("connection", "close");
    else if (this.req.httpVersionMinor === 0) h.set("connection", "keep-alive");
    for (const [name, value] of h) head += `${canonical(name)}: ${value}\r\n`;
    return head + `Date: ${httpDate()}\r\n\r\n`;
  }

  /** Writes `chunk` (after the head, on the first call); false when the socket is full. */
  write(chunk: Uint8Array | string, callback?: () => void): boolean {
    const socket = this.conn.socket;
    if (this.writableEnded || socket.destroyed) return false;
    const bytes = typeof chunk === "string" ? encoder.encode(chunk) : chunk;
    let head = "";
    if (!this.headersSent) {
      head = this.#head();
      this.headersSent = true;
    }
    if (this.req.method === "HEAD" || bytes.length === 0) {
      if (head) socket.write(head, "latin1");
      if (callback) queueMicrotask(callback);
      return true;
    }
    const prefix = this.#chunked ? `${head}${bytes.length.toString(16)}\r\n` : head;
    const suffix = this.#chunked ? "\r\n" : "";
    let ok: boolean;
    if (bytes.length <= COPY_WRITE) {
      // One buffer in one plain write: a corked pair goes through node's writev path,
      // which costs more than copying a small body behind its head.
      const out = new Uint8Array(prefix.length + bytes.length + suffix.length);
      putLatin1(prefix, out, 0);
      out.set(bytes, prefix.length);
      putLatin1(suffix, out, prefix.length + bytes.length);
      ok = socket.write(out, callback);
    } else {
      socket.cork();
      if (prefix) socket.write(prefix, "latin1");
      ok = socket.write(bytes, suffix ? undefined : callback);
      if (suffix) ok = socket.write(suffix, "latin1", callback);
      socket.uncork();
    }
    if (!ok) socket.once("drain", () => this.emit("drain"));
    return ok;
  }

  /** Ends the response; `body` (if given before any write) is sent with its length. */
  end(body?: string | Uint8Array): void {
    if (this.writableEnded) return;
    const socket = this.conn.socket;
    if (!this.headersSent && !socket.destroyed) {
      const text = typeof body === "string";
      if (body !== undefined || !this.#headers.has("content-length")) {
        this.#headers.set(
          "content-length",
          String(body === undefined ? 0 : text ? Buffer.byteLength(body) : body.length),
        );
      }
      const head = this.#head();
      this.headersSent = true;
      if (this.req.method === "HEAD" || body === undefined) socket.write(head, "latin1");
      else if (text) socket.write(head + body);
      else {
        const out = new Uint8Array(head.length + body.length);
        putLatin1(head, out, 0);
        out.set(body, head.length);
        socket.write(out);
      }
    } else if (body !== undefined && body.length > 0) {
      this.write(body);
    }
    if (this.#chunked && !socket.destroyed && this.req.method !== "HEAD") {
      socket.write("0\r\n\r\n", "latin1");
    }
    this.writableEnded = true;
    this.emit("finish");
    this.close();
    this.conn.responseDone();
  }

  /** Aborts the response and closes the connection. */
  destroy(): void {
    this.conn.socket.destroy();
  }

  /** Emits `close` once (the response is done or the connection is gone). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.emit("close");
  }
}

/** Handles a request; it must end the response (or destroy it). */
export type RequestListener = (req: HttpRequest, res: HttpResponse) => void;
/** Takes over a connection that asked to switch protocols. */
export type UpgradeListener = (req: HttpRequest, socket: net.Socket, head: Uint8Array) => void;

/** One client connection: parses requests in turn and frames their bodies. */
class Connection {
  closeAfter = false;
  /** The start of a head that has not fully arrived (a copy). */
  #partialHead: Uint8Array | null = null;
  /** Bytes that arrived past the current request (pipelining), kept until it is answered. */
  #pending: Uint8Array | null = null;
  #req: HttpRequest | null = null;
  #res: HttpResponse | null = null;
  #framing: Framing = { kind: "none" };
  /** Chunked body: 0 reading a size line, 1 data, 2 the CRLF after data, 3 trailers. */
  #chunkState = 0;
  #chunkLeft = 0;
  #line = "";
  #discarded = 0;
  #expectContinue = false;
  #continueSent = false;
  #paused = false;
  /** Reading is over: upgraded, rejected or closing. */
  #done = false;
  /** A request whose head was parsed in this chunk, handed to `onRequest` after its body. */
  #undispatched = false;
  /** The client has shut down its side (half-close): answer what it sent, then close. */
  #readEnded = false;

  constructor(
    readonly socket: net.Socket,
    readonly onRequest: RequestListener,
    readonly onUpgrade: UpgradeListener,
  ) {
    socket.on("data", this.#onData);
    socket.on("end", this.#onEnd);
    socket.on("error", () => {});
    socket.on("close", this.#onClose);
  }

  #onData = (buffer: Uint8Array): void => {
    if (this.#done) return;
    // A plain view of the node Buffer: its indexOf and subarray are the typed array's
    // (a Buffer's are slower), and what is handed out is plain bytes.
    const chunk = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    try {
      const partial = this.#partialHead;
      if (partial) {
        this.#partialHead = null;
        const joined = concat(partial, chunk);
        releaseBytes(chunk);
        this.#consume(joined, Math.max(0, partial.length - 3));
      } else {
        this.#consume(chunk, 0);
      }
    } catch (e) {
      if (!(e instanceof BadRequest)) throw e;
      // A request whose body turned out malformed still reaches its handler (as in Go),
      // which then fails to read it.
      this.#dispatch();
      this.#reject(e);
    }
  };

  #dispatch(): void {
    if (!this.#undispatched) return;
    this.#undispatched = false;
    this.onRequest(this.#req!, this.#res!);
  }

  /**
   * The client sent its last byte but may still read (`shutdown(SHUT_WR)`, as `nc -N`
   * or `socat` do after a request): like Go, answer the requests that arrived whole, fail
   * a body cut short with "unexpected EOF", and close once nothing is left to answer.
   */
  #onEnd = (): void => {
    this.#readEnded = true;
    if (this.#done) {
      if (!this.socket.writableEnded) this.socket.end();
      return;
    }
    this.#afterReadEnd();
  };

  /** What is left once the client has shut down its side (run again after pipelined bytes). */
  #afterReadEnd(): void {
    const req = this.#req;
    if (req === null) {
      if (this.#pending === null) this.#closeSoon();
      return;
    }
    if (this.#res?.writableEnded) this.#closeSoon();
    else if (!req.complete) req.fail("unexpected EOF");
  }

  #onClose = (): void => {
    this.#req?.fail("unexpected EOF: the client closed the connection");
    this.#res?.close();
  };

  #reject(e: BadRequest): void {
    this.#req?.fail("malformed request body");
    this.#closeSoon(
      `HTTP/1.1 ${e.status} ${STATUS_TEXT[e.status]}\r\n` +
        "Content-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n" +
        e.publicText,
    );
  }

  /**
   * Ends the connection (after `last`, if given). What the client still sends is read and
   * dropped for a moment, so that unread bytes do not turn the close into a reset that
   * could hide the response from the client (Go waits the same way).
   */
  #closeSoon(last?: string): void {
    this.#done = true;
    this.#resumeSocket();
    if (last) this.socket.end(last, "latin1");
    else this.socket.end();
    setTimeout(() => this.socket.destroy(), 500).unref?.();
  }

  /** Takes socket bytes: heads, bodies, and bytes of a next request. */
  #consume(chunk: Uint8Array, searchFrom: number): void {
    let off = 0;
    let handedOut = false;
    while (off < chunk.length && !this.#done) {
      const req = this.#req;
      if (req === null) {
        const end = headEnd(chunk, Math.max(off, searchFrom));
        if (end < 0) {
          if (chunk.length - off > MAX_HEAD_BYTES) {
            throw new BadRequest(431, "431 Request Header Fields Too Large");
          }
          this.#partialHead = new Uint8Array(chunk.subarray(off));
          break;
        }
        if (end - off > MAX_HEAD_BYTES) {
          throw new BadRequest(431, "431 Request Header Fields Too Large");
        }
        const text = latin1(chunk, off, end - (chunk[end - 2] === 13 ? 4 : 2));
        off = end;
        this.#start(text, chunk.subarray(off));
        continue;
      }
      if (req.complete || this.#framing.kind === "none") {
        // Bytes of a later request: kept until this one is answered.
        const rest = new Uint8Array(chunk.subarray(off));
        this.#pending = this.#pending ? concat(this.#pending, rest) : rest;
        this.#pauseSocket();
        break;
      }
      const taken = this.#body(req, chunk, off);
      if (taken.whole) handedOut = true;
      off = taken.next;
    }
    if (!handedOut) releaseBytes(chunk);
    // After the body bytes of this chunk: a small body is complete when the handler first
    // looks at it.
    this.#dispatch();
  }

  /** Reads body bytes from `chunk` at `off`; returns where the body stopped. */
  #body(req: HttpRequest, chunk: Uint8Array, off: number): { next: number; whole: boolean } {
    const discarding = this.#res?.writableEnded ?? false;
    const segments: Uint8Array[] = [];
    const framing = this.#framing;
    let finished = false;
    if (framing.kind === "length") {
      const n = Math.min(framing.left, chunk.length - off);
      segments.push(chunk.subarray(off, off + n));
      framing.left -= n;
      off += n;
      finished = framing.left === 0;
    } else {
      while (off < chunk.length && !finished) {
        if (this.#chunkState === 1) {
          const n = Math.min(this.#chunkLeft, chunk.length - off);
          segments.push(chunk.subarray(off, off + n));
          this.#chunkLeft -= n;
          off += n;
          if (this.#chunkLeft === 0) this.#chunkState = 2;
          continue;
        }
        // A line: a chunk size, the CRLF after data, or a trailer.
        const lf = chunk.indexOf(10, off);
        const end = lf < 0 ? chunk.length : lf;
        this.#line += latin1(chunk, off, end);
        off = lf < 0 ? chunk.length : lf + 1;
        if (this.#line.length > MAX_CHUNK_LINE) throw new BadRequest(400, "400 Bad Request");
        if (lf < 0) break;
        let line = this.#line;
        this.#line = "";
        if (line.endsWith("\r")) line = line.slice(0, -1);
        if (this.#chunkState === 2) {
          if (line !== "") throw new BadRequest(400, "400 Bad Request");
          this.#chunkState = 0;
        } else if (this.#chunkState === 0) {
          const semi = line.indexOf(";");
          const hex = (semi < 0 ? line : line.slice(0, semi)).trim();
          if (!/^[0-9a-fA-F]{1,15}$/.test(hex)) throw new BadRequest(400, "400 Bad Request");
          this.#chunkLeft = parseInt(hex, 16);
          this.#chunkState = this.#chunkLeft === 0 ? 3 : 1;
        } else if (line === "") {
          finished = true;
        }
      }
    }
    let whole = false;
    if (discarding) {
      for (const s of segments) this.#discarded += s.length;
      if (this.#discarded > MAX_DISCARD) this.#closeSoon();
    } else if (segments.length === 1 && segments[0].length === chunk.length) {
      req.push(chunk);
      whole = true;
    } else if (segments.length === 1) {
      if (segments[0].length > 0) req.push(new Uint8Array(segments[0]));
    } else if (segments.length > 1) {
      req.push(concat(...segments));
    }
    if (req.queued >= BODY_HIGH_WATER) this.#pauseSocket();
    if (finished) {
      req.end();
      if (this.#res?.writableEnded) this.#next();
    }
    return { next: off, whole };
  }

  /** Starts a request from its head; `rest` is what follows the head in this chunk. */
  #start(headText: string, rest: Uint8Array): void {
    const head = parseHead(headText);
    const framing = bodyFraming(head.headers);
    const connection = (head.headers.connection ?? "").toLowerCase();
    this.closeAfter = head.minor === 0
      ? !/(^|,)\s*keep-alive\s*(,|$)/.test(connection)
      : /(^|,)\s*close\s*(,|$)/.test(connection);
    this.#framing = framing;
    this.#chunkState = 0;
    this.#chunkLeft = 0;
    this.#line = "";
    this.#discarded = 0;
    this.#continueSent = false;
    this.#expectContinue = framing.kind !== "none" && head.minor >= 1 &&
      (head.headers.expect ?? "").toLowerCase() === "100-continue";
    const req = new HttpRequest(
      head.method,
      head.url,
      head.minor,
      head.headers,
      this.socket,
      framing.kind !== "none",
    );
    req.onRead = () => {
      if (this.#expectContinue && !this.#continueSent && !this.#res?.headersSent) {
        this.#continueSent = true;
        this.socket.write("HTTP/1.1 100 Continue\r\n\r\n", "latin1");
      }
      this.#resumeSocket();
    };
    this.#req = req;
    this.#res = new HttpResponse(req, this);
    if (this.#expectContinue) this.#pauseSocket();
    if (head.headers.upgrade !== undefined && /(^|,)\s*upgrade\s*(,|$)/.test(connection)) {
      this.#done = true;
      this.socket.off("data", this.#onData);
      this.socket.off("close", this.#onClose);
      this.#resumeSocket();
      this.onUpgrade(req, this.socket, new Uint8Array(rest));
      return;
    }
    this.#undispatched = true;
  }

  /** The response is done: read the next request, or close. */
  responseDone(): void {
    const req = this.#req!;
    if (req.complete) {
      this.#next();
      return;
    }
    // Go closes rather than read an unread body that is large, or that was never asked
    // for with 100 Continue; a smaller one is read and dropped.
    const neverAsked = this.#expectContinue && !this.#continueSent;
    const large = this.#framing.kind === "length" && this.#framing.left > MAX_DISCARD;
    if (this.closeAfter || neverAsked || large || this.#readEnded) {
      this.#closeSoon();
      return;
    }
    req.resume();
    this.#resumeSocket();
  }

  #next(): void {
    if (this.closeAfter) {
      this.#closeSoon();
      return;
    }
    this.#req = null;
    this.#res = null;
    const pending = this.#pending;
    if (!pending) {
      if (this.#readEnded) this.#closeSoon();
      else this.#resumeSocket();
      return;
    }
    // The next request was already read: start it once this response's caller is done.
    queueMicrotask(() => {
      this.#pending = null;
      this.#onData(pending);
      if (this.#readEnded && !this.#done) this.#afterReadEnd();
      else this.#resumeSocket();
    });
  }

  /** Whether more bytes may be read now. */
  #wantsData(): boolean {
    if (this.#pending !== null) return false;
    const req = this.#req;
    if (!req || this.#res?.writableEnded) return true;
    if (this.#expectContinue && !this.#continueSent) return false;
    return req.complete || req.queued < BODY_HIGH_WATER;
  }

  #pauseSocket(): void {
    if (!this.#paused) {
      this.#paused = true;
      this.socket.pause();
    }
  }

  #resumeSocket(): void {
    if (this.#paused && (this.#done || this.#wantsData())) {
      this.#paused = false;
      this.socket.resume();
    }
  }
}

function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** A node:net server speaking HTTP/1.1, with node:http's `closeAllConnections`. */
export type HttpServer = net.Server & { closeAllConnections(): void };

/** Creates the server: `onRequest` for each request, `onUpgrade` for protocol switches. */
export function createHttpServer(
  onRequest: RequestListener,
  onUpgrade: UpgradeListener,
): HttpServer {
  const open = new Set<net.Socket>();
  // Half-open: a client that shuts down its side after a request still gets the answer.
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    open.add(socket);
    socket.once("close", () => open.delete(socket));
    if (socket.remoteFamily) socket.setNoDelay(true);
    new Connection(socket, onRequest, (req, s, head) => {
      open.delete(s);
      onUpgrade(req, s, head);
    });
  });
  return Object.assign(server, {
    closeAllConnections() {
      for (const s of open) s.destroy();
      open.clear();
    },
  });
}
