/**
 * The server side of the WebSocket opening handshake on an HTTP upgrade (server/http_server.ts), and a
 * {@linkcode ByteDuplex} over the upgraded node socket with back-pressure both ways:
 * reading pauses the socket once a little is buffered, writing waits until the bytes
 * have been written.
 *
 * @module
 */

import type { HttpRequest } from "../http_server.ts";
import type { Duplex } from "node:stream";
import { acceptKey, type ByteDuplex, WsConn } from "../../client/_ws.ts";

/** Bytes buffered from the socket before it is paused. */
const READ_HIGH_WATER = 256 * 1024;

/** Adapts an upgraded node socket to a {@linkcode ByteDuplex}. */
export function nodeSocketDuplex(socket: Duplex): ByteDuplex {
  const queue: Uint8Array[] = [];
  let queued = 0;
  let ended = false;
  let failure: Error | null = null;
  let wake: (() => void) | null = null;
  const notify = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  socket.on("data", (chunk: Uint8Array) => {
    queue.push(chunk);
    queued += chunk.length;
    if (queued >= READ_HIGH_WATER) socket.pause();
    notify();
  });
  socket.on("end", () => {
    ended = true;
    notify();
  });
  socket.on("close", () => {
    ended = true;
    notify();
  });
  socket.on("error", (e: Error) => {
    failure = e;
    ended = true;
    notify();
  });
  return {
    async read() {
      while (queue.length === 0) {
        if (ended) return null;
        await new Promise<void>((r) => (wake = r));
      }
      const chunk = queue.shift()!;
      queued -= chunk.length;
      if (queued < READ_HIGH_WATER && socket.isPaused()) socket.resume();
      return chunk;
    },
    write(bytes, more) {
      if (socket.destroyed || socket.writableEnded) {
        return Promise.reject(failure ?? new Error("websocket: connection closed"));
      }
      // Resolves on the write callback, once the bytes have reached the kernel: the
      // caller may then release them, and at most one message per sender is in flight.
      return new Promise<void>((resolve, reject) => {
        const onClose = () => reject(failure ?? new Error("websocket: connection closed"));
        socket.once("close", onClose);
        const done = (err?: Error | null) => {
          socket.off("close", onClose);
          if (err) reject(err);
          else resolve();
        };
        // Two writes rather than a corked pair: Deno's node sockets join corked writes
        // into a copy, and writes keep their order anyway.
        if (more) socket.write(bytes);
        socket.write(more ?? bytes, done);
      });
    },
    closeWrite() {
      if (!socket.destroyed) socket.end();
    },
    close() {
      socket.destroy();
    },
  };
}

/** Why an upgrade request is not a valid WebSocket handshake (null when it is). */
export function handshakeProblem(req: HttpRequest): string | null {
  const connection = String(req.headers.connection ?? "").toLowerCase();
  if (!connection.split(/\s*,\s*/).includes("upgrade")) {
    return "websocket: the client is not using the websocket protocol: 'upgrade' token not found in 'Connection' header";
  }
  if (String(req.headers.upgrade ?? "").toLowerCase() !== "websocket") {
    return "websocket: the client is not using the websocket protocol: 'websocket' token not found in 'Upgrade' header";
  }
  if (req.method !== "GET") return "websocket: the client is not using the websocket protocol";
  if (req.headers["sec-websocket-version"] !== "13") {
    return "websocket: unsupported version: 13 not found in 'Sec-Websocket-Version' header";
  }
  const key = req.headers["sec-websocket-key"];
  if (typeof key !== "string" || key === "") {
    return "websocket: not a websocket handshake: 'Sec-WebSocket-Key' header is missing or blank";
  }
  return null;
}

/** Completes the handshake (answering 101) and returns the connection. */
export async function acceptWebSocket(
  req: HttpRequest,
  socket: Duplex,
  head: Uint8Array,
): Promise<WsConn> {
  const accept = await acceptKey(String(req.headers["sec-websocket-key"]));
  const io = nodeSocketDuplex(socket);
  (socket as { setNoDelay?: (v: boolean) => void }).setNoDelay?.(true);
  await io.write(
    new TextEncoder().encode(
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        `Sec-WebSocket-Accept: ${accept}\r\n\r\n`,
    ),
  );
  return new WsConn(io, "server", head.length ? new Uint8Array(head) : undefined);
}
