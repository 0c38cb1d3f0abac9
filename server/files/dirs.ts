/**
 * Making directories and removing paths, with Pebble's semantics and messages: a new
 * directory is made under a temporary name (`<path>.mkdir-new`), given its mode and
 * owner, then renamed into place, so it never appears half set up; parents made with
 * `make-parents` get the same mode and owner.
 *
 * @module
 */

import { type Owner } from "./accounts.ts";
import { FileError, nonAbsolute, osError } from "./errors.ts";
import { type MaybePromise, syncDir } from "./disk.ts";
import { cleanPath, dirPath, isAbsPath } from "./paths.ts";

/** Options of {@linkcode makeDirectory}. */
export interface MkdirOptions {
  /** Make missing parents (with the same mode and owner). */
  makeParents?: boolean;
  /** An existing directory is not an error. */
  existOk?: boolean;
  /** The owner to give every directory made. */
  owner?: Owner;
}

// Pebble serialises directory creation, so that two requests making the same parents do
// not trip over each other. Here every step but the directory fsyncs is a synchronous call
// (no thread hand-off per call, as in write.ts), so one request's directories are made
// before another's start; a request that comes while fsyncs of an earlier one are still
// on the pool waits for them, so that it never relies on a directory not yet durable.
let inFlight: Promise<void> | undefined;

function track(p: Promise<void>): void {
  const settled: Promise<void> = p.then(() => {}, () => {}).then(() => {
    if (inFlight === settled) inFlight = undefined;
  });
  inFlight = settled;
}

function statOrNull(path: string): Deno.FileInfo | null {
  try {
    return Deno.statSync(path);
  } catch {
    return null;
  }
}

/**
 * Makes the directory `path` (absolute) with mode `perm`. Throws {@linkcode FileError}
 * (or rejects with it once a fsync went to the pool); a promise only when a call did.
 */
export function makeDirectory(
  path: string,
  perm: number,
  options: MkdirOptions = {},
): MaybePromise<void> {
  const run = () => {
    const syncs: Promise<void>[] = [];
    try {
      makeNow(cleanPath(path), perm, options, syncs);
    } catch (e) {
      // The parents made before the fault are still made durable.
      if (syncs.length > 0) return Promise.allSettled(syncs).then(() => Promise.reject(e));
      throw e;
    }
    if (syncs.length > 0) return Promise.all(syncs).then(() => {});
  };
  const result = inFlight ? inFlight.then(run) : run();
  if (result instanceof Promise) track(result);
  return result;
}

function makeNow(path: string, perm: number, options: MkdirOptions, syncs: Promise<void>[]) {
  const info = statOrNull(path);
  if (info) {
    if (!info.isDirectory) throw new FileError(`mkdir ${path}: not a directory`);
    if (options.existOk) return;
    throw new FileError(`mkdir ${path}: file exists`);
  }
  makeMissing(path, perm, options, syncs);
}

function mkdirAll(path: string, perm: number, options: MkdirOptions, syncs: Promise<void>[]) {
  const info = statOrNull(path);
  if (info) {
    if (info.isDirectory) return;
    throw new FileError(`mkdir ${path}: not a directory`);
  }
  makeMissing(path, perm, options, syncs);
}

/** Makes `path`, known not to exist, after its parents if asked to. */
function makeMissing(path: string, perm: number, options: MkdirOptions, syncs: Promise<void>[]) {
  if (options.makeParents) {
    const parent = dirPath(path);
    if (parent !== "/") mkdirAll(parent, perm, options, syncs);
  }
  mkdirOne(path, perm, options.owner ?? null, syncs);
}

/** Makes one directory; the fsync of its parent goes to `syncs` if it went to the pool. */
function mkdirOne(path: string, perm: number, owner: Owner, syncs: Promise<void>[]): void {
  const cand = `${path}.mkdir-new`;
  try {
    Deno.mkdirSync(cand, { mode: perm });
  } catch (e) {
    if (!(e instanceof Deno.errors.AlreadyExists)) throw osError("mkdir", cand, e);
  }
  try {
    if (owner) {
      try {
        Deno.chownSync(cand, owner.uid, owner.gid);
      } catch (e) {
        throw osError("chown", cand, e);
      }
    }
    try {
      Deno.chmodSync(cand, perm);
    } catch (e) {
      throw osError("chmod", cand, e);
    }
    try {
      Deno.renameSync(cand, path);
    } catch (e) {
      throw osError("rename", cand, e, path);
    }
  } catch (e) {
    // Unlike Pebble, leave no half-made `.mkdir-new` directory behind.
    try {
      Deno.removeSync(cand);
    } catch { /* not made, or not empty: not ours to remove */ }
    throw e;
  }
  const parent = dirPath(path);
  const failed = (e: unknown) => osError("sync", parent, e);
  let synced;
  try {
    synced = syncDir(parent);
  } catch (e) {
    throw failed(e);
  }
  if (synced instanceof Promise) syncs.push(synced.catch((e) => Promise.reject(failed(e))));
}

/**
 * Removes `path` (absolute): a file or an empty directory, or with `recursive`
 * everything under it (a missing path is then not an error). Throws {@linkcode FileError}.
 */
export async function removePath(path: string, recursive: boolean): Promise<void> {
  if (!isAbsPath(path)) throw nonAbsolute(path);
  try {
    await Deno.remove(path, { recursive });
  } catch (e) {
    if (recursive && e instanceof Deno.errors.NotFound) return;
    throw osError("remove", path, e);
  }
}

/** Pebble's `permissions` field: a 3-digit octal string, or `def` when empty. */
export function parsePermissions(permissions: string | undefined, def: number): number {
  if (!permissions) return def;
  if (!/^[0-7]{3}$/.test(permissions)) {
    throw new FileError(
      `permissions must be a 3-digit octal string, got ${JSON.stringify(permissions)}`,
    );
  }
  return parseInt(permissions, 8);
}
