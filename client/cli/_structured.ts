// `--format=json` and `--format=yaml` output as Pebble's CLI prints it: Go's
// encoding/json (HTML characters escaped) and gopkg.in/yaml.v3 (4-space indents, its
// quoting rules, timestamps unquoted), for the plain objects the commands build in Go's
// field order.

/** A timestamp: a JSON string, but a plain (unquoted) scalar in YAML, as Go's time.Time. */
export class Timestamp {
  constructor(readonly text: string) {}
  toJSON(): string {
    return this.text;
  }
}

/**
 * A `json.RawMessage`: JSON output as the value itself, but yaml.v3 prints its bytes as a
 * list of numbers (Go's quirk for task data, kept for identical output).
 */
export class RawJson {
  constructor(readonly value: unknown) {}
  toJSON(): unknown {
    return this.value;
  }
  bytes(): number[] {
    return [...new TextEncoder().encode(JSON.stringify(this.value))];
  }
}

/** Go's `json.Marshal` output of `value`, with a newline. */
export function toJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => {
    return "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0");
  }) + "\n";
}

// Strings that yaml.v3 would read back as something else must be quoted.
const NULL_RE = /^(~|null|Null|NULL)$/;
const BOOL_RE = /^(true|True|TRUE|false|False|FALSE)$/;
const OLD_BOOL_RE = /^(y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$/;
const INT_RE = /^[-+]?(0b[01_]+|0o?[0-7_]+|0x[0-9a-fA-F_]+|[0-9][0-9_]*)$/;
const FLOAT_RE =
  /^[-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?$|^[-+]?\.(inf|Inf|INF)$|^\.(nan|NaN|NAN)$/;
const BASE60_RE = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/;
const TIMESTAMP_RE =
  /^\d{4}-\d{1,2}-\d{1,2}(?:[Tt]\d{1,2}:\d{1,2}:\d{1,2}(?:\.\d*)?(?:Z|[-+]\d{2}:\d{2})|[ ]\d{1,2}:\d{1,2}:\d{1,2}(?:\.\d*)?)?$/;

function resolvesToNonString(s: string): boolean {
  return s === "" || NULL_RE.test(s) || BOOL_RE.test(s) || OLD_BOOL_RE.test(s) ||
    INT_RE.test(s) || FLOAT_RE.test(s) || BASE60_RE.test(s) || TIMESTAMP_RE.test(s);
}

function plainAllowed(s: string): boolean {
  if (s.startsWith("---") || s.startsWith("...")) return false;
  if (/^[\s]|[\s]$/.test(s)) return false;
  const first = s[0];
  if ("#,[]{}&*!|>'\"%@`".includes(first)) return false;
  if ((first === "-" || first === "?" || first === ":") && (s.length === 1 || /\s/.test(s[1]))) {
    return false;
  }
  if (/: |:$| #|\t/.test(s)) return false;
  // deno-lint-ignore no-control-regex
  if (/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u0085\u2028\u2029\ufeff]/.test(s)) return false;
  return true;
}

function doubleQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === "\\") out += "\\" + ch;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\r") out += "\\r";
    else if (c < 0x20 || c === 0x7f) out += "\\x" + c.toString(16).padStart(2, "0");
    else out += ch;
  }
  return out + '"';
}

function scalar(s: string): string {
  if (resolvesToNonString(s)) return doubleQuote(s);
  if (plainAllowed(s)) return s;
  // deno-lint-ignore no-control-regex
  if (/[\x00-\x1f\x7f]/.test(s)) return doubleQuote(s);
  return "'" + s.replace(/'/g, "''") + "'";
}

function nextIndent(indent: number): number {
  return 4 * Math.floor((indent + 4) / 4);
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Timestamp) &&
    !(v instanceof RawJson);
}

function emitValue(v: unknown): string | undefined {
  if (v instanceof RawJson) return emitValue(v.bytes());
  if (v === null || v === undefined) return "null";
  if (v instanceof Timestamp) return v.text;
  if (typeof v === "boolean" || typeof v === "number") return String(v);
  if (typeof v === "string") return v.includes("\n") ? undefined : scalar(v);
  if (Array.isArray(v) && v.length === 0) return "[]";
  if (isMap(v) && Object.keys(v).length === 0) return "{}";
  return undefined;
}

function literal(s: string, indent: number): string {
  const chomp = s.endsWith("\n") ? (s.endsWith("\n\n") ? "+" : "") : "-";
  const body = s.endsWith("\n") ? s.replace(/\n+$/, "") : s;
  const ind = " ".repeat(indent);
  return `|${chomp}\n` + body.split("\n").map((l) => (l === "" ? "" : ind + l)).join("\n") +
    "\n";
}

function emitMap(m: Record<string, unknown>, indent: number, firstInline: boolean): string {
  let out = "";
  let first = true;
  for (const [k, v] of Object.entries(m)) {
    const pad = first && firstInline ? "" : " ".repeat(indent);
    first = false;
    out += pad + scalar(k) + ":" + emitChild(v, indent);
  }
  return out;
}

function emitChild(v: unknown, indent: number): string {
  if (v instanceof RawJson) v = v.bytes();
  const simple = emitValue(v);
  if (simple !== undefined) return " " + simple + "\n";
  if (typeof v === "string") return " " + literal(v, nextIndent(indent));
  if (Array.isArray(v)) return "\n" + emitSeq(v, nextIndent(indent));
  return "\n" + emitMap(v as Record<string, unknown>, nextIndent(indent), false);
}

function emitSeq(list: unknown[], indent: number): string {
  let out = "";
  for (let item of list) {
    if (item instanceof RawJson) item = item.bytes();
    const pad = " ".repeat(indent) + "- ";
    const simple = emitValue(item);
    if (simple !== undefined) out += pad + simple + "\n";
    else if (typeof item === "string") out += pad + literal(item, indent + 2);
    else if (Array.isArray(item)) out += pad.trimEnd() + "\n" + emitSeq(item, indent + 2);
    else out += pad + emitMap(item as Record<string, unknown>, indent + 2, true);
  }
  return out;
}

/** yaml.v3's `yaml.Marshal` output of a map built in Go's field order. */
export function toYaml(value: Record<string, unknown>): string {
  const simple = emitValue(value);
  if (simple !== undefined) return simple + "\n";
  return emitMap(value, 0, false);
}
