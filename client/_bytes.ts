// Byte-buffer helpers shared by the client and the daemon.
//
// releaseBytes frees a byte buffer as soon as its last user is done with it.
// Streams of fresh 64 KiB chunks (socket reads, pipe reads) are short-lived garbage, but
// V8 frees an ArrayBuffer's memory only when a scavenge finds its (tiny) JS object dead;
// with few other allocations that can take hundreds of chunks, so a gigabyte moving
// through the daemon grew its RSS by 50-90 MiB. Detaching a buffer frees it at once.

/**
 * Frees `chunk`'s memory now, if `chunk` spans its whole `ArrayBuffer` (a view into part
 * of a larger buffer is left alone: others may use the rest). The caller must own the
 * chunk: afterwards it, and every other view of its buffer, is empty.
 */
export function releaseBytes(chunk: Uint8Array): void {
  const buf = chunk.buffer;
  if (
    buf instanceof ArrayBuffer && !buf.resizable && buf.byteLength > 0 &&
    chunk.byteOffset === 0 && chunk.byteLength === buf.byteLength
  ) buf.transfer(0);
}

/** Writes `s` into `out` at `at` as Latin-1: one byte per character (its low 8 bits). */
export function putLatin1(s: string, out: Uint8Array, at: number): void {
  for (let i = 0; i < s.length; i++) out[at + i] = s.charCodeAt(i);
}

/** The bytes of `parts` one after the other, in a new buffer. */
export function concatBytes(parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
