/**
 * A small RFC 6455 WebSocket implementation shared by the daemon (server side) and the
 * client (client side): frame encoding and decoding, masking, fragmented messages,
 * ping/pong and the closing handshake, over any byte stream with back-pressure.
 *
 * Reads happen only when {@linkcode WsConn.receive} is called and writes resolve only
 * once the transport has taken the bytes, so a slow peer slows the other side down
 * instead of making either buffer without bound.
 *
 * @module
 */

import { releaseBytes } from "./_bytes.ts";

/** A byte stream a WebSocket runs over. */
export interface ByteDuplex {
  /** The next bytes, or null at end of stream. The caller owns them (they are not reused). */
  read(): Promise<Uint8Array | null>;
  /**
   * Writes all of `bytes`, then all of `more` if given, in that order; resolves once the
   * transport no longer needs either (the caller may then reuse or release them).
   */
  write(bytes: Uint8Array, more?: Uint8Array): Promise<void>;
  /** Stops writing (half-close) when the transport supports it, else closes. */
  closeWrite(): void;
  /** Closes both directions at once. */
  close(): void;
}

/** A received message. */
export type WsMessage =
  | { type: "text"; data: string }
  | { type: "binary"; data: Uint8Array };

/** The opcodes of RFC 6455. */
export const OP = { cont: 0, text: 1, binary: 2, close: 8, ping: 9, pong: 10 } as const;

/** The largest message accepted (bigger ones close the connection with 1009). */
export const MAX_MESSAGE = 64 * 1024 * 1024;

/** The GUID of the opening handshake (RFC 6455 section 1.3). */
const HANDSHAKE_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** The `Sec-WebSocket-Accept` value for a `Sec-WebSocket-Key`. */
export async function acceptKey(key: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-1", encoder.encode(key + HANDSHAKE_GUID));
  let bin = "";
  for (const b of new Uint8Array(digest)) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** A fresh random `Sec-WebSocket-Key`. */
export function newKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** XORs `data` in place with the 4-byte `mask`, starting at mask offset 0. */
export function applyMask(data: Uint8Array, mask: Uint8Array): void {
  const n = data.length;
  let i = 0;
  if (n >= 32) {
    // Word at a time from the first 4-byte aligned offset.
    const head = (4 - (data.byteOffset & 3)) & 3;
    for (; i < head; i++) data[i] ^= mask[i & 3];
    const m = new Uint8Array(4);
    for (let k = 0; k < 4; k++) m[k] = mask[(head + k) & 3];
    const word = new Uint32Array(m.buffer)[0];
    const words = (n - head) >>> 2;
    const view = new Uint32Array(data.buffer, data.byteOffset + head, words);
    for (let w = 0; w < words; w++) view[w] ^= word;
    i = head + words * 4;
  }
  for (; i < n; i++) data[i] ^= mask[i & 3];
}

/** Encodes one frame's header (and mask key) for a payload of `length` bytes. */
export function frameHeader(
  opcode: number,
  length: number,
  fin: boolean,
  mask: Uint8Array | null,
): Uint8Array {
  const ext = length < 126 ? 0 : length < 65536 ? 2 : 8;
  const head = new Uint8Array(2 + ext + (mask ? 4 : 0));
  head[0] = (fin ? 0x80 : 0) | opcode;
  const lenByte = ext === 0 ? length : ext === 2 ? 126 : 127;
  head[1] = (mask ? 0x80 : 0) | lenByte;
  if (ext === 2) {
    head[2] = length >>> 8;
    head[3] = length & 0xff;
  } else if (ext === 8) {
    const hi = Math.floor(length / 2 ** 32);
    new DataView(head.buffer).setUint32(2, hi);
    new DataView(head.buffer).setUint32(6, length >>> 0);
  }
  if (mask) head.set(mask, 2 + ext);
  return head;
}

/** A protocol violation by the peer; closes the connection with `code`. */
export class WsProtocolError extends Error {
  /** The close code sent to the peer. */
  readonly code: number;
  /** Creates the error. */
  constructor(message: string, code = 1002) {
    super(message);
    this.name = "WsProtocolError";
    this.code = code;
  }
}

/** A chunk read from the transport, and how far it has been consumed. */
interface Chunk {
  bytes: Uint8Array;
  off: number;
  /** A view of it has been handed out, so its memory must be left to the collector. */
  lent: boolean;
}

/** Reads shorter than this are copied rather than lent as views (frame headers, masks). */
const SMALL_READ = 16;

/**
 * Buffered reads over a {@linkcode ByteDuplex} without quadratic copying. The reader owns
 * the transport's chunks: a chunk that was only ever copied out is freed (see
 * {@linkcode releaseBytes}) as soon as it has been consumed, so a gigabyte of frames does
 * not pile up 64 KiB buffers between garbage collections.
 */
class FrameReader {
  #chunks: Chunk[] = [];
  /** Index of the first unconsumed chunk in `#chunks`. */
  #head = 0;
  #size = 0;
  #eof = false;

  constructor(private io: ByteDuplex, initial?: Uint8Array) {
    if (initial && initial.length) this.#push(initial);
  }

  #push(bytes: Uint8Array): void {
    this.#chunks.push({ bytes, off: 0, lent: false });
    this.#size += bytes.length;
  }

  #drop(): void {
    const c = this.#chunks[this.#head++];
    if (!c.lent) releaseBytes(c.bytes);
    if (this.#head > 64 && this.#head * 2 > this.#chunks.length) {
      this.#chunks = this.#chunks.slice(this.#head);
      this.#head = 0;
    }
  }

  /** Makes at least `n` bytes available; false at end of stream. */
  async #need(n: number): Promise<boolean> {
    while (this.#size < n) {
      if (this.#eof) return false;
      const chunk = await this.io.read();
      if (chunk === null) {
        this.#eof = true;
        return false;
      }
      if (chunk.length) this.#push(chunk);
    }
    return true;
  }

  /**
   * Takes exactly `n` bytes (null at a premature end). The result is the caller's: a
   * whole chunk, a view into one (which then stays with the collector) or a copy.
   */
  async take(n: number): Promise<Uint8Array | null> {
    if (n === 0) return new Uint8Array(0);
    if (!(await this.#need(n))) return null;
    this.#size -= n;
    const first = this.#chunks[this.#head];
    const left = first.bytes.length - first.off;
    if (first.off === 0 && left === n) {
      first.lent = true; // handed over whole: the caller owns it now
      this.#drop();
      return first.bytes;
    }
    if (left >= n && n >= SMALL_READ) {
      first.lent = true;
      const view = first.bytes.subarray(first.off, first.off + n);
      first.off += n;
      if (first.off === first.bytes.length) this.#drop();
      return view;
    }
    const out = new Uint8Array(n);
    let off = 0;
    while (off < n) {
      const c = this.#chunks[this.#head];
      const k = Math.min(c.bytes.length - c.off, n - off);
      out.set(c.bytes.subarray(c.off, c.off + k), off);
      off += k;
      c.off += k;
      if (c.off === c.bytes.length) this.#drop();
    }
    return out;
  }
}

interface Frame {
  fin: boolean;
  opcode: number;
  payload: Uint8Array;
}

/** How a connection ended, once it has. */
export interface WsCloseInfo {
  /** The close code the peer sent, or 1006 when it went away without a close frame. */
  code: number;
  /** The peer's close reason. */
  reason: string;
}

/**
 * One WebSocket connection. `role` decides masking: clients mask what they send and
 * expect unmasked frames, servers the reverse.
 */
export class WsConn {
  readonly #io: ByteDuplex;
  readonly #reader: FrameReader;
  readonly #client: boolean;
  #writing: Promise<void> = Promise.resolve();
  #closeSent = false;
  #closeInfo: WsCloseInfo | null = null;
  #writeError: Error | null = null;

  /** Wraps a transport whose opening handshake is complete; `initial` is bytes read past it. */
  constructor(io: ByteDuplex, role: "client" | "server", initial?: Uint8Array) {
    this.#io = io;
    this.#client = role === "client";
    this.#reader = new FrameReader(io, initial);
  }

  /** How the connection ended (null while open). */
  get closeInfo(): WsCloseInfo | null {
    return this.#closeInfo;
  }

  /** Whether this side has sent its close frame (nothing more can be sent). */
  get closeSent(): boolean {
    return this.#closeSent;
  }

  /** Sends one binary message; resolves once the transport no longer needs `data`. */
  sendBinary(data: Uint8Array): Promise<void> {
    return this.#send(OP.binary, data);
  }

  /** Sends one text message. */
  sendText(text: string): Promise<void> {
    return this.#send(OP.text, encoder.encode(text));
  }

  /** Sends a close frame (once) and stops writing; the peer's close ends the reads. */
  async close(code = 1000, reason = ""): Promise<void> {
    if (this.#closeSent) return;
    const r = encoder.encode(reason);
    const payload = new Uint8Array(2 + r.length);
    payload[0] = code >>> 8;
    payload[1] = code & 0xff;
    payload.set(r, 2);
    try {
      await this.#send(OP.close, payload);
    } catch { /* the peer is gone */ }
    this.#closeSent = true;
  }

  /** Drops the connection at once, without a closing handshake. */
  abort(): void {
    this.#closeSent = true;
    this.#closeInfo ??= { code: 1006, reason: "" };
    try {
      this.#io.close();
    } catch { /* already closed */ }
  }

  #send(opcode: number, data: Uint8Array): Promise<void> {
    if (this.#closeSent) return Promise.reject(new Error("websocket: close sent"));
    const mask = this.#client ? crypto.getRandomValues(new Uint8Array(4)) : null;
    let payload = data;
    if (mask) {
      payload = data.slice();
      applyMask(payload, mask);
    }
    const head = frameHeader(opcode, payload.length, true, mask);
    let bytes: Uint8Array;
    if (payload.length <= 16 * 1024) {
      bytes = new Uint8Array(head.length + payload.length);
      bytes.set(head);
      bytes.set(payload, head.length);
    } else {
      bytes = payload;
    }
    const big = bytes === payload;
    const next = this.#writing.then(async () => {
      if (this.#writeError) throw this.#writeError;
      try {
        if (big) await this.#io.write(head, bytes);
        else await this.#io.write(bytes);
      } catch (e) {
        this.#writeError = e as Error;
        throw e;
      }
    });
    this.#writing = next.catch(() => {});
    if (opcode === OP.close) this.#closeSent = true;
    return next;
  }

  async #frame(): Promise<Frame | null> {
    const h = await this.#reader.take(2);
    if (!h) return null;
    const fin = (h[0] & 0x80) !== 0;
    if (h[0] & 0x70) throw new WsProtocolError("websocket: reserved bits set");
    const opcode = h[0] & 0x0f;
    const masked = (h[1] & 0x80) !== 0;
    let len = h[1] & 0x7f;
    if (len === 126) {
      const e = await this.#reader.take(2);
      if (!e) return null;
      len = (e[0] << 8) | e[1];
    } else if (len === 127) {
      const e = await this.#reader.take(8);
      if (!e) return null;
      const dv = new DataView(e.buffer, e.byteOffset, 8);
      len = dv.getUint32(0) * 2 ** 32 + dv.getUint32(4);
    }
    if (opcode >= 8 && (len > 125 || !fin)) {
      throw new WsProtocolError("websocket: invalid control frame");
    }
    if (len > MAX_MESSAGE) throw new WsProtocolError("websocket: message too big", 1009);
    if (masked === this.#client) {
      throw new WsProtocolError(
        this.#client ? "websocket: masked frame from server" : "websocket: unmasked frame",
      );
    }
    let mask: Uint8Array | null = null;
    if (masked) {
      mask = await this.#reader.take(4);
      if (!mask) return null;
    }
    const payload = await this.#reader.take(len);
    if (!payload) return null;
    // The bytes are ours alone once read (a view at most shares memory with other
    // frames' bytes), so they are unmasked in place.
    if (mask) applyMask(payload, mask);
    return { fin, opcode, payload };
  }

  /**
   * The next data message, or null once the connection has ended (see
   * {@linkcode WsConn.closeInfo}). Pings are answered and a close frame is echoed.
   */
  async receive(): Promise<WsMessage | null> {
    if (this.#closeInfo) return null;
    let parts: Uint8Array[] | null = null;
    let partsOp = 0;
    let partsLen = 0;
    try {
      for (;;) {
        const f = await this.#frame();
        if (!f) {
          this.#closeInfo = { code: 1006, reason: "" };
          return null;
        }
        switch (f.opcode) {
          case OP.ping:
            if (!this.#closeSent) this.#send(OP.pong, f.payload).catch(() => {});
            continue;
          case OP.pong:
            continue;
          case OP.close: {
            const code = f.payload.length >= 2 ? (f.payload[0] << 8) | f.payload[1] : 1005;
            let reason = "";
            try {
              reason = decoder.decode(f.payload.subarray(2));
            } catch { /* ignore a bad reason */ }
            this.#closeInfo = { code, reason };
            if (!this.#closeSent) await this.close(code === 1005 ? 1000 : code);
            this.#io.closeWrite();
            return null;
          }
          case OP.text:
          case OP.binary:
            if (parts) {
              throw new WsProtocolError("websocket: data frame inside a fragmented message");
            }
            if (f.fin) return this.#message(f.opcode, f.payload);
            parts = [f.payload];
            partsOp = f.opcode;
            partsLen = f.payload.length;
            continue;
          case OP.cont: {
            if (!parts) throw new WsProtocolError("websocket: continuation without a start");
            partsLen += f.payload.length;
            if (partsLen > MAX_MESSAGE) {
              throw new WsProtocolError("websocket: message too big", 1009);
            }
            parts.push(f.payload);
            if (!f.fin) continue;
            const all = new Uint8Array(partsLen);
            let off = 0;
            for (const p of parts) {
              all.set(p, off);
              off += p.length;
              releaseBytes(p);
            }
            parts = null;
            return this.#message(partsOp, all);
          }
          default:
            throw new WsProtocolError(`websocket: unknown opcode ${f.opcode}`);
        }
      }
    } catch (e) {
      if (e instanceof WsProtocolError) {
        await this.close(e.code, e.message.slice(0, 100));
        this.#closeInfo = { code: e.code, reason: e.message };
        this.abort();
        return null;
      }
      this.#closeInfo = { code: 1006, reason: (e as Error)?.message ?? "" };
      this.abort();
      return null;
    }
  }

  #message(opcode: number, payload: Uint8Array): WsMessage {
    if (opcode === OP.binary) return { type: "binary", data: payload };
    try {
      return { type: "text", data: decoder.decode(payload) };
    } catch {
      throw new WsProtocolError("websocket: invalid UTF-8 in a text message", 1007);
    }
  }
}

/** Adapts a `Deno.Conn` to a {@linkcode ByteDuplex}. */
export function denoConnDuplex(conn: Deno.Conn): ByteDuplex {
  let closed = false;
  return {
    async read() {
      if (closed) return null;
      const buf = new Uint8Array(256 * 1024);
      try {
        const n = await conn.read(buf);
        return n === null ? null : buf.subarray(0, n);
      } catch (e) {
        if (closed) return null;
        throw e;
      }
    },
    async write(bytes, more) {
      for (const b of more ? [bytes, more] : [bytes]) {
        let off = 0;
        while (off < b.length) off += await conn.write(b.subarray(off));
      }
    },
    closeWrite() {
      try {
        conn.closeWrite();
      } catch { /* closed already */ }
    },
    close() {
      if (closed) return;
      closed = true;
      try {
        conn.close();
      } catch { /* closed already */ }
    },
  };
}
