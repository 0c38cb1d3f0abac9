/**
 * `Client.exec`: run a command on the daemon's system and stream its input and output
 * over Pebble's exec WebSockets (`control`, `stdio`, `stderr`), with ops' semantics.
 * Loaded when first used.
 *
 * @module
 */

import { SIGNAL_NAMES } from "./_signals.ts";
import type { Client } from "./client.ts";
import { APIError, ChangeError, ConnectionError, ExecError } from "./errors.ts";
import { formatTimeout } from "./_time.ts";
import { denoConnDuplex, newKey, WsConn } from "./_ws.ts";
import type { Change } from "./types.ts";

/** What {@linkcode Client.exec} can send as standard input up front. */
export type ExecInput =
  | string
  | Uint8Array
  | ReadableStream<Uint8Array>
  | Iterable<Uint8Array>
  | AsyncIterable<Uint8Array>;

/** Options of {@linkcode Client.exec}. */
export interface ExecOptions {
  /**
   * Run in the context of this service: inherit its environment, user, group and
   * working directory. The options below override it; `environment` is merged on top.
   */
  serviceContext?: string;
  /** Environment variables for the process. */
  environment?: Record<string, string>;
  /** Working directory (default the user's `$HOME`, else `/`). */
  workingDir?: string;
  /** Seconds after which the process group is killed and the change fails. */
  timeout?: number;
  /** User ID to run as. */
  userId?: number;
  /** User name to run as (its UID must match `userId` if both are given). */
  user?: string;
  /** Group ID to run as. */
  groupId?: number;
  /** Group name to run as (its GID must match `groupId` if both are given). */
  group?: string;
  /**
   * Standard input given up front: text (with an `encoding`), bytes (without one), a
   * byte stream, or an (async) iterable of byte chunks. When absent,
   * {@linkcode ExecProcess.stdin} is a writable stream instead.
   */
  stdin?: ExecInput;
  /** Where standard output goes; when absent, read {@linkcode ExecProcess.stdout}. */
  stdout?: WritableStream<Uint8Array>;
  /** Where standard error goes; when absent, read {@linkcode ExecProcess.stderr}. */
  stderr?: WritableStream<Uint8Array>;
  /**
   * Text encoding of the process streams (default `"utf-8"`); `null` for bytes. It
   * decides whether `stdin`/`stdout`/`stderr` of the process and `waitOutput()` carry
   * strings or `Uint8Array`s.
   */
  encoding?: string | null;
  /** Send standard error along with standard output (`stderr` must be absent). */
  combineStderr?: boolean;
  /** Allocate a pseudo-terminal for the output (Pebble's `terminal`). */
  terminal?: boolean;
  /** Use the terminal for input too (`terminal` required). */
  interactive?: boolean;
  /** Initial terminal width in columns. */
  width?: number;
  /** Initial terminal height in rows. */
  height?: number;
}

/** Options of {@linkcode ExecProcess.waitOutput}. */
export interface WaitOutputOptions {
  /** Decode output as this encoding, or `null` for bytes (default: the exec's encoding). */
  encoding?: string | null;
}

/** The output collected by {@linkcode ExecProcess.waitOutput}. */
export interface ExecOutput<T> {
  /** Standard output (with standard error when combined). */
  stdout: T;
  /** Standard error, or null when combined with standard output. */
  stderr: T | null;
}

const END = '{"command":"end"}';
/**
 * Input is sent in messages of at most this size: the daemon then handles small,
 * short-lived buffers whatever chunk sizes the caller writes.
 */
const MAX_INPUT_MESSAGE = 128 * 1024;

async function sendChunked(ws: WsConn, data: Uint8Array): Promise<void> {
  for (let i = 0; i < data.length; i += MAX_INPUT_MESSAGE) {
    await ws.sendBinary(data.subarray(i, i + MAX_INPUT_MESSAGE));
  }
}

/** The name of a signal given by number or name (`15`, `"SIGTERM"`). */
export function signalName(sig: number | string): string {
  if (typeof sig === "string") return sig;
  const name = SIGNAL_NAMES[sig];
  if (!name) throw new RangeError(`unknown signal number ${sig}`);
  return name;
}

/**
 * A command started by {@linkcode Client.exec}. `T` is `string` when the exec has an
 * encoding (the default) and `Uint8Array` with `encoding: null`.
 *
 * Read `stdout`/`stderr` (or use {@linkcode ExecProcess.waitOutput}) while the
 * process runs: output flows only as fast as it is read, so a process whose output is
 * not read eventually blocks.
 */
export class ExecProcess<T extends string | Uint8Array = string> {
  /** Writable standard input, when no `stdin` was given to `exec`; close it for EOF. */
  readonly stdin: WritableStream<T> | null;
  /** Standard output, when no `stdout` was given to `exec`. */
  readonly stdout: ReadableStream<T> | null;
  /** Standard error, unless given to `exec` or combined with standard output. */
  readonly stderr: ReadableStream<T> | null;
  /** The ID of the exec change. */
  readonly changeId: string;
  /** The ID of the exec task (which names its WebSockets). */
  readonly taskId: string;

  readonly #client: Client;
  readonly #command: string[];
  readonly #timeout: number | undefined;
  readonly #encoding: string | null;
  readonly #control: WsConn;
  readonly #stdio: WsConn;
  readonly #stderrWs: WsConn | null;
  readonly #tasks: Promise<unknown>[];
  readonly #stdoutBytes: ReadableStream<Uint8Array> | null;
  readonly #stderrBytes: ReadableStream<Uint8Array> | null;
  #stopInput: () => void;

  /** @internal Built by `Client.exec`. */
  constructor(init: {
    client: Client;
    command: string[];
    timeout: number | undefined;
    encoding: string | null;
    changeId: string;
    taskId: string;
    control: WsConn;
    stdio: WsConn;
    stderr: WsConn | null;
    stdinStream: WritableStream<Uint8Array> | null;
    stdoutStream: ReadableStream<Uint8Array> | null;
    stderrStream: ReadableStream<Uint8Array> | null;
    tasks: Promise<unknown>[];
    stopInput: () => void;
  }) {
    this.#client = init.client;
    this.#command = init.command;
    this.#timeout = init.timeout;
    this.#encoding = init.encoding;
    this.#control = init.control;
    this.#stdio = init.stdio;
    this.#stderrWs = init.stderr;
    this.#tasks = init.tasks;
    this.#stopInput = init.stopInput;
    this.changeId = init.changeId;
    this.taskId = init.taskId;
    this.#stdoutBytes = init.stdoutStream;
    this.#stderrBytes = init.stderrStream;
    const enc = init.encoding;
    this.stdin = init.stdinStream && enc !== null
      ? encodeWritable(init.stdinStream, enc) as unknown as WritableStream<T>
      : init.stdinStream as unknown as WritableStream<T> | null;
    this.stdout = decodeReadable(init.stdoutStream, enc) as ReadableStream<T> | null;
    this.stderr = decodeReadable(init.stderrStream, enc) as ReadableStream<T> | null;
  }

  /**
   * Waits for the process to finish. Throws {@linkcode ExecError} for a non-zero exit
   * code, {@linkcode ChangeError} when it could not run (or timed out), and
   * {@linkcode TimeoutError} when the exec's timeout passed without an answer.
   */
  async wait(): Promise<void> {
    const code = await this.#wait();
    if (code !== 0) throw new ExecError<T>(this.#command, code, null, null);
  }

  /**
   * Waits for the process to finish and returns its output (text, or bytes with
   * `encoding: null`). Throws {@linkcode ExecError} (with the output) for a non-zero
   * exit code; see {@linkcode ExecProcess.wait} for the rest. Not available when
   * `stdout` was given to `exec`.
   */
  waitOutput(): Promise<ExecOutput<T>>;
  /** Same, decoding the output as `options.encoding` (null for bytes). */
  waitOutput<U extends string | Uint8Array = T>(
    options: WaitOutputOptions,
  ): Promise<ExecOutput<U>>;
  async waitOutput(options: WaitOutputOptions = {}): Promise<ExecOutput<string | Uint8Array>> {
    if (!this.#stdoutBytes) {
      throw new TypeError(
        "can't use waitOutput() when exec was called with the stdout option; use wait() instead",
      );
    }
    if (this.#stdoutBytes.locked || this.stdout?.locked) {
      throw new TypeError("stdout is already being read");
    }
    const encoding = options.encoding === undefined ? this.#encoding : options.encoding;
    const collect = async (s: ReadableStream<Uint8Array>) => {
      const bytes = new Uint8Array(await new Response(s).arrayBuffer());
      return encoding === null ? bytes : new TextDecoder(encoding).decode(bytes);
    };
    const out = collect(this.#stdoutBytes);
    const err = this.#stderrBytes && !this.#stderrBytes.locked && !this.stderr?.locked
      ? collect(this.#stderrBytes)
      : null;
    out.catch(() => {});
    err?.catch(() => {});
    const code = await this.#wait(err ? [out, err] : [out]);
    const stdout = await out;
    const stderr = err ? await err : null;
    if (code !== 0) {
      throw new ExecError<string | Uint8Array>(this.#command, code, stdout, stderr);
    }
    return { stdout, stderr };
  }

  /** Sends a signal to the process, by name (`"SIGTERM"`) or number (`15`). */
  async sendSignal(sig: number | string): Promise<void> {
    await this.#control.sendText(
      JSON.stringify({ command: "signal", signal: { name: signalName(sig) } }),
    );
  }

  /** Sets the terminal size of a `terminal` exec. */
  async resize(width: number, height: number): Promise<void> {
    await this.#control.sendText(
      JSON.stringify({ command: "resize", resize: { width, height } }),
    );
  }

  /**
   * Waits for the change, then for `outputs` (collectors still reading the output
   * streams) before the WebSockets are dropped: the change can be done while the last
   * output is still on its way, and dropping the sockets then would cut it short.
   */
  async #wait(outputs: Promise<unknown>[] = []): Promise<number> {
    let change: Change;
    try {
      change = await this.#client.waitChange(this.changeId, {
        timeout: this.#timeout === undefined ? null : this.#timeout + 1,
      });
    } catch (err) {
      this.#teardown();
      throw err;
    }
    this.#stopInput();
    await Promise.allSettled([...this.#tasks, ...outputs]);
    this.#teardown();
    if (change.err) throw new ChangeError(change.err, change);
    const code = change.tasks[0]?.data?.["exit-code"];
    return typeof code === "number" ? code : -1;
  }

  #teardown(): void {
    this.#stopInput();
    this.#control.abort();
    this.#stdio.abort();
    this.#stderrWs?.abort();
  }
}

function decodeReadable(
  s: ReadableStream<Uint8Array> | null,
  encoding: string | null,
): ReadableStream<Uint8Array> | ReadableStream<string> | null {
  if (!s || encoding === null) return s;
  // Decoding happens as the consumer reads (pipeThrough would start pulling at once).
  const decoder = new TextDecoder(encoding);
  // The byte stream is locked only once this one is read, so that waitOutput() can
  // still take the bytes when the text stream was never touched.
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  return new ReadableStream<string>({
    async pull(controller) {
      reader ??= s.getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) {
          const tail = decoder.decode();
          if (tail) controller.enqueue(tail);
          controller.close();
          return;
        }
        const text = decoder.decode(value, { stream: true });
        if (text) {
          controller.enqueue(text);
          return;
        }
      }
    },
    cancel(reason) {
      return (reader ?? s).cancel(reason);
    },
  }, { highWaterMark: 0 });
}

function encodeWritable(w: WritableStream<Uint8Array>, encoding: string): WritableStream<string> {
  if (!/^utf-?8$/i.test(encoding)) {
    throw new RangeError(`cannot encode stdin as ${encoding}: only UTF-8 is supported`);
  }
  const writer = w.getWriter();
  const encoder = new TextEncoder();
  return new WritableStream<string>({
    write: (chunk) => writer.write(typeof chunk === "string" ? encoder.encode(chunk) : chunk),
    close: () => writer.close(),
    abort: (reason) => writer.abort(reason),
  });
}

/** A WebSocket's messages up to the end message, as a byte stream read on demand. */
function wsReadable(ws: WsConn): ReadableStream<Uint8Array> {
  let finished = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      for (;;) {
        const m = finished ? null : await ws.receive();
        if (!m) {
          finished = true;
          controller.close();
          return;
        }
        if (m.type === "binary") {
          if (m.data.length === 0) continue;
          controller.enqueue(m.data);
          return;
        }
        let command: unknown;
        try {
          command = JSON.parse(m.data)?.command;
        } catch {
          continue; // garbage: keep going, as ops does
        }
        if (command === "end") {
          finished = true;
          controller.close();
          return;
        }
      }
    },
  }, { highWaterMark: 0 });
}

/** The WebSocket as a writable byte stream; closing it sends the end message. */
function wsWritable(ws: WsConn): WritableStream<Uint8Array> {
  let ended = false;
  return new WritableStream<Uint8Array>({
    write: (chunk) => sendChunked(ws, chunk),
    async close() {
      if (ended) return;
      ended = true;
      await ws.sendText(END);
    },
  });
}

async function* chunksOf(input: ExecInput, encoding: string | null): AsyncGenerator<Uint8Array> {
  if (typeof input === "string") {
    if (encoding === null) throw new TypeError("encoding must be set if stdin is a string");
    const bytes = new TextEncoder().encode(input);
    for (let i = 0; i < bytes.length; i += 64 * 1024) yield bytes.subarray(i, i + 64 * 1024);
    return;
  }
  if (input instanceof Uint8Array) {
    for (let i = 0; i < input.length; i += 64 * 1024) yield input.subarray(i, i + 64 * 1024);
    return;
  }
  if (input instanceof ReadableStream) {
    yield* input as AsyncIterable<Uint8Array>;
    return;
  }
  yield* input as AsyncIterable<Uint8Array>;
}

/** Opens task WebSocket `id` over the client's transport. */
export async function connectTaskWebsocket(
  client: Client,
  taskId: string,
  id: string,
): Promise<WsConn> {
  const path = `/v1/tasks/${encodeURIComponent(taskId)}/websocket/${encodeURIComponent(id)}`;
  let conn: Deno.Conn;
  let host = "localhost";
  const where = client.socketPath === undefined ? client.baseUrl : `socket ${client.socketPath}`;
  try {
    if (client.socketPath !== undefined) {
      conn = await Deno.connect({ transport: "unix", path: client.socketPath });
    } else {
      const url = new URL(client.baseUrl);
      host = url.host;
      const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
      conn = url.protocol === "https:"
        ? await Deno.connectTls({ hostname: url.hostname, port })
        : await Deno.connect({ hostname: url.hostname, port });
    }
  } catch (err) {
    throw new ConnectionError(
      `cannot connect to Pebble at ${where}: ${(err as Error).message}`,
      { cause: err },
    );
  }
  const timer = setTimeout(() => conn.close(), client.timeout * 1000);
  try {
    const key = newKey();
    const ua = client.userAgent !== undefined ? `User-Agent: ${client.userAgent}\r\n` : "";
    const request = `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\n` +
      `Connection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n` +
      `${ua}\r\n`;
    const io = denoConnDuplex(conn);
    await io.write(new TextEncoder().encode(request));
    // Read the response head (and whatever follows it).
    let buf = new Uint8Array(0);
    let end = -1;
    while (end < 0) {
      const chunk = await io.read();
      if (!chunk) throw new Error("connection closed during the WebSocket handshake");
      const next = new Uint8Array(buf.length + chunk.length);
      next.set(buf);
      next.set(chunk, buf.length);
      buf = next;
      end = findHeadEnd(buf);
      if (end < 0 && buf.length > 64 * 1024) throw new Error("handshake response too large");
    }
    const head = new TextDecoder().decode(buf.subarray(0, end));
    const rest = buf.subarray(end + 4);
    const [statusLine, ...lines] = head.split("\r\n");
    const status = Number(statusLine.split(" ")[1]);
    const headers = new Headers();
    for (const line of lines) {
      const i = line.indexOf(":");
      if (i > 0) headers.append(line.slice(0, i).trim(), line.slice(i + 1).trim());
    }
    if (status !== 101) {
      const length = Number(headers.get("content-length") ?? -1);
      let body = rest;
      while (length >= 0 && body.length < length) {
        const chunk = await io.read();
        if (!chunk) break;
        const next = new Uint8Array(body.length + chunk.length);
        next.set(body);
        next.set(chunk, body.length);
        body = next;
      }
      io.close();
      const text = new TextDecoder().decode(body);
      let envelope: Record<string, unknown> = {};
      try {
        envelope = JSON.parse(text);
      } catch { /* not JSON */ }
      const result = envelope.result as Record<string, unknown> | undefined;
      const message = typeof result?.message === "string"
        ? result.message
        : `cannot connect to ${id} websocket: ${statusLine}`;
      throw new APIError(envelope, status, statusLine.split(" ").slice(2).join(" "), message, {
        kind: typeof result?.kind === "string" ? result.kind : undefined,
      });
    }
    const { acceptKey } = await import("./_ws.ts");
    if (headers.get("sec-websocket-accept") !== await acceptKey(key)) {
      io.close();
      throw new ConnectionError(`bad WebSocket handshake from Pebble for ${id}`);
    }
    clearTimeout(timer);
    return new WsConn(io, "client", rest);
  } catch (err) {
    clearTimeout(timer);
    try {
      conn.close();
    } catch { /* closed */ }
    if (err instanceof APIError || err instanceof ConnectionError) throw err;
    throw new ConnectionError(
      `cannot connect to ${id} websocket at ${where}: ${(err as Error).message}`,
      { cause: err },
    );
  }
}

function findHeadEnd(buf: Uint8Array): number {
  for (let i = buf.indexOf(13); i >= 0 && i + 3 < buf.length; i = buf.indexOf(13, i + 1)) {
    if (buf[i + 1] === 10 && buf[i + 2] === 13 && buf[i + 3] === 10) return i;
  }
  return -1;
}

/** `Client.exec`. */
export async function exec(
  client: Client,
  command: string[],
  options: ExecOptions,
): Promise<ExecProcess<string | Uint8Array>> {
  if (!Array.isArray(command) || command.some((c) => typeof c !== "string")) {
    throw new TypeError("command must be an array of strings");
  }
  if (command.length < 1) throw new RangeError("command must contain at least one item");
  const encoding = options.encoding === undefined ? "utf-8" : options.encoding;
  if (options.stdin !== undefined) {
    if (typeof options.stdin === "string" && encoding === null) {
      throw new TypeError("encoding must be set if stdin is a string");
    }
    if (options.stdin instanceof Uint8Array && encoding !== null) {
      throw new TypeError("encoding must be null if stdin is bytes");
    }
  }
  if (options.combineStderr && options.stderr !== undefined) {
    throw new TypeError("stderr must be absent if combineStderr is true");
  }
  const body: Record<string, unknown> = {
    command,
    "service-context": options.serviceContext,
    environment: options.environment ?? {},
    "working-dir": options.workingDir,
    timeout: options.timeout === undefined ? undefined : formatTimeout(options.timeout),
    "user-id": options.userId,
    user: options.user,
    "group-id": options.groupId,
    group: options.group,
    "split-stderr": !options.combineStderr,
  };
  if (options.terminal) body.terminal = true;
  if (options.interactive) body.interactive = true;
  if (options.width) body.width = options.width;
  if (options.height) body.height = options.height;
  const resp = await client.request("POST", "/v1/exec", { body });
  const changeId = resp.change!;
  const taskId = String((resp.result as Record<string, unknown>)?.["task-id"]);

  const connected: WsConn[] = [];
  let control: WsConn, stdio: WsConn, stderrWs: WsConn | null = null;
  try {
    control = await connectTaskWebsocket(client, taskId, "control");
    connected.push(control);
    stdio = await connectTaskWebsocket(client, taskId, "stdio");
    connected.push(stdio);
    if (!options.combineStderr) {
      stderrWs = await connectTaskWebsocket(client, taskId, "stderr");
      connected.push(stderrWs);
    }
  } catch (err) {
    for (const ws of connected) ws.abort();
    const change = await client.waitChange(changeId);
    if (change.err) throw new ChangeError(change.err, change);
    throw new ConnectionError(`unexpected error connecting to websockets: ${err}`, {
      cause: err,
    });
  }

  const tasks: Promise<unknown>[] = [];
  let stopInput = () => {};
  let stdinStream: WritableStream<Uint8Array> | null = null;
  if (options.stdin !== undefined) {
    const input = options.stdin;
    let stopped = false;
    let iterator: AsyncGenerator<Uint8Array> | undefined;
    stopInput = () => {
      stopped = true;
      iterator?.return(undefined).catch(() => {});
    };
    // Not waited for: wait() stops it (a read of a terminal may never return).
    (async () => {
      iterator = chunksOf(input, encoding);
      for await (const chunk of iterator) {
        if (stopped) break;
        if (chunk.length) await sendChunked(stdio, chunk);
      }
      if (!stopped) await stdio.sendText(END);
    })().catch(() => {});
  } else {
    stdinStream = wsWritable(stdio);
  }

  let stdoutStream: ReadableStream<Uint8Array> | null = null;
  if (options.stdout) {
    tasks.push(wsReadable(stdio).pipeTo(options.stdout).catch(() => {}));
  } else {
    stdoutStream = wsReadable(stdio);
  }
  let stderrStream: ReadableStream<Uint8Array> | null = null;
  if (stderrWs) {
    if (options.stderr) tasks.push(wsReadable(stderrWs).pipeTo(options.stderr).catch(() => {}));
    else stderrStream = wsReadable(stderrWs);
  }
  return new ExecProcess<string | Uint8Array>({
    client,
    command,
    timeout: options.timeout,
    encoding,
    changeId,
    taskId,
    control,
    stdio,
    stderr: stderrWs,
    stdinStream,
    stdoutStream,
    stderrStream,
    tasks,
    stopInput,
  });
}
