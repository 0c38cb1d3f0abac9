/**
 * Reading files: Pebble's multipart response to `GET /v1/files?action=read`, produced
 * lazily from disk (one bounded chunk at a time, as the connection accepts it): a `files`
 * part per readable path, then a `response` part with per-path results.
 *
 * @module
 */

import { FileError, goQuote, nonAbsolute, osError } from "./errors.ts";
import { isAbsPath } from "./paths.ts";

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

/**
 * The body of a read response for `paths`, streamed. `onPath` is called as each path
 * is reached (for the security log).
 */
export function readFilesBody(
  paths: string[],
  boundary: string,
  onPath: (path: string) => void = () => {},
): ReadableStream<Uint8Array> {
  async function* generate(): AsyncGenerator<Uint8Array> {
    const results: { path: string; error?: { message: string; kind: string } }[] = [];
    let first = true;
    const delimiter = () => {
      const d = first ? `--${boundary}\r\n` : `\r\n--${boundary}\r\n`;
      first = false;
      return d;
    };
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
        yield encoder.encode(
          delimiter() +
            `Content-Disposition: form-data; name="files"; filename="${escapeQuotes(path)}"\r\n` +
            "Content-Type: application/octet-stream\r\n\r\n",
        );
        for (;;) {
          const buf = new Uint8Array(CHUNK);
          let n: number | null;
          try {
            n = await file.read(buf);
          } catch (e) {
            error = osError("read", path, e);
            break;
          }
          if (n === null) break;
          yield buf.subarray(0, n);
        }
      } finally {
        file.close();
      }
      results.push(error ? { path, error: error.toResult() } : { path });
    }
    const meta = JSON.stringify({
      type: "sync",
      "status-code": 200,
      status: "OK",
      result: results,
    });
    yield encoder.encode(
      delimiter() +
        'Content-Disposition: form-data; name="response"\r\n' +
        "Content-Type: application/json\r\n\r\n" + meta + "\n" +
        `\r\n--${boundary}--\r\n`,
    );
  }
  return ReadableStream.from(generate());
}

function toFileError(e: unknown, path: string): FileError {
  if (e instanceof FileError) return e;
  return osError("read", path, e);
}
