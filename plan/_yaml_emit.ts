/**
 * A YAML writer that prints the way Go's yaml.v3 Marshal does with its
 * defaults (4-space indentation, indented block sequences, `{}` and `[]`
 * for empty collections, no line folding), so that plans print exactly as
 * Pebble prints them.
 *
 * @module
 */

import { formatGoFloat } from "./_go_float.ts";
import { isBase60Float, isOldBool, resolvePlain } from "./_resolve.ts";

/** A value to print: an ordered map, a sequence, or a typed scalar. */
export type Out =
  | { t: "map"; entries: [string, Out][] }
  | { t: "seq"; items: Out[] }
  | { t: "str"; v: string }
  | { t: "int"; v: number }
  | { t: "float"; v: number };

const INDENT = 4;

/** Converts a tree to plain JS values (maps become objects in the same order). */
export function outToValue(node: Out): unknown {
  switch (node.t) {
    case "map": {
      const obj: Record<string, unknown> = {};
      for (const [k, v] of node.entries) {
        Object.defineProperty(obj, k, {
          value: outToValue(v),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return obj;
    }
    case "seq":
      return node.items.map(outToValue);
    default:
      return node.v;
  }
}

function isBreak(cp: number): boolean {
  return cp === 0x0a || cp === 0x0d || cp === 0x85 || cp === 0x2028 || cp === 0x2029;
}

function isPrintable(cp: number): boolean {
  return cp === 0x0a || (cp >= 0x20 && cp <= 0x7e) || (cp >= 0xa0 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd && cp !== 0xfeff);
}

interface Analysis {
  multiline: boolean;
  blockPlainAllowed: boolean;
  singleQuotedAllowed: boolean;
  blockAllowed: boolean;
}

/** libyaml's scalar analysis (block context only). */
function analyze(value: string): Analysis {
  if (value.length === 0) {
    return {
      multiline: false,
      blockPlainAllowed: true,
      singleQuotedAllowed: true,
      blockAllowed: false,
    };
  }
  let blockIndicators = false;
  let lineBreaks = false;
  let specialCharacters = false;
  let tabCharacters = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;
  let previousSpace = false;
  let previousBreak = false;

  if (value.startsWith("---") || value.startsWith("...")) blockIndicators = true;
  const cps = Array.from(value, (c) => c.codePointAt(0)!);
  let precededByWhitespace = true;
  for (let i = 0; i < cps.length; i++) {
    const c = cps[i];
    const next = cps[i + 1];
    const followedByWhitespace = next === undefined || next === 0x20 || next === 0x09;
    const ch = String.fromCodePoint(c);
    if (i === 0) {
      if ("#,[]{}&*!|>'\"%@`".includes(ch)) {
        blockIndicators = true;
      } else if (ch === "?" || ch === ":") {
        if (followedByWhitespace) blockIndicators = true;
      } else if (ch === "-") {
        if (followedByWhitespace) blockIndicators = true;
      }
    } else {
      if (ch === ":") {
        if (followedByWhitespace) blockIndicators = true;
      } else if (ch === "#") {
        if (precededByWhitespace) blockIndicators = true;
      }
    }
    if (c === 0x09) {
      tabCharacters = true;
    } else if (!isPrintable(c)) {
      specialCharacters = true;
    }
    if (c === 0x20) {
      if (i === 0) leadingSpace = true;
      if (i === cps.length - 1) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (isBreak(c)) {
      lineBreaks = true;
      if (i === 0) leadingBreak = true;
      if (i === cps.length - 1) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousSpace = false;
      previousBreak = true;
    } else {
      previousSpace = false;
      previousBreak = false;
    }
    precededByWhitespace = c === 0x20 || c === 0x09 || isBreak(c) || c === 0;
  }
  const a: Analysis = {
    multiline: lineBreaks,
    blockPlainAllowed: true,
    singleQuotedAllowed: true,
    blockAllowed: true,
  };
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) a.blockPlainAllowed = false;
  if (trailingSpace) a.blockAllowed = false;
  if (breakSpace) {
    a.blockPlainAllowed = false;
    a.singleQuotedAllowed = false;
  }
  if (spaceBreak || tabCharacters || specialCharacters) {
    a.blockPlainAllowed = false;
    a.singleQuotedAllowed = false;
  }
  if (spaceBreak || specialCharacters) a.blockAllowed = false;
  if (lineBreaks) a.blockPlainAllowed = false;
  if (blockIndicators) a.blockPlainAllowed = false;
  return a;
}

const DOUBLE_ESCAPES: Record<number, string> = {
  0x00: "0",
  0x07: "a",
  0x08: "b",
  0x09: "t",
  0x0a: "n",
  0x0b: "v",
  0x0c: "f",
  0x0d: "r",
  0x1b: "e",
  0x22: '"',
  0x5c: "\\",
  0x85: "N",
  0xa0: "_",
  0x2028: "L",
  0x2029: "P",
};

function doubleQuoted(value: string): string {
  let out = '"';
  for (const ch of value) {
    const c = ch.codePointAt(0)!;
    if (!isPrintable(c) || c === 0xfeff || isBreak(c) || c === 0x22 || c === 0x5c) {
      const named = DOUBLE_ESCAPES[c];
      if (named !== undefined) {
        out += "\\" + named;
      } else if (c <= 0xff) {
        out += "\\x" + c.toString(16).toUpperCase().padStart(2, "0");
      } else if (c <= 0xffff) {
        out += "\\u" + c.toString(16).toUpperCase().padStart(4, "0");
      } else {
        out += "\\U" + c.toString(16).toUpperCase().padStart(8, "0");
      }
    } else {
      out += ch;
    }
  }
  return out + '"';
}

function literal(value: string, contentIndent: number): string {
  const cps = Array.from(value, (c) => c.codePointAt(0)!);
  let out = "|";
  if (cps[0] === 0x20 || isBreak(cps[0])) out += String(INDENT);
  const last = cps[cps.length - 1];
  if (!isBreak(last)) {
    out += "-";
  } else if (cps.length === 1 || isBreak(cps[cps.length - 2])) {
    out += "+";
  }
  const pad = " ".repeat(contentIndent);
  // Like yaml.v3, the first line break of the value ends the header line.
  let atLineStart = false;
  let afterBreak = true;
  for (let i = 0; i < cps.length; i++) {
    const c = cps[i];
    if (isBreak(c)) {
      out += c === 0x0a ? "\n" : String.fromCodePoint(c);
      atLineStart = true;
      afterBreak = true;
    } else {
      if (afterBreak) {
        if (!atLineStart) out += "\n";
        out += pad;
      }
      out += String.fromCodePoint(c);
      atLineStart = false;
      afterBreak = false;
    }
  }
  // The caller adds the line break that ends the last line.
  return out.endsWith("\n") ? out.slice(0, -1) : out;
}

/**
 * Formats a string scalar. `simpleKey` is true for mapping keys;
 * `contentIndent` is the indentation of a literal block's lines.
 */
function stringScalar(value: string, simpleKey: boolean, contentIndent: number): string {
  const canUsePlain = resolvePlain(value) === "str" && !isBase60Float(value) &&
    !isOldBool(value);
  let style: "plain" | "single" | "double" | "literal";
  if (value.includes("\n")) style = "literal";
  else if (canUsePlain) style = "plain";
  else style = "double";
  const a = analyze(value);
  if (simpleKey && a.multiline) style = "double";
  if (style === "plain") {
    if (!a.blockPlainAllowed) style = "single";
    if (value.length === 0 && simpleKey) style = "single";
  }
  if (style === "single" && !a.singleQuotedAllowed) style = "double";
  if (style === "literal" && (!a.blockAllowed || simpleKey)) style = "double";
  switch (style) {
    case "plain":
      return value;
    case "single":
      return "'" + value.replaceAll("'", "''") + "'";
    case "double":
      return doubleQuoted(value);
    case "literal":
      return literal(value, contentIndent);
  }
}

function scalar(node: Out, contentIndent: number): string {
  switch (node.t) {
    case "str":
      return stringScalar(node.v, false, contentIndent);
    case "int":
      return String(node.v);
    case "float": {
      const s = formatGoFloat(node.v);
      if (s === "+Inf") return ".inf";
      if (s === "-Inf") return "-.inf";
      if (s === "NaN") return ".nan";
      return s;
    }
    default:
      throw new Error("internal error: not a scalar");
  }
}

function emitValue(value: Out, indent: number, lines: string[], prefix: string): void {
  if (value.t === "map") {
    if (value.entries.length === 0) {
      lines.push(prefix + " {}");
      return;
    }
    lines.push(prefix);
    emitMap(value.entries, indent + INDENT, lines);
  } else if (value.t === "seq") {
    if (value.items.length === 0) {
      lines.push(prefix + " []");
      return;
    }
    lines.push(prefix);
    const pad = " ".repeat(indent + INDENT);
    for (const item of value.items) {
      if (item.t === "map" || item.t === "seq") {
        throw new Error("internal error: nested collections in sequences are not supported");
      }
      lines.push(pad + "- " + scalar(item, indent + 2 * INDENT));
    }
  } else {
    lines.push(prefix + " " + scalar(value, indent + INDENT));
  }
}

function emitMap(entries: [string, Out][], indent: number, lines: string[]): void {
  const pad = " ".repeat(indent);
  for (const [key, value] of entries) {
    emitValue(value, indent, lines, pad + stringScalar(key, true, 0) + ":");
  }
}

/**
 * Prints a document whose root is a map, as yaml.v3 Marshal does; an empty
 * map prints as `{}`.
 */
export function emitYaml(root: Out & { t: "map" }): string {
  if (root.entries.length === 0) return "{}\n";
  const lines: string[] = [];
  emitMap(root.entries, 0, lines);
  return lines.join("\n") + "\n";
}

/**
 * Compares map keys the way yaml.v3 sorts them: letters and digits are
 * ordered naturally, so `srv2` sorts before `srv10`.
 */
export function goKeyLess(a: string, b: string): boolean {
  const ar = Array.from(a);
  const br = Array.from(b);
  const isLetter = (c: string) => /\p{L}/u.test(c);
  const isDigit = (c: string) => /\p{Nd}/u.test(c);
  const code = (c: string) => c.codePointAt(0)!;
  let digits = false;
  for (let i = 0; i < ar.length && i < br.length; i++) {
    if (ar[i] === br[i]) {
      digits = isDigit(ar[i]);
      continue;
    }
    const al = isLetter(ar[i]);
    const bl = isLetter(br[i]);
    if (al && bl) return code(ar[i]) < code(br[i]);
    if (al || bl) return digits ? al : bl;
    let an = 0n;
    let bn = 0n;
    if (ar[i] === "0" || br[i] === "0") {
      for (let j = i - 1; j >= 0 && isDigit(ar[j]); j--) {
        if (ar[j] !== "0") {
          an = 1n;
          bn = 1n;
          break;
        }
      }
    }
    let ai = i;
    for (; ai < ar.length && isDigit(ar[ai]); ai++) an = an * 10n + BigInt(code(ar[ai]) - 48);
    let bi = i;
    for (; bi < br.length && isDigit(br[bi]); bi++) bn = bn * 10n + BigInt(code(br[bi]) - 48);
    if (an !== bn) return an < bn;
    if (ai !== bi) return ai < bi;
    return code(ar[i]) < code(br[i]);
  }
  return ar.length < br.length;
}

/** Returns the keys of `obj` in yaml.v3's order. */
export function sortedKeys(obj: Record<string, unknown>): string[] {
  return Object.keys(obj).sort((a, b) => goKeyLess(a, b) ? -1 : goKeyLess(b, a) ? 1 : 0);
}
