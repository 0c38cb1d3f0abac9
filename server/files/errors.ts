/**
 * File errors as Pebble reports them: a Go-style message that names the path
 * (`stat /x: no such file or directory`) and one of Pebble's error kinds.
 *
 * @module
 */

/** Pebble's kinds of file errors. */
export type FileErrorKind = "not-found" | "permission-denied" | "generic-file-error";

/** An error about one path, reported in a per-item result or as an error response. */
export class FileError extends Error {
  override name = "FileError";
  constructor(message: string, readonly kind: FileErrorKind = "generic-file-error") {
    super(message);
  }

  /** The `{message, kind}` object of Pebble's per-path results. */
  toResult(): { message: string; kind: FileErrorKind } {
    return { message: this.message, kind: this.kind };
  }
}

// The texts Go's syscall package gives for the errno values file operations meet.
const ERRNO_TEXT: Record<string, string> = {
  ENOENT: "no such file or directory",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  ENOTDIR: "not a directory",
  EISDIR: "is a directory",
  EEXIST: "file exists",
  ENOTEMPTY: "directory not empty",
  ENOSPC: "no space left on device",
  EDQUOT: "disk quota exceeded",
  ELOOP: "too many levels of symbolic links",
  ENAMETOOLONG: "file name too long",
  EROFS: "read-only file system",
  EXDEV: "invalid cross-device link",
  EBUSY: "device or resource busy",
  EINVAL: "invalid argument",
  EIO: "input/output error",
  EMFILE: "too many open files",
  ETXTBSY: "text file busy",
};

/** The errno name of an error thrown by a `Deno` file function, if it has one. */
export function errnoOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown })?.code;
  if (typeof code === "string") return code;
  if (err instanceof Deno.errors.NotFound) return "ENOENT";
  if (err instanceof Deno.errors.PermissionDenied) return "EACCES";
  if (err instanceof Deno.errors.AlreadyExists) return "EEXIST";
  if (err instanceof Deno.errors.NotADirectory) return "ENOTDIR";
  if (err instanceof Deno.errors.IsADirectory) return "EISDIR";
  return undefined;
}

/** Pebble's kind for an errno: ErrNotExist and ErrPermission, else generic. */
export function kindOfErrno(errno: string | undefined): FileErrorKind {
  if (errno === "ENOENT") return "not-found";
  if (errno === "EACCES" || errno === "EPERM") return "permission-denied";
  return "generic-file-error";
}

/** The text of an OS error without Deno's decoration. */
export function errnoText(err: unknown): string {
  const errno = errnoOf(err);
  if (errno && ERRNO_TEXT[errno]) return ERRNO_TEXT[errno];
  const msg = err instanceof Error ? err.message : String(err);
  return msg.replace(/ \(os error \d+\).*$/s, "").replace(/^./, (c) => c.toLowerCase());
}

/**
 * Turns an error thrown by a `Deno` file function into Go's `*PathError` wording:
 * `op path: text` (or `op path path2: text` for a rename).
 */
export function osError(op: string, path: string, err: unknown, path2?: string): FileError {
  if (err instanceof FileError) return err;
  const where = path2 === undefined ? path : `${path} ${path2}`;
  return new FileError(`${op} ${where}: ${errnoText(err)}`, kindOfErrno(errnoOf(err)));
}

/** Go's `%q` for ordinary strings. */
export function goQuote(s: string): string {
  return JSON.stringify(s);
}

/** Pebble's error for a relative path in a per-path result. */
export function nonAbsolute(path: string): FileError {
  return new FileError(`paths must be absolute, got ${goQuote(path)}`);
}
