/**
 * Listing files: a directory's entries (optionally filtered by a glob on the name), or
 * one file or directory itself, with the fields of Pebble's `fileInfoResult`.
 *
 * @module
 */

import { Accounts } from "./accounts.ts";
import { FileError, osError } from "./errors.ts";
import { compileGlob } from "./glob.ts";
import { basePath, dirPath, joinPath } from "./paths.ts";

/** One entry as `GET /v1/files?action=list` returns it (keys in Pebble's order). */
export interface FileInfoResult {
  path: string;
  name: string;
  type: string;
  size?: number;
  permissions: string;
  "last-modified": string;
  "user-id": number | null;
  user: string;
  "group-id": number | null;
  group: string;
}

/** Pebble's type name for a file. */
export function fileType(info: Deno.FileInfo): string {
  if (info.isFile) return "file";
  if (info.isDirectory) return "directory";
  if (info.isSymlink) return "symlink";
  if (info.isSocket) return "socket";
  if (info.isFifo) return "named-pipe";
  if (info.isBlockDevice || info.isCharDevice) return "device";
  return "unknown";
}

const pad2 = (n: number) => String(n).padStart(2, "0");

/** Go's `time.RFC3339` layout in the local time zone (whole seconds). */
export function formatLocalRFC3339(date: Date): string {
  const off = -date.getTimezoneOffset();
  const zone = off === 0
    ? "Z"
    : `${off > 0 ? "+" : "-"}${pad2(Math.floor(Math.abs(off) / 60))}:${pad2(Math.abs(off) % 60)}`;
  return `${String(date.getFullYear()).padStart(4, "0")}-${pad2(date.getMonth() + 1)}-${
    pad2(date.getDate())
  }T${pad2(date.getHours())}:${pad2(date.getMinutes())}:${pad2(date.getSeconds())}${zone}`;
}

/** The result entry for a file. */
export function fileInfoResult(
  fullPath: string,
  info: Deno.FileInfo,
  accounts: Accounts,
): FileInfoResult {
  const result: FileInfoResult = {
    path: fullPath,
    name: basePath(fullPath),
    type: fileType(info),
    size: undefined,
    permissions: ((info.mode ?? 0) & 0o777).toString(8).padStart(3, "0"),
    "last-modified": formatLocalRFC3339(info.mtime ?? new Date(0)),
    "user-id": info.uid,
    user: info.uid === null ? "" : accounts.userName(info.uid),
    "group-id": info.gid,
    group: info.gid === null ? "" : accounts.groupName(info.gid),
  };
  if (info.isFile) result.size = info.size;
  else delete result.size;
  return result;
}

/**
 * Lists `path` (absolute): its entries when it is a directory and `itself` is false,
 * else the path itself. Entries are sorted by name and described without following
 * symlinks; the path itself is followed. Throws {@linkcode FileError}.
 */
export async function listFiles(
  path: string,
  pattern: string,
  itself: boolean,
  accounts: Accounts = new Accounts(),
): Promise<FileInfoResult[]> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (e) {
    throw osError("stat", path, e);
  }
  // Like Go, a malformed pattern is only noticed when there is a name to match.
  let matcher: ((name: string) => boolean) | undefined;
  const match = pattern === "" ? undefined : (n: string) => (matcher ??= compileGlob(pattern))(n);
  if (!info.isDirectory || itself) {
    const name = basePath(path);
    if (match && !match(name)) return [];
    return [fileInfoResult(joinPath(dirPath(path), name), info, accounts)];
  }
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(path)) names.push(entry.name);
  } catch (e) {
    throw osError("open", path, e);
  }
  names.sort(goStringOrder);
  const result: FileInfoResult[] = [];
  for (const name of names) {
    if (match && !match(name)) continue;
    const full = joinPath(path, name);
    let entryInfo: Deno.FileInfo;
    try {
      entryInfo = await Deno.lstat(full);
    } catch (e) {
      throw osError("lstat", full, e);
    }
    result.push(fileInfoResult(full, entryInfo, accounts));
  }
  return result;
}

export { FileError };

/**
 * Go's order of strings: by their UTF-8 bytes, that is by code point. JavaScript's `<`
 * compares UTF-16 units, which puts a character beyond U+FFFF (a surrogate pair) before
 * U+E000–U+FFFF; at the first unit that differs, a surrogate is the greater.
 */
export function goStringOrder(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const sx = (x & 0xf800) === 0xd800;
    const sy = (y & 0xf800) === 0xd800;
    if (sx !== sy) return sx ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}
