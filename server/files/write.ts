/**
 * Writing files from a multipart upload (`POST /v1/files`, action `write`).
 *
 * Each file part is streamed into a temporary file next to its target
 * (`<name>.<random>~`, as Pebble names them), given its mode and owner, fsynced, and
 * renamed over its target once its part has been read whole; the directories are fsynced
 * before the answer. A reader sees the old file or the new one, never a partial one. As
 * in Pebble, a fault in the body (a truncated or abandoned upload, a part that does not
 * match the request) is a 400 that leaves the file being read as it was, and no temporary
 * file behind, while the files of the parts before it stay written.
 *
 * The disk steps return a promise only when a call went to the pool (disk.ts), and are
 * awaited only then: a small upload's file is written, fsynced and renamed with no promise
 * (~1 % faster pushes from a quick client than awaiting every step, within the noise).
 *
 * @module
 */

import { MultipartError, MultipartReader } from "../../client/_multipart.ts";
import { checkCanChown, type Owner, resolveOwner } from "./accounts.ts";
import { errnoOf, FileError, goQuote, nonAbsolute, osError } from "./errors.ts";
import { makeDirectory, parsePermissions } from "./dirs.ts";
import { fsync, type MaybePromise, SYNC_WRITE_BYTES, syncDir, writeChunk } from "./disk.ts";
import { basePath, dirPath, isAbsPath } from "./paths.ts";
import { decodeFirstValue } from "../go_json.ts";

/** Bytes gathered before each write to the temporary file: the most that the disk policy
 * (disk.ts) writes on the event loop. */
const WRITE_BUFFER = SYNC_WRITE_BYTES;
/** Gathering buffers kept for the next uploads (allocating and zeroing one per file cost
 * more than writing a small file). */
const spareBuffers: Uint8Array[] = [];
const MAX_SPARE_BUFFERS = 2;

let umaskValue: number | undefined;

/**
 * The process's umask, from /proc/self/status (read once: the daemon never changes it;
 * `Deno.umask()` would set it to 0 for a moment to read it). -1 when unknown.
 */
function processUmask(): number {
  if (umaskValue === undefined) {
    try {
      const m = /^Umask:\s*([0-7]+)$/m.exec(Deno.readTextFileSync("/proc/self/status"));
      umaskValue = m ? parseInt(m[1], 8) : -1;
    } catch {
      umaskValue = -1;
    }
  }
  return umaskValue;
}

/** One entry of the `files` list of a write request. */
export interface WriteItem {
  path: string;
  makeDirs?: boolean;
  permissions?: string;
  userId?: number | null;
  user?: string;
  groupId?: number | null;
  group?: string;
}

/** A file being written under a temporary name, renamed over its target on commit. */
export class AtomicFile {
  #file: Deno.FsFile | undefined;
  #done = false;
  #buf: Uint8Array | undefined;
  #used = 0;
  /** Bytes written to the file so far (gathered ones included). */
  #size = 0;

  private constructor(readonly target: string, readonly tmp: string, file: Deno.FsFile) {
    this.#file = file;
  }

  /** Creates the temporary file in the target's directory, with mode `perm`. */
  static create(target: string, perm: number): AtomicFile {
    const base = basePath(target);
    const dir = dirPath(target);
    if (base.includes("*")) {
      throw new FileError(`cannot create tempfile for filename containing '*': ${goQuote(base)}`);
    }
    // Created with its mode when the umask cannot change it, else 0600 then chmod (as
    // Pebble does always): the same file either way, one system call fewer.
    const umask = processUmask();
    const direct = perm <= 0o777 && umask >= 0 && (perm & umask) === 0;
    for (let attempt = 0;; attempt++) {
      // Not a secret: a name taken is tried again, as Go's os.CreateTemp does.
      const rand = Math.floor(Math.random() * 0x1_0000_0000);
      const tmp = `${dir === "/" ? "" : dir}/${base}.${rand}~`;
      let file: Deno.FsFile;
      try {
        // Metadata calls are made synchronously (no thread hand-off per call); fsyncs
        // follow the policy of disk.ts.
        file = Deno.openSync(tmp, { write: true, createNew: true, mode: direct ? perm : 0o600 });
      } catch (e) {
        if (e instanceof Deno.errors.AlreadyExists && attempt < 100) continue;
        throw osError("open", tmp, e);
      }
      const atomic = new AtomicFile(target, tmp, file);
      if (direct) return atomic;
      try {
        Deno.chmodSync(tmp, perm); // explicit, so the umask does not apply
      } catch (e) {
        atomic.cancel();
        throw osError("chmod", tmp, e);
      }
      return atomic;
    }
  }

  /**
   * Appends a chunk. Small chunks (the network's) are gathered into larger writes: one
   * system call per 256 KiB rather than per 64 KiB.
   */
  write(chunk: Uint8Array): MaybePromise<void> {
    this.#size += chunk.length;
    return this.#append(chunk);
  }

  #append(chunk: Uint8Array): MaybePromise<void> {
    while (chunk.length > 0) {
      if (this.#used === 0 && chunk.length >= WRITE_BUFFER) return this.#writeAll(chunk);
      this.#buf ??= spareBuffers.pop() ?? new Uint8Array(WRITE_BUFFER);
      const n = Math.min(chunk.length, WRITE_BUFFER - this.#used);
      this.#buf.set(chunk.subarray(0, n), this.#used);
      this.#used += n;
      chunk = chunk.subarray(n);
      if (this.#used === WRITE_BUFFER) {
        const flushed = this.#flush();
        if (flushed instanceof Promise) {
          const rest = chunk;
          return flushed.then(() => this.#append(rest));
        }
      }
    }
  }

  #flush(): MaybePromise<void> {
    if (this.#used === 0) return;
    const written = this.#writeAll(this.#buf!.subarray(0, this.#used));
    if (written instanceof Promise) return written.then(() => void (this.#used = 0));
    this.#used = 0;
  }

  #writeAll(bytes: Uint8Array): MaybePromise<void> {
    for (let off = 0; off < bytes.length;) {
      let n;
      try {
        n = writeChunk(this.#file!, off === 0 ? bytes : bytes.subarray(off));
      } catch (e) {
        throw osError("write", this.tmp, e);
      }
      if (n instanceof Promise) return this.#writeRest(bytes, off, n);
      off += n;
    }
  }

  /** Finishes {@linkcode #writeAll} once a write went to the pool. */
  async #writeRest(bytes: Uint8Array, off: number, pending: Promise<number>): Promise<void> {
    try {
      off += await pending;
    } catch (e) {
      throw osError("write", this.tmp, e);
    }
    await this.#writeAll(bytes.subarray(off));
  }

  #releaseBuffer(): void {
    if (this.#buf && spareBuffers.length < MAX_SPARE_BUFFERS) spareBuffers.push(this.#buf);
    this.#buf = undefined;
  }

  /** Gives the file its owner, fsyncs and closes it: ready to be renamed. */
  prepare(owner: Owner): MaybePromise<void> {
    const flushed = this.#flush();
    if (flushed instanceof Promise) return flushed.then(() => this.#seal(owner));
    return this.#seal(owner);
  }

  #seal(owner: Owner): MaybePromise<void> {
    this.#releaseBuffer();
    if (owner) {
      try {
        Deno.chownSync(this.tmp, owner.uid, owner.gid);
      } catch (e) {
        throw osError("chown", this.tmp, e);
      }
    }
    let synced;
    try {
      synced = fsync(this.#file!, this.#size);
    } catch (e) {
      throw osError("sync", this.tmp, e);
    }
    if (synced instanceof Promise) {
      return synced.then(() => this.#close(), (e) => {
        throw osError("sync", this.tmp, e);
      });
    }
    this.#close();
  }

  #close(): void {
    this.#file!.close();
    this.#file = undefined;
  }

  /** Renames the file over its target (the caller fsyncs the directory). */
  commit(): void {
    try {
      Deno.renameSync(this.tmp, this.target);
      this.#done = true;
    } catch (e) {
      // Go's os.Rename refuses to replace a directory with EEXIST; Linux says EISDIR.
      if (errnoOf(e) === "EISDIR") {
        throw new FileError(`rename ${this.tmp} ${this.target}: file exists`);
      }
      throw osError("rename", this.tmp, e, this.target);
    }
  }

  /** Closes and removes the temporary file unless it was committed. */
  cancel(): void {
    if (this.#done) return;
    this.#done = true;
    this.#releaseBuffer();
    try {
      this.#file?.close();
    } catch { /* already closed */ }
    this.#file = undefined;
    try {
      Deno.removeSync(this.tmp);
    } catch { /* gone already */ }
  }
}

/** The outcome of an upload: a 400 with a message, or one result per requested file. */
export type WriteOutcome =
  | { badRequest: string }
  | { results: { path: string; error?: { message: string; kind: string } }[] };

/** Options of {@linkcode writeFiles}. */
export interface WriteFilesOptions {
  /** Called as each file part starts (for the security log). */
  onPath?: (path: string) => void;
  /** Largest `request` part, in bytes. */
  maxMetadataBytes?: number;
  /** Validates and converts the decoded metadata; returns an error message or the items. */
  decodeMetadata: (value: unknown) => { action: string; files: WriteItem[] } | string;
}

function multipartText(e: unknown): string {
  if (e instanceof MultipartError) {
    if (e.eof) return `multipart: NextPart: ${e.eof}`;
    if (e.header) return e.message;
    return e.message.startsWith("multipart:") ? e.message : `multipart: NextPart: ${e.message}`;
  }
  return (e as Error)?.message ?? String(e);
}

/** As Go's `NextPart` reports a fault of the body itself (such as its early end). */
function nextPartText(e: unknown): string {
  return e instanceof MultipartError
    ? multipartText(e)
    : `multipart: NextPart: ${multipartText(e)}`;
}

/** Reads a multipart upload from `body` and writes its files. */
export async function writeFiles(
  body: AsyncIterable<Uint8Array>,
  boundary: string,
  options: WriteFilesOptions,
): Promise<WriteOutcome> {
  const reader = new MultipartReader(body, boundary, { releaseConsumed: true });
  const outcome = new Map<string, FileError | null>();
  /** The directories of the files put in place, each with its files: fsynced at the end. */
  const dirs = new Map<string, string[]>();
  try {
    let part;
    try {
      part = await reader.nextPart();
    } catch (e) {
      return { badRequest: `cannot read request metadata: ${nextPartText(e)}` };
    }
    if (!part) return { badRequest: "cannot read request metadata: EOF" };
    if (part.name !== "request") {
      return { badRequest: `metadata field name must be "request", got ${goQuote(part.name)}` };
    }
    let raw: Uint8Array;
    let cut = false;
    try {
      raw = await reader.readAll(options.maxMetadataBytes ?? 16 * 1024 * 1024);
    } catch (e) {
      if (!(e instanceof MultipartError && e.partial)) {
        return { badRequest: `cannot decode request metadata: ${multipartText(e)}` };
      }
      // The body ended inside the metadata: like Go's decoder on the part, take a whole
      // first value (the next part then fails), else the value was cut short.
      raw = e.partial;
      cut = true;
    }
    let meta: unknown;
    try {
      meta = decodeFirstValue(raw);
    } catch (e) {
      // Cut short, Go's decoder reports its reader's "unexpected EOF" (a syntax error first
      // still comes first).
      const message = (e as Error).message;
      const text = cut && /^(unexpected )?EOF$/.test(message) ? "unexpected EOF" : message;
      return { badRequest: `cannot decode request metadata: ${text}` };
    }
    const decoded = options.decodeMetadata(meta);
    if (typeof decoded === "string") return { badRequest: decoded };
    if (decoded.action !== "write") {
      return { badRequest: `multipart action must be "write", got ${goQuote(decoded.action)}` };
    }
    if (decoded.files.length === 0) return { badRequest: "must specify one or more files" };
    const items = new Map<string, WriteItem>();
    for (const item of decoded.files) items.set(item.path, item);

    for (let i = 0;; i++) {
      try {
        part = await reader.nextPart();
      } catch (e) {
        return { badRequest: `cannot read file part ${i}: ${nextPartText(e)}` };
      }
      if (!part) break;
      if (part.name !== "files") {
        return { badRequest: `field name must be "files", got ${goQuote(part.name)}` };
      }
      const path = part.filename ?? "";
      const item = items.get(path);
      if (!item) return { badRequest: `no metadata for path ${goQuote(path)}` };
      options.onPath?.(path);
      let file: AtomicFile;
      let owner: Owner;
      try {
        let started = startFile(item);
        if (started instanceof Promise) started = await started;
        ({ file, owner } = started);
      } catch (e) {
        outcome.set(path, asFileError(e, path));
        continue; // nextPart skips the content
      }
      try {
        for (let chunk = await reader.read(); chunk !== null; chunk = await reader.read()) {
          const written = file.write(chunk);
          if (written instanceof Promise) await written;
        }
        const prepared = file.prepare(owner);
        if (prepared instanceof Promise) await prepared;
      } catch (e) {
        file.cancel();
        if (e instanceof FileError) {
          outcome.set(path, e);
          continue;
        }
        return { badRequest: `cannot read file part ${i + 1}: ${nextPartText(e)}` };
      }
      // In place at once, as in Pebble: a fault in a later part leaves this file written.
      try {
        file.commit();
        outcome.set(path, null);
        const dir = dirPath(path);
        const inDir = dirs.get(dir);
        if (inDir) inDir.push(path);
        else dirs.set(dir, [path]);
      } catch (e) {
        file.cancel();
        outcome.set(path, asFileError(e, path));
      }
    }
    await syncDirs(dirs, outcome);
    return {
      results: decoded.files.map((f) => {
        const err = outcome.has(f.path)
          ? outcome.get(f.path)
          : new FileError(`no file content for path ${goQuote(f.path)}`);
        return err ? { path: f.path, error: err.toResult() } : { path: f.path };
      }),
    };
  } finally {
    // After a fault too, the files already in place are made durable.
    if (dirs.size > 0) await syncDirs(dirs);
    await reader.cancel();
  }
}

/** Fsyncs each directory once (emptying `dirs`); a failure is its files' result. */
async function syncDirs(
  dirs: Map<string, string[]>,
  outcome?: Map<string, FileError | null>,
): Promise<void> {
  for (const [dir, targets] of dirs) {
    try {
      const synced = syncDir(dir);
      if (synced instanceof Promise) await synced;
    } catch (e) {
      for (const t of targets) outcome?.set(t, osError("sync", dir, e));
    }
  }
  dirs.clear();
}

interface Started {
  file: AtomicFile;
  owner: Owner;
}

/** Checks an item and creates its temporary file (after its directories, with `makeDirs`). */
function startFile(item: WriteItem): MaybePromise<Started> {
  if (!isAbsPath(item.path)) throw nonAbsolute(item.path);
  const owner = resolveOwner(item);
  checkCanChown(item.path, owner);
  if (!item.makeDirs) return create(item, owner);
  const failed = (e: unknown) => {
    const err = asFileError(e, item.path);
    return new FileError(`cannot create directory: ${err.message}`, err.kind);
  };
  let made;
  try {
    made = makeDirectory(dirPath(item.path), 0o755, { makeParents: true, existOk: true, owner });
  } catch (e) {
    throw failed(e);
  }
  if (!(made instanceof Promise)) return create(item, owner);
  return made.then(() => create(item, owner), (e) => Promise.reject(failed(e)));
}

function create(item: WriteItem, owner: Owner): Started {
  const perm = parsePermissions(item.permissions, 0o644);
  return { file: AtomicFile.create(item.path, perm), owner };
}

function asFileError(e: unknown, path: string): FileError {
  if (e instanceof FileError) return e;
  return osError("write", path, e);
}
