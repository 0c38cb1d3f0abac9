// The files API on the client side: push (a streamed multipart upload), pull (a streamed,
// linear-time multipart parse), listFiles, makeDir, removePath, and ops' conveniences
// pushPath, pullPath, exists and isDir. Loaded on first use by the Client's file methods.

import { dirname, join, relative } from "node:path";
import type { Client } from "./client.ts";
import { APIError, MultiPushPullError, PathError, ProtocolError, TimeoutError } from "./errors.ts";
import { MultipartError, MultipartReader, parseMediaType } from "./_multipart.ts";
import { concatBytes } from "./_bytes.ts";

/** The type of a file as the daemon reports it. */
export type FileType =
  | "file"
  | "directory"
  | "symlink"
  | "socket"
  | "named-pipe"
  | "device"
  | "unknown";

/** Stat-like information about a file or directory (ops' `FileInfo`). */
export interface FileInfo {
  /** Full path of the file. */
  path: string;
  /** Base name of the file. */
  name: string;
  /** Type of the file (`"file"`, `"directory"`, `"symlink"`, ...). */
  type: FileType | string;
  /** Size in bytes of a regular file; `null` for other types. */
  size: number | null;
  /** Unix permission bits, for example `0o644`. */
  permissions: number;
  /** When the file was last modified (to the second). */
  lastModified: Date;
  /** Owner's user ID, when known. */
  userId: number | null;
  /** Owner's user name, when known. */
  user: string | null;
  /** Group ID, when known. */
  groupId: number | null;
  /** Group name, when known. */
  group: string | null;
}

/** What {@linkcode Client.push} can send: text, bytes, a stream, an open file, or chunks. */
export type PushSource =
  | string
  | Uint8Array
  | ReadableStream<Uint8Array | string>
  | Deno.FsFile
  | AsyncIterable<Uint8Array | string>
  | Iterable<Uint8Array | string>;

/** Owner fields shared by {@linkcode PushOptions} and {@linkcode MakeDirOptions}. */
export interface OwnerOptions {
  /** Owner's user ID. Without a group, the user's primary group is used. */
  userId?: number;
  /** Owner's user name; must match `userId` when both are given. */
  user?: string;
  /** Group ID; only together with a user. */
  groupId?: number;
  /** Group name; must match `groupId` when both are given. Only together with a user. */
  group?: string;
}

/** Options of {@linkcode Client.push}. */
export interface PushOptions extends OwnerOptions {
  /** Create missing parent directories (mode 0o755, same owner). */
  makeDirs?: boolean;
  /** Mode of the file (the daemon's default is 0o644). */
  permissions?: number;
  /** Encoding of string sources; only `"utf-8"` is supported (the default). */
  encoding?: string;
  /** Cancels the upload; the daemon then keeps the old file. */
  signal?: AbortSignal;
}

/** Options of {@linkcode Client.pull}. */
export interface PullOptions {
  /**
   * Decode the file with this text encoding (default `"utf-8"`); `null` gives bytes.
   */
  encoding?: string | null;
  /** Cancels the download. */
  signal?: AbortSignal;
}

/** Options of {@linkcode Client.listFiles}. */
export interface ListFilesOptions {
  /** Only entries whose name matches this glob, for example `"*.txt"`. */
  pattern?: string;
  /** Describe a directory itself rather than its entries. */
  itself?: boolean;
}

/** Options of {@linkcode Client.makeDir}. */
export interface MakeDirOptions extends OwnerOptions {
  /** Create missing parents too (and do not fail if the directory exists). */
  makeParents?: boolean;
  /** Mode of the directories made (the daemon's default is 0o755). */
  permissions?: number;
}

/** Options of {@linkcode Client.removePath}. */
export interface RemovePathOptions {
  /** Remove a directory and everything in it; a missing path is then not an error. */
  recursive?: boolean;
}

type Json = Record<string, unknown>;
const encoder = new TextEncoder();
const CHUNK = 256 * 1024;
/** Pushes of text or bytes up to this size are sent as one buffer rather than streamed. */
const WHOLE_PUSH = 1024 * 1024;

/** Parses one entry of a list result. */
export function parseFileInfo(raw: unknown): FileInfo {
  if (typeof raw !== "object" || raw === null) {
    throw new ProtocolError("file info is not an object");
  }
  const d = raw as Json;
  const str = (k: string) => (typeof d[k] === "string" ? d[k] as string : null);
  const num = (k: string) => (typeof d[k] === "number" ? d[k] as number : null);
  const permissions = parseInt(str("permissions") ?? "", 8);
  if (Number.isNaN(permissions)) {
    throw new ProtocolError(`file ${JSON.stringify(d.name)} has invalid permissions`);
  }
  const lastModified = new Date(str("last-modified") ?? "");
  if (Number.isNaN(lastModified.getTime())) {
    throw new ProtocolError(`file ${JSON.stringify(d.name)} has an invalid last-modified time`);
  }
  return {
    path: str("path") ?? "",
    name: str("name") ?? "",
    type: str("type") ?? "unknown",
    size: num("size"),
    permissions,
    lastModified,
    userId: num("user-id"),
    user: str("user"),
    groupId: num("group-id"),
    group: str("group"),
  };
}

function ownerFields(o: OwnerOptions & { permissions?: number }): Json {
  const d: Json = {};
  if (o.permissions !== undefined) d.permissions = o.permissions.toString(8).padStart(3, "0");
  if (o.userId !== undefined) d["user-id"] = o.userId;
  if (o.user !== undefined) d.user = o.user;
  if (o.groupId !== undefined) d["group-id"] = o.groupId;
  if (o.group !== undefined) d.group = o.group;
  return d;
}

/** Throws the {@linkcode PathError} the daemon reported for `path`, as ops does. */
function raiseOnPathError(result: unknown, path: string): void {
  const list = Array.isArray(result) ? result : [];
  const item = list.find((r) => (r as Json)?.path === path) as Json | undefined;
  if (!item) {
    throw new ProtocolError(`path not found in response metadata: ${JSON.stringify(result)}`);
  }
  const err = item.error as Json | undefined;
  if (err) throw new PathError(String(err.kind ?? ""), String(err.message ?? ""));
}

/** Decodes a JSON envelope read by hand, throwing as `Client.request` does. */
function decodeEnvelope(response: Response, text: string): Json {
  let body: Json | undefined;
  try {
    const v = JSON.parse(text);
    if (typeof v === "object" && v !== null && !Array.isArray(v)) body = v;
  } catch {
    // handled below
  }
  if (response.status >= 400 || body?.type === "error") {
    const result = (body?.result ?? {}) as Json;
    const status = typeof body?.status === "string" ? body.status : response.statusText;
    const message = typeof result.message === "string" && result.message !== ""
      ? result.message
      : `server error: ${response.status} ${status}`;
    throw new APIError(body ?? {}, response.status, status, message, {
      kind: typeof result.kind === "string" && result.kind ? result.kind : undefined,
      value: result.value,
    });
  }
  if (!body) {
    throw new ProtocolError(`cannot decode Pebble's response as JSON: ${text.slice(0, 200)}`);
  }
  return body;
}

async function* sourceChunks(
  source: PushSource,
  encoding: string,
): AsyncGenerator<Uint8Array> {
  const enc = (c: Uint8Array | string) => {
    if (typeof c !== "string") return c;
    if (!/^utf-?8$/i.test(encoding)) {
      throw new TypeError(`unsupported encoding ${JSON.stringify(encoding)} (only utf-8)`);
    }
    return encoder.encode(c);
  };
  if (typeof source === "string" || source instanceof Uint8Array) {
    yield enc(source);
  } else if (source instanceof Deno.FsFile) {
    for (;;) {
      const buf = new Uint8Array(CHUNK);
      const n = await source.read(buf);
      if (n === null) return;
      yield buf.subarray(0, n);
    }
  } else {
    for await (const chunk of source as AsyncIterable<Uint8Array | string>) yield enc(chunk);
  }
}

/** Go's multipart quoting of a file name. */
function escapeQuotes(s: string): string {
  return s.replace(/\\/g, "\\\\").replace(/"/g, '\\"');
}

/** Implements {@linkcode Client.push}. */
export async function push(
  client: Client,
  path: string,
  source: PushSource,
  options: PushOptions = {},
): Promise<void> {
  const info: Json = { ...ownerFields(options), path };
  if (options.makeDirs) info["make-dirs"] = true;
  const boundary = Array.from(
    crypto.getRandomValues(new Uint8Array(16)),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
  const head = encoder.encode(
    `--${boundary}\r\nContent-Type: application/json\r\n` +
      `Content-Disposition: form-data; name="request"\r\n\r\n` +
      JSON.stringify({ action: "write", files: [info] }) +
      `\r\n--${boundary}\r\nContent-Type: application/octet-stream\r\n` +
      `Content-Disposition: form-data; name="files"; filename="${escapeQuotes(path)}"\r\n\r\n`,
  );
  const tail = encoder.encode(`\r\n--${boundary}--\r\n`);

  // No overall limit for the upload (it may be large): it times out when no data could
  // be sent for the client's timeout, or when the answer takes longer than that plus a
  // minute after the last byte (the daemon fsyncs the file before answering).
  const watchdog = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = (seconds: number) => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      watchdog.abort(new TimeoutError(`timed out after ${seconds}s pushing ${path}`));
    }, seconds * 1000);
  };
  const encoding = options.encoding ?? "utf-8";
  async function* body(): AsyncGenerator<Uint8Array> {
    arm(client.timeout);
    yield head;
    for await (const chunk of sourceChunks(source, encoding)) {
      arm(client.timeout);
      yield chunk;
    }
    yield tail;
    arm(client.timeout + 60);
  }
  const signal = options.signal
    ? AbortSignal.any([options.signal, watchdog.signal])
    : watchdog.signal;
  // Text or bytes of modest size go out as one buffer with a Content-Length: one write,
  // which the daemon reads in one go. Anything else streams.
  let whole: Uint8Array<ArrayBuffer> | undefined;
  if (typeof source === "string" || source instanceof Uint8Array) {
    const data = (await sourceChunks(source, encoding).next()).value as Uint8Array;
    if (data.length <= WHOLE_PUSH) {
      whole = concatBytes([head, data, tail]);
      arm(client.timeout + 60);
    }
  }
  try {
    const response = await client.requestRaw("POST", "/v1/files", {
      body: whole ?? ReadableStream.from(body()),
      headers: {
        Accept: "application/json",
        "Content-Type": `multipart/form-data; boundary="${boundary}"`,
      },
      timeout: null,
      signal,
    });
    const text = await response.text();
    const envelope = decodeEnvelope(response, text);
    raiseOnPathError(envelope.result, path);
  } catch (err) {
    if (watchdog.signal.aborted) throw watchdog.signal.reason;
    throw err;
  } finally {
    clearTimeout(timer);
  }
}

function protocol(e: unknown): ProtocolError {
  if (e instanceof ProtocolError) return e;
  return new ProtocolError(`cannot decode multipart payload: ${(e as Error)?.message ?? e}`);
}

/** What a failed read of a pull's body rejects with: a malformed body is a ProtocolError,
 * a failing connection its own error. */
function readFailure(e: unknown): unknown {
  if (!(e instanceof MultipartError)) return e;
  return e.cause instanceof Error ? e.cause : protocol(e);
}

async function responsePart(reader: MultipartReader, path: string): Promise<void> {
  let meta: Json;
  try {
    meta = JSON.parse(new TextDecoder().decode(await reader.readAll(16 * 1024 * 1024)));
  } catch (e) {
    throw protocol(e);
  }
  if (meta.type === "error") {
    const r = (meta.result ?? {}) as Json;
    throw new APIError(
      meta,
      Number(meta["status-code"] ?? 500),
      String(meta.status ?? ""),
      String(r.message ?? ""),
      {
        kind: typeof r.kind === "string" ? r.kind : undefined,
      },
    );
  }
  raiseOnPathError(meta.result, path);
}

/** Implements {@linkcode Client.pull}: the file's bytes as a stream. */
export async function pullBytes(
  client: Client,
  path: string,
  signal?: AbortSignal,
): Promise<ReadableStream<Uint8Array>> {
  const response = await client.requestRaw("GET", "/v1/files", {
    query: { action: "read", path },
    headers: { Accept: "multipart/form-data" },
    signal,
  });
  const contentType = response.headers.get("content-type") ?? "";
  const media = parseMediaType(contentType);
  if (!media || media.type !== "multipart/form-data") {
    const text = await response.text();
    decodeEnvelope(response, text); // throws the daemon's error, if it is one
    throw new ProtocolError(`expected a multipart response, got ${JSON.stringify(contentType)}`);
  }
  const boundary = media.params.get("boundary") ?? "";
  if (!boundary || !response.body) {
    await response.body?.cancel();
    throw new ProtocolError(`invalid boundary ${JSON.stringify(boundary)}`);
  }
  const reader = new MultipartReader(response.body, boundary);
  try {
    const first = await reader.nextPart().catch((e) => {
      throw readFailure(e);
    });
    if (!first) throw new ProtocolError('no "response" field in multipart body');
    if (first.name === "response") {
      await responsePart(reader, path);
      throw new ProtocolError("no file content in multipart response");
    }
    if (first.name !== "files") {
      throw new ProtocolError(`expected first field name to be "files", got ${first.name}`);
    }
    if (first.filename !== path) {
      throw new ProtocolError(`path not expected: ${JSON.stringify(first.filename)}`);
    }
  } catch (e) {
    await reader.cancel();
    throw e;
  }
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const chunk = await reader.read();
        if (chunk !== null) {
          controller.enqueue(chunk);
          return;
        }
        const next = await reader.nextPart();
        if (!next || next.name !== "response") {
          throw new ProtocolError('no "response" field in multipart body');
        }
        await responsePart(reader, path);
        await reader.nextPart(); // the closing boundary, so that cancel lets the body end
        await reader.cancel();
        controller.close();
      } catch (e) {
        await reader.cancel();
        controller.error(readFailure(e));
      }
    },
    async cancel() {
      await reader.cancel();
    },
  }, { highWaterMark: 0 });
}

/** Implements {@linkcode Client.listFiles}. */
export async function listFiles(
  client: Client,
  path: string,
  options: ListFilesOptions = {},
): Promise<FileInfo[]> {
  const resp = await client.request("GET", "/v1/files", {
    query: {
      action: "list",
      path,
      pattern: options.pattern || undefined,
      itself: options.itself ? "true" : undefined,
    },
  });
  const result = resp.result ?? [];
  if (!Array.isArray(result)) throw new ProtocolError("expected a list of files");
  return result.map(parseFileInfo);
}

/** Implements {@linkcode Client.makeDir}. */
export async function makeDir(
  client: Client,
  path: string,
  options: MakeDirOptions = {},
): Promise<void> {
  const info: Json = { ...ownerFields(options), path };
  if (options.makeParents) info["make-parents"] = true;
  const resp = await client.request("POST", "/v1/files", {
    body: { action: "make-dirs", dirs: [info] },
  });
  raiseOnPathError(resp.result, path);
}

/** Implements {@linkcode Client.removePath}. */
export async function removePath(
  client: Client,
  path: string,
  options: RemovePathOptions = {},
): Promise<void> {
  const info: Json = { path };
  if (options.recursive) info.recursive = true;
  const resp = await client.request("POST", "/v1/files", {
    body: { action: "remove", paths: [info] },
  });
  raiseOnPathError(resp.result, path);
}

// ---- ops' Container conveniences ----

async function localInfo(path: string): Promise<FileInfo> {
  const st = await Deno.lstat(path);
  const type = st.isSymlink
    ? "symlink"
    : st.isDirectory
    ? "directory"
    : st.isFile
    ? "file"
    : "unknown";
  return {
    path,
    name: path.slice(path.lastIndexOf("/") + 1),
    type,
    size: st.size,
    permissions: (st.mode ?? 0o644) & 0o7777,
    lastModified: st.mtime ?? new Date(0),
    userId: st.uid,
    user: null,
    groupId: st.gid,
    group: null,
  };
}

async function localList(path: string): Promise<FileInfo[]> {
  let isDir = false;
  try {
    isDir = (await Deno.stat(path)).isDirectory;
  } catch {
    // not a directory (or missing): describe the path itself, which fails if missing
  }
  if (!isDir) return [await localInfo(path)];
  const names: string[] = [];
  for await (const e of Deno.readDir(path)) names.push(e.name);
  names.sort();
  return await Promise.all(names.map((n) => localInfo(join(path, n))));
}

/** ops' `_list_recursive`: directories (then their content), files and symlinks. */
async function* listRecursive(
  list: (path: string) => Promise<FileInfo[]>,
  path: string,
): AsyncGenerator<FileInfo> {
  if (path.endsWith("/*") || path === "*") path = dirname(path);
  for (const info of await list(path)) {
    if (info.type === "directory") {
      yield info;
      yield* listRecursive(list, info.path);
    } else if (info.type === "file" || info.type === "symlink") {
      yield info;
    }
  }
}

/** ops' `_build_destpath`: `/src` goes to `dest/src`, `/src/*` to `dest/`. */
function destPath(filePath: string, sourcePath: string, destDir: string): string {
  const prefix = dirname(sourcePath.replace(/\/+$/, "") || "/");
  return join(destDir, relative(prefix, filePath));
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

/** Implements {@linkcode Client.pushPath}. */
export async function pushPath(
  client: Client,
  sources: string | string[],
  destDir: string,
): Promise<void> {
  const errors: [string, Error][] = [];
  for (const source of typeof sources === "string" ? [sources] : sources) {
    try {
      for await (const info of listRecursive(localList, source)) {
        const dst = destPath(info.path, source, destDir);
        if (info.type === "directory") {
          await makeDir(client, dst, { makeParents: true });
          continue;
        }
        // A symlink is copied as the file it points to, with that file's mode.
        const mode = info.type === "symlink"
          ? (await Deno.stat(info.path)).mode ?? 0o644
          : info.permissions;
        using file = await Deno.open(info.path, { read: true });
        await push(client, dst, file, {
          makeDirs: true,
          permissions: mode & 0o777,
          userId: info.userId ?? undefined,
          groupId: info.groupId ?? undefined,
        });
      }
    } catch (e) {
      errors.push([source, asError(e)]);
    }
  }
  if (errors.length > 0) throw new MultiPushPullError("failed to push one or more files", errors);
}

/** Implements {@linkcode Client.pullPath}. */
export async function pullPath(
  client: Client,
  sources: string | string[],
  destDir: string,
): Promise<void> {
  const errors: [string, Error][] = [];
  for (const source of typeof sources === "string" ? [sources] : sources) {
    try {
      for await (const info of listRecursive((p) => listFiles(client, p), source)) {
        const dst = destPath(info.path, source, destDir);
        if (info.type === "directory") {
          await Deno.mkdir(dst, { recursive: true });
          continue;
        }
        await Deno.mkdir(dirname(dst), { recursive: true });
        const stream = await pullBytes(client, info.path);
        const file = await Deno.open(dst, { write: true, create: true, truncate: true });
        await stream.pipeTo(file.writable);
      }
    } catch (e) {
      errors.push([source, asError(e)]);
    }
  }
  if (errors.length > 0) throw new MultiPushPullError("failed to pull one or more files", errors);
}

/** Implements {@linkcode Client.exists} (`dir` false) and {@linkcode Client.isDir}. */
export async function probe(client: Client, path: string, dir: boolean): Promise<boolean> {
  let files: FileInfo[];
  try {
    files = await listFiles(client, path, { itself: true });
  } catch (e) {
    if (e instanceof APIError && e.code === 404) return false;
    throw e;
  }
  return dir ? files[0]?.type === "directory" : true;
}
