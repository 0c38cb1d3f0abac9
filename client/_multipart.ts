// A streaming multipart/form-data reader, shared by the client (pull) and the daemon (push).
// Linear time: every byte is looked at a bounded number of times (the delimiter search only
// ever rescans the few bytes that might start a delimiter), and memory is bounded by the
// size of the chunks the source yields plus the part headers.

import { concatBytes, putLatin1, releaseBytes } from "./_bytes.ts";

/** A problem with the multipart body. `eof` tells a clean end of input from a torn one. */
export class MultipartError extends Error {
  override name = "MultipartError";
  /** `"EOF"` when the body ended early (Go's io.EOF), else undefined. */
  readonly eof?: "EOF";
  /** A part's malformed headers: Go reports these as they are, not as NextPart's. */
  header = false;
  /** From `readAll` when the input ended inside the part: what it had read of it. */
  partial?: Uint8Array;
  constructor(message: string, eof?: "EOF") {
    super(message);
    if (eof) this.eof = eof;
  }

  /** A malformed part header, in Go's (textproto's) words. */
  static header(message: string): MultipartError {
    const e = new MultipartError(message);
    e.header = true;
    return e;
  }
}

/** The headers of one part, and its form field name and file name. */
export interface MultipartPart {
  /** Header values by lower-case name (the first of repeated headers). */
  headers: Map<string, string>;
  /** The `name` parameter of a `form-data` Content-Disposition ("" otherwise). */
  name: string;
  /** The `filename` parameter of the Content-Disposition, unmodified, if any. */
  filename: string | undefined;
}

const CR = 13;
const LF = 10;
const EMPTY = new Uint8Array(0);
/** The most read after the closing boundary to let the source end by itself. */
const EPILOGUE_BYTES = 64 * 1024;
/** Bytes of a new chunk copied to follow the unread rest of the buffer (see `#fill`). */
const JOIN_BYTES = 4096;
const encoder = new TextEncoder();
const latin1 = new TextDecoder("latin1");
const utf8 = new TextDecoder();

/** Options of {@linkcode MultipartReader}. */
export interface MultipartReaderOptions {
  /** Largest header block of one part, in bytes (default 64 KiB). */
  maxHeaderBytes?: number;
  /**
   * The reader owns the source's chunks: once one has been consumed (copied or passed on
   * by {@linkcode MultipartReader.read} and followed by another read), its memory is
   * released at once by detaching its `ArrayBuffer`, instead of waiting for the garbage
   * collector. Only chunks that span their whole buffer are released. The daemon sets
   * this for uploads, so a 1 GiB push does not leave 64 KiB buffers piling up between
   * collections.
   */
  releaseConsumed?: boolean;
}

/**
 * Reads the parts of a multipart body one after the other. Call {@linkcode nextPart},
 * then {@linkcode read} until it returns `null` (or call `nextPart` again, which skips
 * the rest of the current part).
 */
export class MultipartReader {
  readonly #source: AsyncIterator<Uint8Array>;
  /** `\r\n--boundary`, or `\n--boundary` once the first boundary line ends in a bare LF. */
  #delim: Uint8Array;
  #shift: Uint8Array | Uint16Array;
  /** Whether the last line `#line` read ended in a bare LF. */
  #bareLF = false;
  /** Whether it ended at the end of the input instead. */
  #atEnd = false;
  readonly #dashBoundary: string;
  readonly #maxHeaderBytes: number;
  readonly #release: boolean;
  #buf: Uint8Array = EMPTY;
  /** The whole chunk `#buf` is a view of, released when replaced (`releaseConsumed`). */
  #backing: Uint8Array | undefined;
  /** The rest of a chunk whose start was joined to the buffer, and its whole chunk. */
  #pending: Uint8Array | undefined;
  #pendingBacking: Uint8Array | undefined;
  #eof = false;
  #state: "start" | "body" | "between" | "done" = "start";

  constructor(
    source: AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>,
    boundary: string,
    options: MultipartReaderOptions = {},
  ) {
    this.#source = source instanceof ReadableStream
      ? streamSource(source)
      : source[Symbol.asyncIterator]();
    this.#dashBoundary = `--${boundary}`;
    this.#delim = encoder.encode(`\r\n--${boundary}`);
    this.#shift = shiftTable(this.#delim);
    this.#maxHeaderBytes = options.maxHeaderBytes ?? 64 * 1024;
    this.#release = options.releaseConsumed ?? false;
  }

  /**
   * Reads more input; false at the end of the source. What is left of the buffer (at most
   * a delimiter's length when reading a body) is joined with only the first
   * {@linkcode JOIN_BYTES} of the new chunk; the rest of the chunk is kept aside and becomes
   * the buffer as it is, so large chunks are never copied whole.
   */
  async #fill(): Promise<boolean> {
    let piece = this.#pending;
    let pieceBacking = this.#pendingBacking;
    this.#pending = this.#pendingBacking = undefined;
    if (!piece) {
      if (this.#eof) return false;
      let next;
      do {
        next = await this.#source.next();
        if (next.done) {
          this.#eof = true;
          return false;
        }
      } while (next.value.length === 0);
      piece = pieceBacking = next.value;
    }
    const previous = this.#backing;
    if (this.#buf.length === 0) {
      this.#buf = piece;
      this.#backing = pieceBacking;
    } else {
      const take = Math.min(piece.length, JOIN_BYTES);
      const joined = new Uint8Array(this.#buf.length + take);
      joined.set(this.#buf);
      joined.set(piece.subarray(0, take), this.#buf.length);
      this.#buf = this.#backing = joined;
      if (take < piece.length) {
        this.#pending = piece.subarray(take);
        this.#pendingBacking = pieceBacking;
      } else if (this.#release) releaseBytes(pieceBacking!);
    }
    if (this.#release && previous && previous !== this.#backing) releaseBytes(previous);
    return true;
  }

  /**
   * The input ended too soon: Go's NextPart then says "multipart: NextPart: EOF" (after
   * a part's content was cut, the next NextPart does), whatever byte came last.
   */
  #eofError(): MultipartError {
    return new MultipartError("EOF", "EOF");
  }

  /**
   * Reads one line (without its line ending, noted in `#bareLF`), or throws at the end of
   * input; with `orEnd`, what is left at the end of input is the last line (`#atEnd`).
   */
  async #line(limit: number, orEnd = false): Promise<string> {
    let from = 0;
    this.#atEnd = false;
    for (;;) {
      const nl = this.#buf.indexOf(LF, from);
      if (nl >= 0) {
        this.#bareLF = nl === 0 || this.#buf[nl - 1] !== CR;
        const end = this.#bareLF ? nl : nl - 1;
        const line = latin1Text(this.#buf.subarray(0, end));
        this.#buf = this.#buf.subarray(nl + 1);
        return line;
      }
      from = this.#buf.length;
      if (from > limit) throw new MultipartError("multipart: header line too long");
      if (!(await this.#fill())) {
        if (!orEnd) throw this.#eofError();
        this.#atEnd = true;
        const line = latin1Text(this.#buf);
        this.#buf = EMPTY;
        return line;
      }
    }
  }

  /**
   * Moves to the next part and returns its headers, or `null` after the closing
   * boundary. Throws {@linkcode MultipartError} for a malformed or truncated body.
   */
  async nextPart(): Promise<MultipartPart | null> {
    if (this.#state === "done") return null;
    if (this.#state === "body") {
      while ((await this.read()) !== null) { /* skip the rest of the part */ }
    }
    if (this.#state === "start") {
      // Skip the preamble up to the first boundary line (blanks may follow a boundary).
      for (;;) {
        const line = (await this.#line(this.#maxHeaderBytes)).replace(/[ \t]+$/, "");
        if (line === this.#dashBoundary) {
          // Lines that end in a bare LF: the delimiters will too (Go allows this).
          if (this.#bareLF) {
            this.#delim = this.#delim.subarray(1);
            this.#shift = shiftTable(this.#delim);
          }
          break;
        }
        if (line === `${this.#dashBoundary}--`) {
          this.#state = "done";
          return null;
        }
      }
    } else {
      // Right after a delimiter: blanks and the body's line end (that of its first boundary
      // line) start the next part; "--" first closes the body, also at the end of input.
      const rest = await this.#line(this.#maxHeaderBytes, true);
      const blank = rest.replace(/[ \t]+$/, "");
      const lineEnd = !this.#atEnd && this.#bareLF === (this.#delim[0] === LF);
      if (blank === "--" && (lineEnd || this.#atEnd)) {
        this.#state = "done";
        return null;
      }
      if (blank !== "" || !lineEnd) {
        if (this.#atEnd) throw this.#eofError();
        const end = this.#bareLF ? "\n" : "\r\n";
        throw new MultipartError(
          `multipart: expecting a new Part; got line ${
            JSON.stringify(`${this.#dashBoundary}${rest}${end}`)
          }`,
        );
      }
    }
    const part = this.#headersNow() ?? await this.#headers();
    // The input ended inside a part's headers: Go's NextPart then reports the end of the
    // parts (a bare io.EOF), as if the body had closed there.
    this.#state = part ? "body" : "done";
    return part;
  }

  /**
   * The part's headers if the buffer holds all of them, CRLF-terminated (the common
   * case), decoded in one go; else null, and the slow way reads them (and reports errors).
   */
  #headersNow(): MultipartPart | null {
    const buf = this.#buf;
    if (buf[0] === CR && buf[1] === LF) {
      this.#buf = buf.subarray(2);
      return this.#part([]);
    }
    const end = indexOfBlankLine(buf, Math.min(buf.length, this.#maxHeaderBytes));
    if (end < 0) return null;
    const lines = latin1Text(buf.subarray(0, end)).split("\r\n");
    for (const line of lines) if (line.includes("\n")) return null; // bare LFs: slow way
    this.#buf = buf.subarray(end + 4);
    return this.#part(lines);
  }

  /**
   * Reads the part's headers line by line; null when the input ends among them. As Go's
   * textproto, a line cut off by the end of input is still checked (a malformed one is
   * reported), and a failing source is reported as it is (its error the `cause`), not as
   * NextPart's.
   */
  async #headers(): Promise<MultipartPart | null> {
    const lines: string[] = [];
    let total = 0;
    for (;;) {
      let line: string;
      try {
        line = await this.#line(this.#maxHeaderBytes - total, true);
      } catch (e) {
        if (e instanceof MultipartError) throw e;
        const cut = latin1Text(this.#buf);
        this.#buf = EMPTY;
        if (cut !== "") this.#part([...lines, cut]);
        const error = MultipartError.header((e as Error)?.message ?? String(e));
        error.cause = e;
        throw error;
      }
      if (this.#atEnd) {
        if (line !== "") this.#part([...lines, line]);
        return null;
      }
      total += line.length + 2;
      if (total > this.#maxHeaderBytes) throw new MultipartError("multipart: headers too large");
      if (line === "") return this.#part(lines);
      lines.push(line);
    }
  }

  /** A part from its header lines. */
  #part(lines: string[]): MultipartPart {
    const headers = new Map<string, string>();
    let last: string | undefined;
    for (const line of lines) {
      if ((line[0] === " " || line[0] === "\t") && last !== undefined) {
        headers.set(last, `${headers.get(last)} ${line.trim()}`);
        continue;
      }
      if (last === undefined && (line[0] === " " || line[0] === "\t")) {
        throw MultipartError.header(`malformed MIME header initial line: ${JSON.stringify(line)}`);
      }
      const colon = line.indexOf(":");
      if (colon < 0) {
        throw MultipartError.header(
          `malformed MIME header: missing colon: ${JSON.stringify(line)}`,
        );
      }
      if (colon === 0) {
        throw MultipartError.header(`malformed MIME header line: ${JSON.stringify(line)}`);
      }
      const key = line.slice(0, colon).trim().toLowerCase();
      if (!headers.has(key)) headers.set(key, line.slice(colon + 1).trim());
      last = key;
    }
    let name = "";
    let filename: string | undefined;
    const disposition = headers.get("content-disposition");
    if (disposition !== undefined) {
      // Header bytes were read as Latin-1; a file name is UTF-8.
      const parsed = parseMediaType(
        /[\x80-\xff]/.test(disposition) ? utf8.decode(latin1Bytes(disposition)) : disposition,
      );
      if (parsed) {
        if (parsed.type === "form-data") name = parsed.params.get("name") ?? "";
        filename = parsed.params.get("filename");
      }
    }
    return { headers, name, filename };
  }

  /**
   * The next chunk of the current part's body, or `null` at its end. Chunks may be
   * views of the source's chunks: use each before asking for the next.
   */
  async read(): Promise<Uint8Array | null> {
    if (this.#state !== "body") return null;
    const delim = this.#delim;
    for (;;) {
      const buf = this.#buf;
      const { at, safe } = scanDelim(buf, delim, this.#eof, this.#shift);
      if (at >= 0) {
        this.#buf = buf.subarray(at + delim.length);
        this.#state = "between";
        return at > 0 ? buf.subarray(0, at) : null;
      }
      if (safe > 0) {
        this.#buf = buf.subarray(safe);
        return buf.subarray(0, safe);
      }
      if (!(await this.#fill())) {
        if (this.#buf.length > 0 && scanDelim(this.#buf, delim, true, this.#shift).at >= 0) {
          continue;
        }
        throw this.#eofError();
      }
    }
  }

  /** Reads the rest of the current part into memory; throws beyond `limit` bytes. */
  async readAll(limit: number): Promise<Uint8Array> {
    if (this.#state === "body") {
      // The whole part is usually in the buffer already.
      const buf = this.#buf;
      const { at } = scanDelim(buf, this.#delim, this.#eof, this.#shift);
      if (at >= 0 && at <= limit) {
        this.#buf = buf.subarray(at + this.#delim.length);
        this.#state = "between";
        return new Uint8Array(buf.subarray(0, at));
      }
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    try {
      for (let c = await this.read(); c !== null; c = await this.read()) {
        size += c.length;
        if (size > limit) throw new MultipartError(`multipart: part larger than ${limit} bytes`);
        // A copy: a Buffer's slice() is a view, and the source chunk may be released.
        chunks.push(new Uint8Array(c));
      }
    } catch (e) {
      if (e instanceof MultipartError && e.eof) e.partial = concatBytes(chunks);
      throw e;
    }
    return concatBytes(chunks);
  }

  /**
   * Stops reading the source. After the closing boundary, what little may follow (an
   * epilogue; the end of an HTTP body's framing) is read to the end first, up to
   * {@linkcode EPILOGUE_BYTES}, so that the source ends by itself: a keep-alive connection
   * under it stays usable instead of being torn down.
   */
  async cancel(): Promise<void> {
    const closed = this.#state === "done";
    this.#state = "done";
    try {
      if (closed) {
        for (let left = EPILOGUE_BYTES; left >= 0 && !this.#eof;) {
          const next = await this.#source.next();
          if (next.done) this.#eof = true;
          else left -= next.value.length;
        }
        if (this.#eof) return;
      }
      await this.#source.return?.();
    } catch {
      // already failed
    }
  }
}

/**
 * A stream's chunks through its own reader rather than its async iterator, which releases
 * the reader when the stream ends, and a release costs an Error with its stack trace (~20
 * µs, a tenth of a small file pull's time in the client). The stream stays locked to the
 * reader: nobody else may read it anyway.
 */
function streamSource(stream: ReadableStream<Uint8Array>): AsyncIterator<Uint8Array> {
  const reader = stream.getReader();
  return {
    next: () => reader.read() as Promise<IteratorResult<Uint8Array>>,
    return: async () => {
      await reader.cancel();
      return { done: true, value: undefined };
    },
  };
}

/** Bytes as Latin-1 text; short ones are decoded here rather than by an op. */
function latin1Text(bytes: Uint8Array): string {
  if (bytes.length > 1024) return latin1.decode(bytes);
  return String.fromCharCode.apply(null, bytes as unknown as number[]);
}

/** Where `\r\n\r\n` starts in the first `limit` bytes of `buf`, or -1. */
function indexOfBlankLine(buf: Uint8Array, limit: number): number {
  for (let i = buf.indexOf(CR); i >= 0 && i + 3 < limit; i = buf.indexOf(CR, i + 1)) {
    if (buf[i + 1] === LF && buf[i + 2] === CR && buf[i + 3] === LF) return i;
  }
  return -1;
}

function latin1Bytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  putLatin1(s, out, 0);
  return out;
}

/** Horspool's shift table for `delim`: how far a window may move given its last byte. */
function shiftTable(delim: Uint8Array): Uint8Array | Uint16Array {
  const n = delim.length;
  const shift = n < 256 ? new Uint8Array(256) : new Uint16Array(256);
  shift.fill(n);
  for (let i = 0; i < n - 1; i++) shift[delim[i]] = n - 1 - i;
  return shift;
}

/**
 * Finds the delimiter in `buf` as Go's multipart reader does: `\r\n--boundary` counts
 * only when followed by `--`, blanks or a line end. Returns its index (`at`, or -1) and,
 * when there is none, how many leading bytes cannot be part of one that continues in
 * later input (`safe`). Linear, and sublinear in practice: windows are skipped
 * Boyer-Moore-Horspool style (`shift` from {@linkcode shiftTable}), so most bytes of a
 * file's content are never looked at.
 */
function scanDelim(
  buf: Uint8Array,
  delim: Uint8Array,
  eof: boolean,
  shift: Uint8Array | Uint16Array,
): { at: number; safe: number } {
  const n = delim.length;
  const len = buf.length;
  const last = n - 1;
  let i = 0;
  while (i + n <= len) {
    let j = last;
    while (j >= 0 && buf[i + j] === delim[j]) j--;
    if (j >= 0) {
      i += shift[buf[i + last]];
      continue;
    }
    const k = i + n;
    if (k === len) {
      if (eof) return { at: i, safe: 0 };
      return { at: -1, safe: i };
    }
    const c = buf[k];
    if (c === 32 || c === 9 || c === CR || c === LF) return { at: i, safe: 0 };
    if (c === 45) {
      if (k + 1 === len) {
        if (!eof) return { at: -1, safe: i };
      } else if (buf[k + 1] === 45) return { at: i, safe: 0 };
    }
    i++;
  }
  // A delimiter that starts in the last bytes may continue in later input.
  for (let p = Math.max(i, len - last); p < len; p++) {
    if (buf[p] !== delim[0]) continue;
    let j = 1;
    while (p + j < len && buf[p + j] === delim[j]) j++;
    if (p + j === len) return { at: -1, safe: eof ? len : p };
  }
  return { at: -1, safe: len };
}

/** A parsed `type/subtype; key=value` header (Go's mime.ParseMediaType, simplified). */
export interface MediaType {
  type: string;
  params: Map<string, string>;
}

/** Whether `c` (a char code) may appear in a MIME token. */
function isTokenChar(c: number): boolean {
  return c < 128 && TOKEN_CHARS[c] === 1;
}
const TOKEN_CHARS = new Uint8Array(128);
for (const ch of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") {
  TOKEN_CHARS[ch.charCodeAt(0)] = 1;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 11 || c === 12;
}

/** Parses a media type or disposition with parameters; `null` when malformed. */
export function parseMediaType(value: string): MediaType | null {
  const s = value;
  const n = s.length;
  let i = 0;
  const skipSpace = () => {
    while (i < n && isSpace(s.charCodeAt(i))) i++;
  };
  const token = (): string => {
    const start = i;
    while (i < n && isTokenChar(s.charCodeAt(i))) i++;
    return s.slice(start, i);
  };
  skipSpace();
  const semi = s.indexOf(";", i);
  const type = s.slice(i, semi < 0 ? n : semi).trim().toLowerCase();
  if (!validType(type)) return null;
  i = semi < 0 ? n : semi;
  const params = new Map<string, string>();
  for (;;) {
    skipSpace();
    if (i >= n) break;
    if (s.charCodeAt(i) !== 59 /* ; */) return null;
    i++;
    skipSpace();
    if (i >= n) break; // a trailing semicolon is allowed
    const key = token();
    if (!key) return null;
    skipSpace();
    if (s.charCodeAt(i) !== 61 /* = */) return null;
    i++;
    skipSpace();
    let val: string;
    if (s.charCodeAt(i) === 34 /* " */) {
      const close = s.indexOf('"', i + 1);
      const slash = s.indexOf("\\", i + 1);
      if (close >= 0 && (slash < 0 || slash > close)) {
        val = s.slice(i + 1, close); // no escapes: the common case
        i = close + 1;
      } else {
        val = "";
        i++;
        for (; i < n && s[i] !== '"'; i++) {
          if (s[i] === "\\" && i + 1 < n) i++;
          val += s[i];
        }
        if (i >= n) return null;
        i++;
      }
    } else {
      val = token();
      if (!val) return null;
    }
    const k = key.toLowerCase();
    if (params.has(k)) return null;
    params.set(k, val);
  }
  return { type, params };
}

/** `token` or `token/token` (already lower case). */
function validType(type: string): boolean {
  let slash = -1;
  for (let j = 0; j < type.length; j++) {
    const c = type.charCodeAt(j);
    if (c === 47 /* / */ && slash < 0 && j > 0) slash = j;
    else if (!isTokenChar(c)) return false;
  }
  return type.length > 0 && slash !== type.length - 1;
}
