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
import { syncDir } from "./disk.ts";
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

// Pebble serialises directory creation, so that two requests making the same parents
// do not trip over each other.
let queue: Promise<unknown> = Promise.resolve();

function serialised<T>(fn: () => Promise<T>): Promise<T> {
  const run = queue.then(fn, fn);
  queue = run.catch(() => {});
  return run;
}

async function statOrNull(path: string): Promise<Deno.FileInfo | null> {
  try {
    return await Deno.stat(path);
  } catch {
    return null;
  }
}

/** Makes the directory `path` (absolute) with mode `perm`. Throws {@linkcode FileError}. */
export function makeDirectory(path: string, perm: number, options: MkdirOptions = {}) {
  return serialised(async () => {
    path = cleanPath(path);
    const info = await statOrNull(path);
    if (info) {
      if (!info.isDirectory) throw new FileError(`mkdir ${path}: not a directory`);
      if (options.existOk) return;
      throw new FileError(`mkdir ${path}: file exists`);
    }
    await mkdirAll(path, perm, options);
  });
}

async function mkdirAll(path: string, perm: number, options: MkdirOptions): Promise<void> {
  const info = await statOrNull(path);
  if (info) {
    if (info.isDirectory) return;
    throw new FileError(`mkdir ${path}: not a directory`);
  }
  if (options.makeParents) {
    const parent = dirPath(path);
    if (parent !== "/") await mkdirAll(parent, perm, options);
  }
  await mkdirOne(path, perm, options.owner ?? null);
}

async function mkdirOne(path: string, perm: number, owner: Owner): Promise<void> {
  const cand = `${path}.mkdir-new`;
  try {
    await Deno.mkdir(cand, { mode: perm });
  } catch (e) {
    if (!(e instanceof Deno.errors.AlreadyExists)) throw osError("mkdir", cand, e);
  }
  try {
    if (owner) {
      try {
        await Deno.chown(cand, owner.uid, owner.gid);
      } catch (e) {
        throw osError("chown", cand, e);
      }
    }
    try {
      await Deno.chmod(cand, perm);
    } catch (e) {
      throw osError("chmod", cand, e);
    }
    try {
      await Deno.rename(cand, path);
    } catch (e) {
      throw osError("rename", cand, e, path);
    }
  } catch (e) {
    // Unlike Pebble, leave no half-made `.mkdir-new` directory behind.
    await Deno.remove(cand).catch(() => {});
    throw e;
  }
  try {
    await syncDir(dirPath(path));
  } catch (e) {
    throw osError("sync", dirPath(path), e);
  }
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
