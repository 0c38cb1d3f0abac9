/**
 * How Go's yaml.v3 resolves an unquoted scalar to a tag. Used both when
 * reading layers (to type-check scalars as Pebble does) and when printing
 * YAML (a string that would resolve to something else must be quoted).
 *
 * @module
 */

/** Short names of the YAML tags yaml.v3 resolves plain scalars to. */
export type ScalarTag = "str" | "int" | "float" | "bool" | "null" | "timestamp" | "merge";

const SPECIAL: Record<string, ScalarTag> = {
  "true": "bool",
  "True": "bool",
  "TRUE": "bool",
  "false": "bool",
  "False": "bool",
  "FALSE": "bool",
  "": "null",
  "~": "null",
  "null": "null",
  "Null": "null",
  "NULL": "null",
  ".nan": "float",
  ".NaN": "float",
  ".NAN": "float",
  ".inf": "float",
  ".Inf": "float",
  ".INF": "float",
  "+.inf": "float",
  "+.Inf": "float",
  "+.INF": "float",
  "-.inf": "float",
  "-.Inf": "float",
  "-.INF": "float",
};

const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const DATE = /^(\d{4})-(\d{1,2})-(\d{1,2})$/;
const DATE_TIME =
  /^(\d{4})-(\d{1,2})-(\d{1,2})[Tt](\d{1,2}):(\d{1,2}):(\d{1,2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const DATE_SPACE_TIME = /^(\d{4})-(\d{1,2})-(\d{1,2}) (\d{1,2}):(\d{1,2}):(\d{1,2})(\.\d{1,9})?$/;

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);
const UINT64_MAX = (1n << 64n) - 1n;

function validDate(y: string, m: string, d: string): boolean {
  const month = Number(m);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1) return false;
  const days = new Date(Date.UTC(Number(y), month, 0)).getUTCDate();
  return day <= days;
}

function isTimestamp(s: string): boolean {
  let m = DATE.exec(s);
  if (m) return validDate(m[1], m[2], m[3]);
  m = DATE_TIME.exec(s) ?? DATE_SPACE_TIME.exec(s);
  if (m) {
    return validDate(m[1], m[2], m[3]) && Number(m[4]) < 24 && Number(m[5]) < 60 &&
      Number(m[6]) < 60;
  }
  return false;
}

/**
 * Parses an integer the way Go's strconv.ParseInt(s, 0, 64) does (with
 * ParseUint as a fallback): optional sign, then `0x`, `0o`, `0b` or a
 * leading `0` for octal. Returns undefined when it does not parse or is
 * out of the 64-bit range.
 */
export function parseGoInt(s: string): bigint | undefined {
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[bB][01]+|0[oO][0-7]+|0[0-7]*|[1-9][0-9]*)$/.exec(s);
  if (!m) return undefined;
  let body = m[2];
  if (/^0[0-7]+$/.test(body)) body = "0o" + body.slice(1);
  let v = BigInt(body.toLowerCase());
  if (m[1] === "-") v = -v;
  if (v < INT64_MIN || v > UINT64_MAX) return undefined;
  if (v > INT64_MAX && m[1] !== "") return undefined;
  return v;
}

function parseFloatFinite(s: string): boolean {
  const n = Number(s);
  return Number.isFinite(n);
}

/** Resolves a plain (unquoted, untagged) scalar as yaml.v3 does. */
export function resolvePlain(s: string): ScalarTag {
  const special = SPECIAL[s];
  if (special !== undefined) return special;
  const c = s[0];
  if (c === ".") {
    return /^\.[0-9]+([eE][-+]?[0-9]+)?$/.test(s) && parseFloatFinite(s) ? "float" : "str";
  }
  if (c === "+" || c === "-" || (c >= "0" && c <= "9")) {
    if (isTimestamp(s)) return "timestamp";
    const plain = s.replaceAll("_", "");
    if (parseGoInt(plain) !== undefined) return "int";
    if (YAML_STYLE_FLOAT.test(plain) && parseFloatFinite(plain)) return "float";
  }
  return "str";
}

/**
 * Returns the numeric value of a scalar that resolved to `int` or `float`,
 * or undefined.
 */
export function scalarNumber(s: string, tag: ScalarTag): number | undefined {
  if (tag === "int") {
    const v = parseGoInt(s.replaceAll("_", ""));
    return v === undefined ? undefined : Number(v);
  }
  if (tag === "float") {
    const lower = s.toLowerCase();
    if (lower === ".nan") return NaN;
    if (lower === ".inf" || lower === "+.inf") return Infinity;
    if (lower === "-.inf") return -Infinity;
    const n = Number(s.replaceAll("_", ""));
    return Number.isNaN(n) ? undefined : n;
  }
  return undefined;
}

/** Whether yaml.v3 would quote `s` on output because it looks like a base 60 float. */
export function isBase60Float(s: string): boolean {
  if (s === "") return false;
  const c = s[0];
  if (!(c === "+" || c === "-" || (c >= "0" && c <= "9")) || !s.includes(":")) return false;
  return /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/.test(s);
}

/** Whether yaml.v3 would quote `s` on output because YAML 1.1 read it as a bool. */
export function isOldBool(s: string): boolean {
  return [
    "y",
    "Y",
    "yes",
    "Yes",
    "YES",
    "on",
    "On",
    "ON",
    "n",
    "N",
    "no",
    "No",
    "NO",
    "off",
    "Off",
    "OFF",
  ].includes(s);
}
