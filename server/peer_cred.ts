/**
 * The UID of the process at the other end of a unix socket (SO_PEERCRED).
 *
 * Deno's node:http exposes the accepted socket's file descriptor as
 * `socket._handle.fd`; `getsockopt(fd, SOL_SOCKET, SO_PEERCRED)` from libc gives the
 * peer's pid, uid and gid. Linux only; elsewhere the UID is unknown (null), which the
 * access rules treat as an anonymous caller.
 *
 * @module
 */

const SOL_SOCKET = 1;
const SO_PEERCRED = 17;

type Libc = Deno.DynamicLibrary<{
  getsockopt: { parameters: ["i32", "i32", "i32", "buffer", "buffer"]; result: "i32" };
}>;

let libc: Libc | null | undefined;

function openLibc(): Libc | null {
  if (libc !== undefined) return libc;
  try {
    libc = Deno.dlopen("libc.so.6", {
      getsockopt: { parameters: ["i32", "i32", "i32", "buffer", "buffer"], result: "i32" },
    });
  } catch {
    libc = null;
  }
  return libc;
}

/** Peer credentials of a unix socket connection. */
export interface PeerCred {
  pid: number;
  uid: number;
  gid: number;
}

/** The getsockopt buffers, reused: a connection's first moments are on the request path. */
const credBuf = new Uint8Array(12);
const credView = new DataView(credBuf.buffer);
const credLen = new Uint32Array(1);
const credLenBytes = new Uint8Array(credLen.buffer);

/** Reads the peer credentials of the connected unix socket `fd`, or null if unavailable. */
export function peerCredOfFd(fd: number): PeerCred | null {
  const lib = openLibc();
  if (!lib || fd < 0) return null;
  credLen[0] = 12;
  const rc = lib.symbols.getsockopt(fd, SOL_SOCKET, SO_PEERCRED, credBuf, credLenBytes);
  if (rc !== 0) return null;
  return {
    pid: credView.getInt32(0, true),
    uid: credView.getUint32(4, true),
    gid: credView.getUint32(8, true),
  };
}

/** Reads the peer credentials of a node:net socket accepted on a unix listener. */
export function peerCredOfSocket(socket: unknown): PeerCred | null {
  // deno-lint-ignore no-explicit-any
  const fd = (socket as any)?._handle?.fd;
  return typeof fd === "number" ? peerCredOfFd(fd) : null;
}
