/**
 * A small document tree that both YAML text and plain JS values are turned
 * into before decoding, so that both go through the same checks.
 *
 * @module
 */

// Runtime: the package's ES-module build in vendor/yaml (see its README); types: the package.
// @ts-types="npm:yaml@2.9.1"
import {
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node as YamlNode,
  parseAllDocuments,
} from "yaml";
import { resolvePlain, type ScalarTag } from "./_resolve.ts";

/** Tag of a scalar node: a resolved YAML tag or a custom one. */
export type NodeTag = ScalarTag | "binary" | string;

/** A scalar: its text and the tag it resolves to. */
export interface ScalarNode {
  kind: "scalar";
  value: string;
  tag: NodeTag;
  line: number;
}

/** A mapping, with entries in document order. */
export interface MapNode {
  kind: "map";
  entries: { key: YNode; value: YNode }[];
  line: number;
}

/** A sequence. */
export interface SeqNode {
  kind: "seq";
  items: YNode[];
  line: number;
}

/** Any node. */
export type YNode = ScalarNode | MapNode | SeqNode;

/** A syntax problem in YAML text. */
export class YamlSyntaxError extends Error {
  /** 1-based line, 0 if unknown. */
  readonly line: number;
  /** Creates the error. */
  constructor(message: string, line: number) {
    super(message);
    this.line = line;
  }
}

/** Raised for JS values that have no YAML equivalent. */
export class UnsupportedValueError extends Error {}

const MAX_NODES = 100_000;

/** Returns true when a node is a null scalar. */
export function isNull(node: YNode): boolean {
  return node.kind === "scalar" && node.tag === "null";
}

/** Returns a null scalar. */
export function nullNode(line = 0): ScalarNode {
  return { kind: "scalar", value: "", tag: "null", line };
}

function shortTag(tag: string): string {
  const prefix = "tag:yaml.org,2002:";
  if (tag.startsWith(prefix)) return tag.slice(prefix.length);
  if (tag.startsWith("!!")) return tag.slice(2);
  if (tag === "!") return "str";
  return tag;
}

/**
 * Parses YAML text into a node tree (the first document only, as Go's
 * yaml.Unmarshal does). Returns a null node for an empty document.
 */
export function nodeFromYaml(text: string): YNode {
  const lc = new LineCounter();
  const docs = parseAllDocuments(text, {
    schema: "failsafe",
    uniqueKeys: false,
    lineCounter: lc,
    prettyErrors: false,
  });
  if (!Array.isArray(docs)) return nullNode();
  if (docs.length === 0) return nullNode();
  const doc = docs[0];
  if (doc.errors.length > 0) {
    const err = doc.errors[0];
    const pos = err.pos ? lc.linePos(err.pos[0]) : undefined;
    let msg = err.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
    msg = msg.replace(/:$/, "");
    const where = pos ? `line ${pos.line}, column ${pos.col}: ` : "";
    throw new YamlSyntaxError(where + msg, pos?.line ?? 0);
  }
  let count = 0;
  const lineOf = (n: { range?: [number, number, number] | null }) =>
    n.range ? lc.linePos(n.range[0]).line : 0;

  const convert = (n: unknown, depth: number): YNode => {
    if (++count > MAX_NODES || depth > 1000) {
      throw new YamlSyntaxError("document is too large or too deeply nested", 0);
    }
    if (n === null || n === undefined) return nullNode();
    if (isAlias(n)) {
      const target = n.resolve(doc);
      if (!target) throw new YamlSyntaxError(`unknown anchor '${n.source}'`, lineOf(n));
      return convert(target, depth + 1);
    }
    if (isScalar(n)) {
      const value = n.value === null || n.value === undefined ? "" : String(n.value);
      let tag: NodeTag;
      if (n.tag) {
        tag = shortTag(n.tag);
      } else if (n.type === "PLAIN" || n.type === undefined) {
        tag = resolvePlain(value);
      } else {
        tag = "str";
      }
      return { kind: "scalar", value, tag, line: lineOf(n) };
    }
    if (isSeq(n)) {
      return {
        kind: "seq",
        items: n.items.map((item) => convert(item, depth + 1)),
        line: lineOf(n),
      };
    }
    if (isMap(n)) {
      const explicit: { key: YNode; value: YNode }[] = [];
      const merged: { key: YNode; value: YNode }[] = [];
      for (const pair of n.items) {
        if (!isPair(pair)) continue;
        const keyNode = pair.key as YamlNode | null;
        if (
          isScalar(keyNode) && String(keyNode.value) === "<<" && keyNode.type === "PLAIN" &&
          (!keyNode.tag || shortTag(keyNode.tag) === "merge")
        ) {
          const src = convert(pair.value, depth + 1);
          const sources = src.kind === "seq" ? src.items : [src];
          for (const s of sources) {
            if (s.kind !== "map") {
              throw new YamlSyntaxError(
                "map merge requires map or sequence of maps as the value",
                lineOf(keyNode),
              );
            }
            merged.push(...s.entries);
          }
          continue;
        }
        const key = convert(keyNode, depth + 1);
        if (keyNode === null) key.line = lineOf(n);
        explicit.push({ key, value: convert(pair.value, depth + 1) });
      }
      const seen = new Set(
        explicit.map((e) => e.key.kind === "scalar" ? e.key.value : ""),
      );
      const entries = merged.filter((e) => {
        if (e.key.kind !== "scalar" || seen.has(e.key.value)) return false;
        seen.add(e.key.value);
        return true;
      });
      return { kind: "map", entries: [...entries, ...explicit], line: lineOf(n) };
    }
    throw new YamlSyntaxError("unsupported YAML node", 0);
  };
  return convert(doc.contents, 0);
}

/**
 * Turns a plain JS value (as decoded from JSON, or built by a program) into
 * a node tree: strings become quoted scalars, numbers `int` or `float`,
 * booleans `bool`, null and undefined null.
 */
export function nodeFromValue(value: unknown, depth = 0): YNode {
  if (depth > 1000) throw new UnsupportedValueError("value is too deeply nested");
  if (value === null || value === undefined) return nullNode();
  switch (typeof value) {
    case "string":
      return { kind: "scalar", value, tag: "str", line: 0 };
    case "number":
      return {
        kind: "scalar",
        value: Number.isNaN(value)
          ? ".nan"
          : !Number.isFinite(value)
          ? (value > 0 ? ".inf" : "-.inf")
          : String(value),
        tag: Number.isInteger(value) ? "int" : "float",
        line: 0,
      };
    case "bigint":
      return { kind: "scalar", value: String(value), tag: "int", line: 0 };
    case "boolean":
      return { kind: "scalar", value: String(value), tag: "bool", line: 0 };
    case "object": {
      if (Array.isArray(value)) {
        return { kind: "seq", items: value.map((v) => nodeFromValue(v, depth + 1)), line: 0 };
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) {
        throw new UnsupportedValueError(
          `unsupported value of type ${proto?.constructor?.name ?? "object"}`,
        );
      }
      return {
        kind: "map",
        entries: Object.entries(value as Record<string, unknown>).map(([k, v]) => ({
          key: { kind: "scalar", value: k, tag: "str", line: 0 },
          value: nodeFromValue(v, depth + 1),
        })),
        line: 0,
      };
    }
    default:
      throw new UnsupportedValueError(`unsupported value of type ${typeof value}`);
  }
}
