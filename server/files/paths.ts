/**
 * Go's `path` package semantics (Clean, Dir, Base, Join, IsAbs) for slash paths, so that
 * paths in results are spelled as Pebble spells them.
 *
 * @module
 */

/** What `path.Clean` would change: `//`, a `.` or `..` element, a trailing slash. */
const UNCLEAN = /\/\/|(^|\/)\.\.?(\/|$)|.\/$/;

/** Go's `path.Clean`. */
export function cleanPath(p: string): string {
  if (p === "") return ".";
  if (!UNCLEAN.test(p)) return p; // the usual case: already clean
  const rooted = p.startsWith("/");
  const out: string[] = [];
  for (const seg of p.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") {
      if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
      else if (!rooted) out.push("..");
      continue;
    }
    out.push(seg);
  }
  const joined = out.join("/");
  if (rooted) return "/" + joined;
  return joined === "" ? "." : joined;
}

/** Go's `path.Dir`: everything before the last slash, cleaned. */
export function dirPath(p: string): string {
  const i = p.lastIndexOf("/");
  // Clean(p[:i+1]) is Clean(p[:i]) but for the root: a trailing slash is cleaned away.
  return i <= 0 ? (i === 0 ? "/" : ".") : cleanPath(p.slice(0, i));
}

/** Go's `path.Base`: the last element, trailing slashes removed. */
export function basePath(p: string): string {
  if (p === "") return ".";
  const trimmed = p.replace(/\/+$/, "");
  if (trimmed === "") return "/";
  return trimmed.slice(trimmed.lastIndexOf("/") + 1);
}

/** Go's `path.Join` of two elements. */
export function joinPath(a: string, b: string): string {
  if (a === "") return b === "" ? "" : cleanPath(b);
  if (b === "") return cleanPath(a);
  return cleanPath(`${a}/${b}`);
}

/** Go's `path.IsAbs`. */
export function isAbsPath(p: string): boolean {
  return p.startsWith("/");
}
