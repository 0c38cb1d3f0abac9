/**
 * Request bodies read the way Pebble's handlers read them, with Go's `json.Decoder`: the
 * first JSON value is taken and whatever follows it is ignored, and a body that is not
 * JSON is refused with Go's words (`EOF`, `unexpected EOF`,
 * `invalid character 'x' looking for beginning of value`, ...), which clients and scripts
 * see in the 400's message.
 *
 * @module
 */

/** Go's limit on nested objects and arrays. */
const MAX_DEPTH = 10000;

const utf8 = new TextDecoder();

/** A body that is not JSON; the message is Go's. */
export class GoJsonError extends Error {
  override name = "GoJsonError";
}

/**
 * The first JSON value in `bytes`, decoded. Throws {@linkcode GoJsonError} with the text
 * Go's `json.Decoder.Decode` gives for the same bytes when they hold no complete value.
 * A body that is one whole value is parsed at once (the scan runs only for the others);
 * Go would refuse one nested deeper than 10000 levels, which this takes.
 */
export function decodeFirstValue(bytes: Uint8Array, text = utf8.decode(bytes)): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // Not one whole value: read it as Go does.
  }
  const end = firstValueEnd(bytes);
  return JSON.parse(utf8.decode(bytes.subarray(0, end)));
}

const isSpace = (c: number) => c === 32 || c === 9 || c === 10 || c === 13;
const isDigit = (c: number) => c >= 48 && c <= 57;
const isHex = (c: number) => isDigit(c) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);

/** What a byte reads as in Go's syntax errors (its `quoteChar`). */
function quoteChar(c: number): string {
  if (c === 0x27) return `'\\''`;
  if (c === 0x22) return `'"'`;
  const named: Record<number, string> = {
    7: "\\a",
    8: "\\b",
    9: "\\t",
    10: "\\n",
    11: "\\v",
    12: "\\f",
    13: "\\r",
    0x5c: "\\\\",
  };
  if (named[c]) return `'${named[c]}'`;
  if (c < 0x20 || c === 0x7f) return `'\\x${c.toString(16).padStart(2, "0")}'`;
  // A byte above ASCII is taken as the code point of the same value (Go's string(c)).
  if ((c >= 0x80 && c <= 0xa0) || c === 0xad) return `'\\u${c.toString(16).padStart(4, "0")}'`;
  return `'${String.fromCharCode(c)}'`;
}

/**
 * A container being read, and what it expects next: an object before a key, after a key
 * (a colon, then its value), after a value; an array after a value.
 */
type In = "key" | "colon" | "objectValue" | "arrayValue";

/**
 * Where the first JSON value of `bytes` ends, checked for syntax as Go's scanner does;
 * throws {@linkcode GoJsonError} otherwise.
 */
function firstValueEnd(b: Uint8Array): number {
  const n = b.length;
  const stack: In[] = [];
  let i = 0;
  const fail = (context: string): never => {
    throw new GoJsonError(`invalid character ${quoteChar(b[i])} ${context}`);
  };
  const eof = (): never => {
    for (let k = 0; k < n; k++) if (!isSpace(b[k])) throw new GoJsonError("unexpected EOF");
    throw new GoJsonError("EOF");
  };
  const skipSpace = () => {
    while (i < n && isSpace(b[i])) i++;
  };
  /** Reads a literal's remaining letters (`rue` of `true`). */
  const literal = (word: string, rest: string) => {
    for (const ch of rest) {
      if (++i >= n) eof();
      if (b[i] !== ch.charCodeAt(0)) fail(`in literal ${word} (expecting '${ch}')`);
    }
    i++;
  };
  /** Reads a string from its opening quote. */
  const string = () => {
    for (i++;; i++) {
      if (i >= n) eof();
      const c = b[i];
      if (c === 0x22) break;
      if (c < 0x20) fail("in string literal");
      if (c !== 0x5c) continue;
      if (++i >= n) eof();
      const e = b[i];
      if (e === 0x75) {
        for (let k = 0; k < 4; k++) {
          if (++i >= n) eof();
          if (!isHex(b[i])) fail("in \\u hexadecimal character escape");
        }
      } else if (!'"\\/bfnrt'.includes(String.fromCharCode(e))) fail("in string escape code");
    }
    i++;
  };
  /** Reads a number; at the end of the input a complete one is complete. */
  const number = () => {
    if (b[i] === 0x2d) {
      if (++i >= n) eof();
      if (!isDigit(b[i])) fail("in numeric literal");
    }
    if (b[i] === 0x30) i++;
    else while (i < n && isDigit(b[i])) i++;
    if (i < n && b[i] === 0x2e) {
      if (++i >= n) eof();
      if (!isDigit(b[i])) fail("after decimal point in numeric literal");
      while (i < n && isDigit(b[i])) i++;
    }
    if (i < n && (b[i] === 0x65 || b[i] === 0x45)) {
      if (++i >= n) eof();
      if (b[i] === 0x2b || b[i] === 0x2d) {
        if (++i >= n) eof();
      }
      if (!isDigit(b[i])) fail("in exponent of numeric literal");
      while (i < n && isDigit(b[i])) i++;
    }
  };
  const open = (container: In) => {
    stack.push(container);
    if (stack.length > MAX_DEPTH) fail("exceeded max depth");
    i++;
  };

  // A value is wanted (`first` right after `[`, where `]` may close it instead).
  let wantValue = true;
  let first = false;
  for (;;) {
    skipSpace();
    if (i >= n) eof();
    const c = b[i];
    if (wantValue) {
      wantValue = false;
      if (c === 0x7b) {
        open("key");
        skipSpace();
        if (i >= n) eof();
        if (b[i] === 0x7d) {
          stack.pop();
          i++;
        } else if (b[i] === 0x22) {
          string();
          stack[stack.length - 1] = "colon";
        } else fail("looking for beginning of object key string");
      } else if (c === 0x5b) {
        open("arrayValue");
        wantValue = first = true;
        continue;
      } else if (c === 0x22) string();
      else if (c === 0x2d || isDigit(c)) number();
      else if (c === 0x74) literal("true", "rue");
      else if (c === 0x66) literal("false", "alse");
      else if (c === 0x6e) literal("null", "ull");
      else if (c === 0x5d && first) {
        stack.pop();
        i++;
      } else fail("looking for beginning of value");
      first = false;
      if (stack.length === 0) return i;
      continue;
    }
    // After a value (or an object key), inside the innermost container.
    const top = stack[stack.length - 1];
    if (top === "colon") {
      if (c !== 0x3a) fail("after object key");
      stack[stack.length - 1] = "objectValue";
      i++;
      wantValue = true;
    } else if (top === "objectValue") {
      if (c === 0x2c) {
        i++;
        skipSpace();
        if (i >= n) eof();
        if (b[i] !== 0x22) fail("looking for beginning of object key string");
        string();
        stack[stack.length - 1] = "colon";
      } else if (c === 0x7d) {
        stack.pop();
        i++;
        if (stack.length === 0) return i;
      } else fail("after object key:value pair");
    } else {
      if (c === 0x2c) {
        i++;
        wantValue = true;
      } else if (c === 0x5d) {
        stack.pop();
        i++;
        if (stack.length === 0) return i;
      } else fail("after array element");
    }
  }
}
