/**
 * Decodes node trees into typed values with the checks yaml.v3 makes when
 * Pebble decodes a layer with KnownFields: unknown fields, duplicate keys,
 * and values of the wrong kind are errors that name the field.
 *
 * @module
 */

import { LayerError } from "./errors.ts";
import { goQuote } from "./_quote.ts";
import { isNull, type MapNode, type YNode } from "./_node.ts";
import { scalarNumber } from "./_resolve.ts";
import { DurationError, parseDuration } from "./duration.ts";
import type { OptionalDuration, OptionalFloat } from "./types.ts";

/** Sets `obj[key] = value`, safe for keys such as `__proto__`. */
export function setKey<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Go's short form of a node's kind for "cannot unmarshal" messages. */
function nodeTagName(node: YNode): string {
  if (node.kind === "map") return "!!map";
  if (node.kind === "seq") return "!!seq";
  return node.tag.startsWith("!") ? node.tag : "!!" + node.tag;
}

/** Decoding context for one layer section. */
export class Decoder {
  /** Creates a decoder for `section` of layer `label`. */
  constructor(readonly label: string, readonly section: string) {}

  /** Throws a LayerError for the field at `path`. */
  fail(node: YNode | undefined, path: string, reason: string): never {
    const line = node?.line ?? 0;
    const where = line > 0 ? `${path}, line ${line}` : path;
    const section = this.section === "" ? "" : ` section ${goQuote(this.section)}`;
    throw new LayerError(
      `cannot parse layer ${goQuote(this.label)}${section}: ${reason} (${where})`,
      { label: this.label, path, line, reason },
    );
  }

  /** Throws Go's "cannot unmarshal" type error. */
  typeError(node: YNode, path: string, goType: string): never {
    let value = "";
    if (node.kind === "scalar") {
      value = node.value.length > 10
        ? " `" + node.value.slice(0, 7) + "...`"
        : " `" + node.value + "`";
    }
    return this.fail(node, path, `cannot unmarshal ${nodeTagName(node)}${value} into ${goType}`);
  }

  /**
   * Walks a mapping's entries, checking for duplicate keys, and calls `fn`
   * with each key text and value.
   */
  entries(
    node: MapNode,
    path: string,
    fn: (key: string, value: YNode, keyPath: string, keyNode: YNode) => void,
  ): void {
    const seen = new Map<string, number>();
    for (const { key, value } of node.entries) {
      if (key.kind !== "scalar") {
        this.typeError(key, path, "string");
      }
      const k = key.tag === "null" ? "" : key.value;
      const keyPath = path === "" ? k : `${path}.${k}`;
      const before = seen.get(key.value);
      if (before !== undefined) {
        this.fail(
          key,
          keyPath,
          `mapping key ${goQuote(key.value)} already defined at line ${before}`,
        );
      }
      seen.set(key.value, key.line);
      fn(k, value, keyPath, key);
    }
  }

  /**
   * Decodes a struct-like mapping: every key must be one of `fields`.
   * Returns undefined for null.
   */
  struct(
    node: YNode,
    path: string,
    goType: string,
    fields: Record<string, (value: YNode, path: string) => void>,
  ): true | undefined {
    if (isNull(node)) return undefined;
    if (node.kind !== "map") this.typeError(node, path, goType);
    this.entries(node, path, (key, value, keyPath, keyNode) => {
      const field = Object.hasOwn(fields, key) ? fields[key] : undefined;
      if (!field) this.fail(keyNode, keyPath, `field ${key} not found in type ${goType}`);
      field(value, keyPath);
    });
    return true;
  }

  /** Decodes a string (any scalar's text; "" for null). */
  str(node: YNode, path: string, goType = "string"): string {
    if (node.kind !== "scalar") this.typeError(node, path, goType);
    return node.tag === "null" ? "" : node.value;
  }

  /** Decodes an integer; undefined for null. Floats are truncated, as yaml.v3 does. */
  int(node: YNode, path: string): number | undefined {
    if (node.kind !== "scalar") this.typeError(node, path, "int");
    if (node.tag === "null") return undefined;
    if (node.tag === "int" || node.tag === "float") {
      const n = scalarNumber(node.value, node.tag);
      if (n !== undefined && Number.isFinite(n) && Math.abs(n) < 2 ** 63) {
        return Math.trunc(n);
      }
    }
    return this.typeError(node, path, "int");
  }

  /** Decodes a list of strings; [] for null. */
  strings(node: YNode, path: string): string[] {
    if (isNull(node)) return [];
    if (node.kind !== "seq") this.typeError(node, path, "[]string");
    return node.items.map((item, i) => this.str(item, `${path}[${i}]`));
  }

  /** Decodes a string-to-string map; {} for null. */
  strMap<T extends string = string>(
    node: YNode,
    path: string,
    goType = "map[string]string",
    valueType = "string",
  ): Record<string, T> {
    const out: Record<string, T> = {};
    if (isNull(node)) return out;
    if (node.kind !== "map") this.typeError(node, path, goType);
    this.entries(node, path, (key, value, keyPath) => {
      setKey(out, key, this.str(value, keyPath, valueType) as T);
    });
    return out;
  }

  /** Decodes a Go duration string (Pebble's OptionalDuration). */
  duration(node: YNode, path: string): OptionalDuration {
    if (isNull(node)) return { value: 0, isSet: false };
    if (node.kind !== "scalar") this.fail(node, path, "duration must be a YAML string");
    try {
      return { value: parseDuration(node.value), isSet: true };
    } catch (err) {
      if (err instanceof DurationError) {
        this.fail(node, path, `invalid duration ${goQuote(node.value)}`);
      }
      throw err;
    }
  }

  /** Decodes a number with Go's strconv.ParseFloat rules (Pebble's OptionalFloat). */
  float(node: YNode, path: string): OptionalFloat {
    if (isNull(node)) return { value: 0, isSet: false };
    if (node.kind !== "scalar") this.fail(node, path, "value must be a YAML number");
    const n = parseGoFloat(node.value);
    if (n === undefined) {
      this.fail(node, path, `invalid floating-point number ${goQuote(node.value)}`);
    }
    return { value: n, isSet: true };
  }
}

/** Parses a float as Go's strconv.ParseFloat(s, 64) does (decimal forms, inf, nan). */
export function parseGoFloat(s: string): number | undefined {
  if (s.includes("_")) {
    // Underscores may only separate digits (or follow a base prefix).
    if (
      !/^[+-]?(0[xXbBoO]_?)?[0-9a-fA-F]+(_[0-9a-fA-F]+)*(\.[0-9a-fA-F]*(_[0-9a-fA-F]+)*)?([eEpP][+-]?[0-9]+(_[0-9]+)*)?$/
        .test(s)
    ) {
      return undefined;
    }
    s = s.replaceAll("_", "");
  }
  const m = /^([+-]?)(inf|infinity|nan)$/i.exec(s);
  if (m) {
    if (m[2].toLowerCase() === "nan") return m[1] === "" ? NaN : undefined;
    return m[1] === "-" ? -Infinity : Infinity;
  }
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) {
    const n = Number(s);
    return Number.isFinite(n) ? n : undefined;
  }
  if (/^[+-]?0[xX]([0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)[pP][+-]?\d+$/.test(s)) {
    const hm = /^([+-]?)0[xX]([0-9a-fA-F]*)\.?([0-9a-fA-F]*)[pP]([+-]?\d+)$/.exec(s)!;
    const mant = parseInt(hm[2] || "0", 16) +
      (hm[3] ? parseInt(hm[3], 16) / 16 ** hm[3].length : 0);
    const n = mant * 2 ** Number(hm[4]);
    if (!Number.isFinite(n)) return undefined;
    return hm[1] === "-" ? -n : n;
  }
  return undefined;
}
