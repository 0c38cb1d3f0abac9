/**
 * Reading files: Pebble's multipart response to `GET /v1/files?action=read`, produced
 * lazily from disk (one bounded chunk at a time, as the connection accepts it): a `files`
 * part per readable path, then a `response` part with per-path results.
 *
 * @module
 */

import { FileError, goQuote, nonAbsolute, osError } from "./errors.ts";
import { isAbsPath } from "./paths.ts";
import { readChunk } from "./disk.ts";
import { releaseBytes } from "../../client/_bytes.ts";
import type { HttpResponse } from "../http_server.ts";

const CHUNK = 256 * 1024;
const encoder = new TextEncoder();

/** A new random boundary, as long as Go's (30 random bytes in hex). */
export function newBoundary(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(30));
  let hex = "";
  for (const b of bytes) hex += HEX[b];
  return hex;
}

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));

/** Go's multipart quoting of a file name in a Content-Disposition. */
export function escapeQuotes(s: string): string {
  return s.replace(/\\/g, "\\\\").replace(/"/g, '\\"');
}

/**
 * The size of `path` if it is a regular file (a FIFO or device must never be opened: that
 * could block). Made synchronously: a thread hand-off per call cost more than the call.
 */
function regularFileSize(path: string): number {
  if (!isAbsPath(path)) throw nonAbsolute(path);
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(path);
  } catch (e) {
    throw osError("stat", path, e);
  }
  if (!info.isFile) throw new FileError(`can only read a regular file: ${goQuote(path)}`);
  return info.size;
}

type Result = { path: string; error?: { message: string; kind: string } };

/** The text pieces of the multipart response: part heads and the closing `response` part. */
class Framing {
  #first = true;
  constructor(readonly boundary: string) {}
  #delimiter(): string {
    const d = this.#first ? `--${this.boundary}\r\n` : `\r\n--${this.boundary}\r\n`;
    this.#first = false;
    return d;
  }
  fileHead(path: string): string {
    return this.#delimiter() +
      `Content-Disposition: form-data; name="files"; filename="${escapeQuotes(path)}"\r\n` +
      "Content-Type: application/octet-stream\r\n\r\n";
  }
  tail(results: Result[]): string {
    const meta = JSON.stringify({
      type: "sync",
      "status-code": 200,
      status: "OK",
      result: results,
    });
    return this.#delimiter() +
      'Content-Disposition: form-data; name="response"\r\n' +
      "Content-Type: application/json\r\n\r\n" + meta + "\n" +
      `\r\n--${this.boundary}--\r\n`;
  }
}

/** Files read whole into one response by {@linkcode smallFilesBody}, in all, at most. */
const SMALL_BODY_LIMIT = 1024 * 1024;

/**
 * The whole read response for `paths`, built at once, when every one of them is a small
 * file (below a chunk, by its stat) or fails: no promise, staging or back-pressure, so a
 * charm's one-file pull costs least. Null, with nothing read and `onPath` not called,
 * when a file is large or the files add up to more than {@linkcode SMALL_BODY_LIMIT}:
 * {@linkcode writeFilesBody} then streams the response.
 */
export function smallFilesBody(
  paths: string[],
  boundary: string,
  onPath: (path: string) => void,
): Uint8Array | null {
  /** Each path's stat error, or null for a small regular file. */
  const statErrors: (FileError | null)[] = [];
  let total = 0;
  for (const path of paths) {
    try {
      const size = regularFileSize(path);
      if (size >= CHUNK || (total += size) > SMALL_BODY_LIMIT) return null;
      statErrors.push(null);
    } catch (e) {
      statErrors.push(toFileError(e, path));
    }
  }
  const framing = new Framing(boundary);
  const results: Result[] = [];
  const parts: (string | Uint8Array)[] = [];
  for (let i = 0; i < paths.length; i++) {
    const path = paths[i];
    onPath(path);
    const statError = statErrors[i];
    if (statError) {
      results.push({ path, error: statError.toResult() });
      continue;
    }
    try {
      parts.push(framing.fileHead(path), Deno.readFileSync(path));
      results.push({ path });
    } catch (e) {
      results.push({ path, error: osError("open", path, e).toResult() });
    }
  }
  parts.push(framing.tail(results));
  let bound = 0;
  for (const part of parts) bound += typeof part === "string" ? part.length * 3 : part.length;
  const out = new Uint8Array(bound);
  let at = 0;
  for (const part of parts) {
    if (typeof part === "string") at += encoder.encodeInto(part, out.subarray(at)).written;
    else {
      out.set(part, at);
      at += part.length;
      releaseBytes(part);
    }
  }
  return out.subarray(0, at);
}

/** Buffers in flight at once: one being read from disk while others are being sent. */
const POOL = 3;
/** Buffers kept between requests, so a small read allocates nothing. */
const spare: Uint8Array[] = [];
const MAX_SPARE = 2 * POOL;

/**
 * Writes the read response for `paths` straight to `out`: a `files` part per readable
 * path, then the `response` part. `onPath` is called as each path is reached (for the
 * security log). Used when {@linkcode smallFilesBody} declines (a large file, or more
 * than it gathers), and correct for any paths.
 *
 * Memory is bounded by a small pool of reused buffers ({@linkcode POOL} ×
 * {@linkcode CHUNK} bytes), each returned once the socket is done with it. A file smaller
 * than a chunk (by its stat) is read whole in one synchronous call and copied into a
 * staging buffer along with the part headers, so a response that fits in one chunk goes
 * out as a single write with a Content-Length; larger files are read asynchronously, one
 * chunk ahead of the socket.
 */
export async function writeFilesBody(
  paths: string[],
  boundary: string,
  onPath: (path: string) => void,
  out: HttpResponse,
): Promise<void> {
  const results: Result[] = [];
  const framing = new Framing(boundary);
  const free: Uint8Array[] = [];
  let allocated = 0;
  let done = false;
  let wake: (() => void) | null = null;
  let closed = false;
  const notify = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  const onClose = () => {
    closed = true;
    notify();
  };
  out.once("close", onClose);
  const gone = () => new Error("connection closed");
  const wait = () => new Promise<void>((r) => (wake = r));
  // A buffer goes back to the pool only once the socket is done with it.
  const recycle = (b: Uint8Array) => {
    if (!done) {
      free.push(b);
      notify();
    } else if (spare.length < MAX_SPARE) spare.push(b);
  };
  const acquire = async (): Promise<Uint8Array> => {
    for (;;) {
      if (closed) throw gone();
      const b = free.pop();
      if (b) return b;
      if (allocated < POOL) {
        allocated++;
        return spare.pop() ?? new Uint8Array(CHUNK);
      }
      await wait();
    }
  };
  let drained = true;
  const onDrain = () => {
    drained = true;
    notify();
  };
  let sent = false;
  /** Writes `bytes` (`pooled` goes back to the pool once the socket is done with it). */
  const write = (bytes: Uint8Array, pooled?: Uint8Array): void => {
    if (closed) throw gone();
    sent = true;
    if (!out.write(bytes, pooled && (() => recycle(pooled))) && drained) {
      drained = false;
      out.once("drain", onDrain);
    }
  };
  const untilDrained = async (): Promise<void> => {
    while (!drained) {
      if (closed) throw gone();
      await wait();
    }
  };
  const send = async (bytes: Uint8Array, pooled?: Uint8Array): Promise<void> => {
    write(bytes, pooled);
    await untilDrained();
  };
  // Part headers and small files gather here before they are written. The helpers answer
  // at once (no promise) whenever the staging buffer has room, which is the common case.
  let stage: Uint8Array | null = null;
  let staged = 0;
  const flush = async () => {
    if (stage && staged > 0) {
      const b = stage;
      stage = null;
      await send(b.subarray(0, staged), b);
    }
    staged = 0;
  };
  /** The staging buffer, taken from the pool at once if there is none and the pool allows. */
  const stageNow = (): Uint8Array | null => {
    if (!stage && allocated < POOL && !closed) {
      allocated++;
      stage = spare.pop() ?? new Uint8Array(CHUNK);
    }
    return stage;
  };
  /** The staging buffer, once it has room for `n` more bytes (`n` <= CHUNK). */
  const room = (n: number): Uint8Array | Promise<Uint8Array> => {
    const now = stageNow();
    if (now && staged + n <= now.length) return now;
    return (async () => {
      if (stage && staged + n > stage.length) await flush();
      return stage ??= await acquire();
    })();
  };
  /** Appends `text` (UTF-8) to the staging buffer, or sends it alone when it is huge. */
  const put = (text: string): void | Promise<void> => {
    const now = stageNow();
    if (now) {
      const { read, written } = encoder.encodeInto(text, now.subarray(staged));
      if (read === text.length) {
        staged += written;
        return;
      }
    }
    return (async () => {
      const bytes = encoder.encode(text);
      if (bytes.length > CHUNK) {
        await flush();
        await send(bytes);
        return;
      }
      let buf = room(bytes.length);
      if (buf instanceof Promise) buf = await buf;
      buf.set(bytes, staged);
      staged += bytes.length;
    })();
  };
  try {
    for (const path of paths) {
      onPath(path);
      // A small file is read whole in one call (open, read, close at once); a large one is
      // opened and streamed.
      let data: Uint8Array | undefined;
      let file: Deno.FsFile | undefined;
      try {
        const size = regularFileSize(path);
        try {
          if (size < CHUNK) data = Deno.readFileSync(path);
          else file = Deno.openSync(path, { read: true });
        } catch (e) {
          throw osError("open", path, e);
        }
      } catch (e) {
        results.push({ path, error: toFileError(e, path).toResult() });
        continue;
      }
      let error: FileError | undefined;
      try {
        const head = put(framing.fileHead(path));
        if (head) await head;
        if (data) {
          if (data.length <= CHUNK) {
            let buf = room(data.length);
            if (buf instanceof Promise) buf = await buf;
            buf.set(data, staged);
            staged += data.length;
            releaseBytes(data);
          } else {
            await flush(); // it grew since it was looked at: send it as it is
            await send(data);
          }
        } else {
          await flush();
          for (;;) {
            const buf = await acquire();
            // The next chunk is read while the socket drains the last one: it is ready the
            // moment the socket has room (a reader that drains in bursts, such as our
            // client, otherwise waited for each read).
            const n = await readChunk(file!, buf);
            await untilDrained();
            if (n === null) {
              free.push(buf);
              break;
            }
            write(n === buf.length ? buf : buf.subarray(0, n), buf);
          }
        }
      } catch (e) {
        if (closed) throw e;
        error = osError("read", path, e);
      } finally {
        file?.close();
      }
      results.push(error ? { path, error: error.toResult() } : { path });
    }
    const tail = put(framing.tail(results));
    if (tail) await tail;
    // Everything is in the staging buffer: one write, with its length instead of chunks.
    if (!sent) out.setHeader("content-length", staged);
    await flush();
  } finally {
    done = true;
    if (stage) recycle(stage);
    for (const b of free) recycle(b);
    out.off("close", onClose);
    out.off("drain", onDrain);
  }
}

function toFileError(e: unknown, path: string): FileError {
  if (e instanceof FileError) return e;
  return osError("read", path, e);
}
