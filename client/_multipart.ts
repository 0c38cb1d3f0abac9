// A streaming multipart/form-data reader, shared by the client (pull) and the daemon (push).
// Linear time: every byte is looked at a bounded number of times (the delimiter search only
// ever rescans the few bytes that might start a delimiter), and memory is bounded by the
// size of the chunks the source yields plus the part headers.

import { concatBytes, releaseBytes } from "./_bytes.ts";

/** A problem with the multipart body. `eof` tells a clean end of input from a torn one. */
export class MultipartError extends Error {
  override name = "MultipartError";
  /** `"EOF"` or `"unexpected EOF"` when the body ended early, else undefined. */
  readonly eof?: "EOF" | "unexpected EOF";
  constructor(message: string, eof?: "EOF" | "unexpected EOF") {
    super(message);
    if (eof) this.eof = eof;
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
  readonly #delim: Uint8Array; // "\r\n--boundary"
  readonly #shift: Uint8Array | Uint16Array;
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
    source: AsyncIterable<Uint8Array>,
    boundary: string,
    options: MultipartReaderOptions = {},
  ) {
    this.#source = source[Symbol.asyncIterator]();
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

  /** Go reports a body cut at a line end as "EOF", anything else as "unexpected EOF". */
  #eofError(inBody = false): MultipartError {
    const b = this.#buf;
    const clean = inBody
      ? b.length > 0 && b[b.length - 1] === LF
      : b.length === 0 || b[b.length - 1] === LF;
    const kind = clean ? "EOF" : "unexpected EOF";
    return new MultipartError(kind, kind);
  }

  /** Reads one line (without its line ending), or throws at the end of input. */
  async #line(limit: number): Promise<string> {
    let from = 0;
    for (;;) {
      const nl = this.#buf.indexOf(LF, from);
      if (nl >= 0) {
        const end = nl > 0 && this.#buf[nl - 1] === CR ? nl - 1 : nl;
        const line = latin1Text(this.#buf.subarray(0, end));
        this.#buf = this.#buf.subarray(nl + 1);
        return line;
      }
      from = this.#buf.length;
      if (from > limit) throw new MultipartError("multipart: header line too long");
      if (!(await this.#fill())) throw this.#eofError();
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
      // Skip the preamble up to the first boundary line.
      for (;;) {
        const line = (await this.#line(this.#maxHeaderBytes)).trimEnd();
        if (line === this.#dashBoundary) break;
        if (line === `${this.#dashBoundary}--`) {
          this.#state = "done";
          return null;
        }
      }
    } else {
      // Right after a delimiter: "--" closes the body, else the rest of the line is blank.
      while (this.#buf.length < 2 && await this.#fill()) { /* need two bytes */ }
      if (this.#buf.length >= 2 && this.#buf[0] === 45 && this.#buf[1] === 45) {
        this.#state = "done";
        return null;
      }
      const rest = await this.#line(this.#maxHeaderBytes);
      if (rest.trim() !== "") {
        throw new MultipartError(`multipart: unexpected line after boundary: ${rest}`);
      }
    }
    const part = await this.#headers();
    this.#state = "body";
    return part;
  }

  async #headers(): Promise<MultipartPart> {
    const headers = new Map<string, string>();
    let total = 0;
    let last: string | undefined;
    for (;;) {
      const line = await this.#line(this.#maxHeaderBytes - total);
      total += line.length + 2;
      if (total > this.#maxHeaderBytes) throw new MultipartError("multipart: headers too large");
      if (line === "") break;
      if ((line[0] === " " || line[0] === "\t") && last !== undefined) {
        headers.set(last, `${headers.get(last)} ${line.trim()}`);
        continue;
      }
      const colon = line.indexOf(":");
      if (colon <= 0) throw new MultipartError(`malformed MIME header line: ${line}`);
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
        throw this.#eofError(true);
      }
    }
  }

  /** Reads the rest of the current part into memory; throws beyond `limit` bytes. */
  async readAll(limit: number): Promise<Uint8Array> {
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (let c = await this.read(); c !== null; c = await this.read()) {
      size += c.length;
      if (size > limit) throw new MultipartError(`multipart: part larger than ${limit} bytes`);
      chunks.push(c.slice());
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

/** Bytes as Latin-1 text; short header lines are decoded here rather than by an op. */
function latin1Text(bytes: Uint8Array): string {
  if (bytes.length > 256) return latin1.decode(bytes);
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
  return s;
}

function latin1Bytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
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
    if (buf[p] !== CR) continue;
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

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+/;

/** Parses a media type or disposition with parameters; `null` when malformed. */
export function parseMediaType(value: string): MediaType | null {
  let s = value.trim();
  const semi = s.indexOf(";");
  const type = (semi < 0 ? s : s.slice(0, semi)).trim().toLowerCase();
  if (!/^[!#$%&'*+\-.^_`|~0-9a-z]+(\/[!#$%&'*+\-.^_`|~0-9a-z]+)?$/.test(type)) return null;
  s = semi < 0 ? "" : s.slice(semi);
  const params = new Map<string, string>();
  while (s.length > 0) {
    s = s.replace(/^\s+/, "");
    if (s === "") break;
    if (s[0] !== ";") return null;
    s = s.slice(1).replace(/^\s+/, "");
    if (s === "") break; // a trailing semicolon is allowed
    const key = TOKEN.exec(s)?.[0];
    if (!key) return null;
    s = s.slice(key.length).replace(/^\s+/, "");
    if (s[0] !== "=") return null;
    s = s.slice(1).replace(/^\s+/, "");
    let val: string;
    if (s[0] === '"') {
      let i = 1;
      val = "";
      for (; i < s.length && s[i] !== '"'; i++) {
        if (s[i] === "\\" && i + 1 < s.length) i++;
        val += s[i];
      }
      if (i >= s.length) return null;
      s = s.slice(i + 1);
    } else {
      const tok = TOKEN.exec(s)?.[0];
      if (!tok) return null;
      val = tok;
      s = s.slice(tok.length);
    }
    const k = key.toLowerCase();
    if (params.has(k)) return null;
    params.set(k, val);
  }
  return { type, params };
}
