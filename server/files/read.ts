/**
 * Reading files: Pebble's multipart response to `GET /v1/files?action=read`, produced
 * lazily from disk (one bounded chunk at a time, as the connection accepts it): a `files`
 * part per readable path, then a `response` part with per-path results.
 *
 * @module
 */

import { FileError, goQuote, nonAbsolute, osError } from "./errors.ts";
import { isAbsPath } from "./paths.ts";
import type { ServerResponse } from "node:http";

const CHUNK = 256 * 1024;
const encoder = new TextEncoder();

/** A new random boundary, as long as Go's (30 random bytes in hex). */
export function newBoundary(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(30));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Go's multipart quoting of a file name in a Content-Disposition. */
export function escapeQuotes(s: string): string {
  return s.replace(/\\/g, "\\\\").replace(/"/g, '\\"');
}

async function openRegular(path: string): Promise<Deno.FsFile> {
  if (!isAbsPath(path)) throw nonAbsolute(path);
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (e) {
    throw osError("stat", path, e);
  }
  if (!info.isFile) throw new FileError(`can only read a regular file: ${goQuote(path)}`);
  try {
    return await Deno.open(path, { read: true });
  } catch (e) {
    throw osError("open", path, e);
  }
}

type Result = { path: string; error?: { message: string; kind: string } };

/** The pieces of the multipart response, shared by the stream and the direct writer. */
class Framing {
  #first = true;
  constructor(readonly boundary: string) {}
  #delimiter(): string {
    const d = this.#first ? `--${this.boundary}\r\n` : `\r\n--${this.boundary}\r\n`;
    this.#first = false;
    return d;
  }
  fileHead(path: string): Uint8Array {
    return encoder.encode(
      this.#delimiter() +
        `Content-Disposition: form-data; name="files"; filename="${escapeQuotes(path)}"\r\n` +
        "Content-Type: application/octet-stream\r\n\r\n",
    );
  }
  tail(results: Result[]): Uint8Array {
    const meta = JSON.stringify({
      type: "sync",
      "status-code": 200,
      status: "OK",
      result: results,
    });
    return encoder.encode(
      this.#delimiter() +
        'Content-Disposition: form-data; name="response"\r\n' +
        "Content-Type: application/json\r\n\r\n" + meta + "\n" +
        `\r\n--${this.boundary}--\r\n`,
    );
  }
}

/** Buffers in flight at once: one being read from disk while others are being sent. */
const POOL = 3;

/** Writes the read response straight to `out`, with a bounded pool of reused buffers. */
/**
 * Writes the read response for `paths` straight to `out`: a `files` part per readable
 * path, then the `response` part. `onPath` is called as each path is reached (for the
 * security log). The files are read into a small pool of reused buffers, one read ahead
 * of the socket, so a transfer allocates nothing per chunk and holds at most
 * {@linkcode POOL} × {@linkcode CHUNK} bytes.
 */
export async function writeFilesBody(
  paths: string[],
  boundary: string,
  onPath: (path: string) => void,
  out: ServerResponse,
): Promise<void> {
  const results: Result[] = [];
  const framing = new Framing(boundary);
  const free: Uint8Array[] = [];
  let allocated = 0;
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
  // A buffer goes back to the pool only once the socket is done with it.
  const acquire = async (): Promise<Uint8Array> => {
    for (;;) {
      if (closed) throw gone();
      const b = free.pop();
      if (b) return b;
      if (allocated < POOL) {
        allocated++;
        return new Uint8Array(CHUNK);
      }
      await new Promise<void>((r) => (wake = r));
    }
  };
  let drained = true;
  const onDrain = () => {
    drained = true;
    notify();
  };
  const send = async (bytes: Uint8Array, pooled?: Uint8Array): Promise<void> => {
    if (closed) throw gone();
    const ok = out.write(bytes, () => {
      if (pooled) {
        free.push(pooled);
        notify();
      }
    });
    if (!ok) {
      drained = false;
      out.once("drain", onDrain);
      while (!drained) {
        if (closed) throw gone();
        await new Promise<void>((r) => (wake = r));
      }
    }
  };
  try {
    for (const path of paths) {
      onPath(path);
      let file: Deno.FsFile;
      try {
        file = await openRegular(path);
      } catch (e) {
        results.push({ path, error: toFileError(e, path).toResult() });
        continue;
      }
      let error: FileError | undefined;
      try {
        await send(framing.fileHead(path));
        for (;;) {
          const buf = await acquire();
          let n: number | null;
          try {
            n = await file.read(buf);
          } catch (e) {
            free.push(buf);
            error = osError("read", path, e);
            break;
          }
          if (n === null) {
            free.push(buf);
            break;
          }
          await send(n === buf.length ? buf : buf.subarray(0, n), buf);
        }
      } finally {
        file.close();
      }
      results.push(error ? { path, error: error.toResult() } : { path });
    }
    await send(framing.tail(results));
  } finally {
    out.off("close", onClose);
    out.off("drain", onDrain);
  }
}

function toFileError(e: unknown, path: string): FileError {
  if (e instanceof FileError) return e;
  return osError("read", path, e);
}
