/**
 * Go's `path.Match` glob syntax: `*` (any run of non-slash characters), `?` (one
 * non-slash character), `[...]` classes with ranges and `^` negation, `\` escapes.
 * A malformed pattern is an error, as in Go.
 *
 * @module
 */

import { FileError } from "./errors.ts";

/** Go's `path.ErrBadPattern`. */
export function badPattern(): FileError {
  return new FileError("syntax error in pattern");
}

/** Compiles a pattern to a matcher; throws {@linkcode badPattern} when malformed. */
export function compileGlob(pattern: string): (name: string) => boolean {
  const chars = [...pattern];
  let re = "^";
  const esc = (c: string) => `\\u{${c.codePointAt(0)!.toString(16)}}`;
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    if (c === "*") {
      re += "[^/]*";
    } else if (c === "?") {
      re += "[^/]";
    } else if (c === "\\") {
      i++;
      if (i >= chars.length) throw badPattern();
      re += esc(chars[i]);
    } else if (c === "[") {
      i++;
      let negate = false;
      if (chars[i] === "^") {
        negate = true;
        i++;
      }
      let cls = "";
      let n = 0;
      for (;;) {
        if (i >= chars.length) throw badPattern();
        if (chars[i] === "]" && n > 0) break;
        const lo = classChar(chars, i);
        i = lo.next;
        let item = esc(lo.c);
        if (chars[i] === "-") {
          const hi = classChar(chars, i + 1);
          i = hi.next;
          if (lo.c.codePointAt(0)! > hi.c.codePointAt(0)!) throw badPattern();
          item += "-" + esc(hi.c);
        }
        cls += item;
        n++;
      }
      re += negate ? `[^${cls}]` : `[${cls}]`;
    } else {
      re += esc(c);
    }
  }
  const regex = new RegExp(re + "$", "su");
  return (name) => regex.test(name);
}

function classChar(chars: string[], i: number): { c: string; next: number } {
  if (i >= chars.length || chars[i] === "-" || chars[i] === "]") throw badPattern();
  if (chars[i] === "\\") {
    i++;
    if (i >= chars.length) throw badPattern();
  }
  return { c: chars[i], next: i + 1 };
}
