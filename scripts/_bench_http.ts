/**
 * Load generation over a unix socket for the benchmark harness.
 *
 * Two clients share one interface:
 * - `raw` (the default): a minimal HTTP/1.1 client on `Deno.connect({ transport: "unix" })`
 *   with keep-alive connections. It costs about a third of the CPU per request that
 *   node:http does, so on a two-core machine it leaves the daemon the most room.
 * - `node`: node:http with a keep-alive Agent and `socketPath`, to cross-check `raw`.
 *
 * @module
 */

import http from "node:http";
import { concatBytes } from "../client/_bytes.ts";

/** Which load generator drives the requests. */
export type LoadClientKind = "raw" | "node";

/** One HTTP response as the raw client read it. */
export interface RawResponse {
  status: number;
  body: Uint8Array;
}

/** What one load run measured. Latencies are in milliseconds. */
export interface LoadResult {
  requests: number;
  elapsedMs: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU time the load generator (this process) used, as a fraction of one core. */
  generatorCores: number;
  /** Change of `LoadOptions.probe` over the measured window (NaN without a probe). */
  probeDelta: number;
}

/** Parameters of one load run. */
export interface LoadOptions {
  socketPath: string;
  path: string;
  concurrency: number;
  /** Length of the measured window. */
  durationMs: number;
  /** Unmeasured requests before the window (JIT warm-up, connection set-up). */
  warmupMs: number;
  /** Stop early once this many requests were measured. */
  maxRequests: number;
  client: LoadClientKind;
  /** Read at the start and end of the measured window; the difference is `probeDelta`. */
  probe?: () => number;
  /** Extra request headers (for example `Authorization`). */
  headers?: Record<string, string>;
}

const CR = 13;
const LF = 10;
const decoder = new TextDecoder("latin1");
const encoder = new TextEncoder();

/** Thrown when a response is not the expected 200. */
export class UnexpectedResponseError extends Error {
  constructor(path: string, status: number, body: Uint8Array) {
    const text = new TextDecoder().decode(body.subarray(0, 300));
    super(`GET ${path} answered ${status}: ${text}`);
    this.name = "UnexpectedResponseError";
  }
}

/**
 * A keep-alive HTTP/1.1 connection on a unix socket that sends GET requests one at a time
 * and reads responses framed by Content-Length or chunked transfer encoding.
 */
export class RawConnection {
  #conn: Deno.UnixConn;
  #buf = new Uint8Array(64 * 1024);
  #len = 0;
  #closed = false;

  private constructor(conn: Deno.UnixConn) {
    this.#conn = conn;
  }

  /** Connects to the unix socket at `path`. */
  static async open(path: string): Promise<RawConnection> {
    return new RawConnection(await Deno.connect({ transport: "unix", path }));
  }

  /** Whether the server asked to close the connection after its last response. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Sends one prepared request (see {@linkcode getRequest}) and reads its response. */
  async send(request: Uint8Array): Promise<RawResponse> {
    await this.#conn.write(request);
    for (;;) {
      const parsed = this.#parse();
      if (parsed) return parsed;
      if (this.#len === this.#buf.length) {
        const bigger = new Uint8Array(this.#buf.length * 2);
        bigger.set(this.#buf);
        this.#buf = bigger;
      }
      const n = await this.#conn.read(this.#buf.subarray(this.#len));
      if (n === null) throw new Error("connection closed by the server mid-response");
      this.#len += n;
    }
  }

  /** Closes the connection; safe to call twice. */
  close(): void {
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
    this.#closed = true;
  }

  /** Parses a complete response at the start of the buffer, or returns undefined. */
  #parse(): RawResponse | undefined {
    const buf = this.#buf;
    const len = this.#len;
    let headEnd = -1;
    for (let i = 3; i < len; i++) {
      if (buf[i] === LF && buf[i - 1] === CR && buf[i - 2] === LF && buf[i - 3] === CR) {
        headEnd = i + 1;
        break;
      }
    }
    if (headEnd < 0) return undefined;
    const head = decoder.decode(buf.subarray(0, headEnd)).toLowerCase();
    const status = Number(head.slice(9, 12));
    const close = /\r\nconnection:\s*close/.test(head);
    let body: Uint8Array;
    let end: number;
    const lengthMatch = /\r\ncontent-length:\s*(\d+)/.exec(head);
    if (lengthMatch) {
      end = headEnd + Number(lengthMatch[1]);
      if (len < end) return undefined;
      body = buf.slice(headEnd, end);
    } else if (/\r\ntransfer-encoding:[^\r]*chunked/.test(head)) {
      const chunks: Uint8Array[] = [];
      let pos = headEnd;
      for (;;) {
        const lineEnd = indexOfCrlf(buf, pos, len);
        if (lineEnd < 0) return undefined;
        const size = parseInt(decoder.decode(buf.subarray(pos, lineEnd)), 16);
        pos = lineEnd + 2;
        if (size === 0) {
          // Skip trailers up to the empty line.
          for (;;) {
            const trailerEnd = indexOfCrlf(buf, pos, len);
            if (trailerEnd < 0) return undefined;
            const empty = trailerEnd === pos;
            pos = trailerEnd + 2;
            if (empty) break;
          }
          break;
        }
        if (len < pos + size + 2) return undefined;
        chunks.push(buf.slice(pos, pos + size));
        pos += size + 2;
      }
      end = pos;
      body = concatBytes(chunks);
    } else if (status === 204 || status === 304) {
      end = headEnd;
      body = new Uint8Array(0);
    } else {
      throw new Error(`response without Content-Length or chunked encoding: ${head}`);
    }
    buf.copyWithin(0, end, len);
    this.#len = len - end;
    if (close) this.close();
    return { status, body };
  }
}

function indexOfCrlf(buf: Uint8Array, from: number, to: number): number {
  for (let i = from; i + 1 < to; i++) {
    if (buf[i] === CR && buf[i + 1] === LF) return i;
  }
  return -1;
}

/** The bytes of a keep-alive `GET path` request. */
export function getRequest(path: string, headers: Record<string, string> = {}): Uint8Array {
  let extra = "";
  for (const [k, v] of Object.entries(headers)) extra += `${k}: ${v}\r\n`;
  return encoder.encode(
    `GET ${path} HTTP/1.1\r\nHost: localhost\r\nUser-Agent: pebble-bench\r\n${extra}\r\n`,
  );
}

/**
 * One `GET path` on a fresh connection, for readiness probes. Rejects on connection
 * errors and when no response arrives within `timeoutMs`.
 */
export async function getOnce(
  socketPath: string,
  path: string,
  timeoutMs: number,
): Promise<RawResponse> {
  const conn = await RawConnection.open(socketPath);
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`GET ${path}: no answer in ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    return await Promise.race([conn.send(getRequest(path)), timeout]);
  } finally {
    clearTimeout(timer);
    conn.close();
  }
}

/** One GET over a client's connection, resolving to the status and body. */
type Getter = () => Promise<RawResponse>;

interface ClientPool {
  /** A getter per concurrent worker, each with its own keep-alive connection. */
  getters: Getter[];
  close(): void;
}

async function rawPool(opts: LoadOptions): Promise<ClientPool> {
  const request = getRequest(opts.path, opts.headers);
  const conns: RawConnection[] = [];
  const getters: Getter[] = [];
  for (let i = 0; i < opts.concurrency; i++) {
    conns.push(await RawConnection.open(opts.socketPath));
    getters.push(async () => {
      if (conns[i].closed) conns[i] = await RawConnection.open(opts.socketPath);
      return await conns[i].send(request);
    });
  }
  return { getters, close: () => conns.forEach((c) => c.close()) };
}

function nodePool(opts: LoadOptions): ClientPool {
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.concurrency });
  const get: Getter = () =>
    new Promise((resolve, reject) => {
      const target = { socketPath: opts.socketPath, path: opts.path, agent, headers: opts.headers };
      const req = http.request(target, (res) => {
        const parts: Uint8Array[] = [];
        res.on("data", (chunk: Uint8Array) => parts.push(chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: concatBytes(parts) }));
        res.on("error", reject);
      });
      req.on("error", reject);
      req.end();
    });
  return {
    getters: Array.from({ length: opts.concurrency }, () => get),
    close: () => agent.destroy(),
  };
}

/** CPU seconds (user + system) this process has used so far. */
function ownCpuSeconds(): number {
  const stat = Deno.readTextFileSync("/proc/self/stat");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * Drives `GET opts.path` from `opts.concurrency` workers, each waiting for its response
 * before sending the next, for a warm-up period and then a measured window.
 */
export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const pool = opts.client === "node" ? nodePool(opts) : await rawPool(opts);
  const latencies = new Float64Array(opts.maxRequests);
  let count = 0;
  try {
    const check = (res: RawResponse) => {
      if (res.status !== 200) throw new UnexpectedResponseError(opts.path, res.status, res.body);
    };
    const warmupEnd = performance.now() + opts.warmupMs;
    await Promise.all(pool.getters.map(async (get) => {
      while (performance.now() < warmupEnd) check(await get());
    }));

    const probeStart = opts.probe?.() ?? NaN;
    const cpuStart = ownCpuSeconds();
    const start = performance.now();
    const end = start + opts.durationMs;
    await Promise.all(pool.getters.map(async (get) => {
      for (;;) {
        const t0 = performance.now();
        if (t0 >= end || count >= opts.maxRequests) return;
        const res = await get();
        const t1 = performance.now();
        check(res);
        if (count < opts.maxRequests) latencies[count++] = t1 - t0;
      }
    }));
    const elapsedMs = performance.now() - start;
    const cpu = ownCpuSeconds() - cpuStart;
    const probeDelta = (opts.probe?.() ?? NaN) - probeStart;

    const sorted = latencies.subarray(0, count).sort();
    return {
      requests: count,
      elapsedMs,
      requestsPerSecond: count / (elapsedMs / 1000),
      p50Ms: percentile(sorted, 0.5),
      p99Ms: percentile(sorted, 0.99),
      generatorCores: cpu / (elapsedMs / 1000),
      probeDelta,
    };
  } finally {
    pool.close();
  }
}

/** Nearest-rank percentile of an ascending array; NaN when it is empty. */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1];
}
