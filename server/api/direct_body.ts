/**
 * Response bodies written straight to the node:http response (no web-stream adapter on
 * the hot path). A handler returns a `RawResponse` whose body stream carries a direct
 * writer; `sendRaw` calls the writer instead of iterating the stream. The stream stays
 * a valid (lazy) body for anyone else who reads it.
 *
 * @module
 */

import type { ServerResponse } from "node:http";

/** Writes a whole body to `out`, honouring its back-pressure; `out.end()` is left to the caller. */
export type DirectWriter = (out: ServerResponse) => Promise<void>;

const DIRECT = Symbol("directWriter");

/** Attaches `writer` to `stream`, so `sendRaw` can use it instead of reading the stream. */
export function withDirectWriter<T extends ReadableStream<Uint8Array>>(
  stream: T,
  writer: DirectWriter,
): T {
  (stream as unknown as Record<symbol, DirectWriter>)[DIRECT] = writer;
  return stream;
}

/** The direct writer attached to `stream`, if any. */
export function directWriterOf(
  stream: ReadableStream<Uint8Array> | null,
): DirectWriter | undefined {
  return stream ? (stream as unknown as Record<symbol, DirectWriter>)[DIRECT] : undefined;
}
