/**
 * Commands in a pseudo-terminal, through npm `@lydell/node-pty` (prebuilt `forkpty`),
 * loaded only when the first terminal exec starts. The child leads a new session with
 * the terminal as its controlling terminal, starting at the requested size.
 *
 * @module
 */

/** A process running in a terminal. */
export interface PtyProcess {
  readonly pid: number;
  /** Terminal output as raw bytes; at most one handler. */
  onData(fn: (data: Uint8Array) => void): void;
  /** The exit: code, or 128 + signal when killed by one. */
  readonly exited: Promise<number>;
  /** Writes input to the terminal. */
  write(data: Uint8Array | string): void;
  resize(cols: number, rows: number): void;
  /** Stops reading output until resumed (flow control). */
  pause(): void;
  resume(): void;
  /** Turns the terminal's echo off (for input sent through a non-interactive terminal). */
  disableEcho(): void;
  /** Releases the master side. */
  close(): void;
}

/** Options of {@linkcode spawnPty}. */
export interface PtyOptions {
  program: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  uid?: number;
  gid?: number;
  cols: number;
  rows: number;
}

type NodePty = typeof import("@lydell/node-pty");
let nodePty: Promise<NodePty> | undefined;

// termios flags of <termios.h> on Linux.
const TCGETS = 0x5401;
const TCSETS = 0x5402;
const ECHO = 0o10;
const LFLAG_OFFSET = 12; // c_iflag, c_oflag, c_cflag, c_lflag: four 32-bit words

let ioctl:
  | Deno.DynamicLibrary<{ ioctl: { parameters: ["i32", "u64", "buffer"]; result: "i32" } }>
  | null
  | undefined;

function libcIoctl() {
  if (ioctl !== undefined) return ioctl;
  try {
    ioctl = Deno.dlopen(
      "libc.so.6",
      {
        ioctl: { parameters: ["i32", "u64", "buffer"], result: "i32" },
      } as const,
    );
  } catch {
    ioctl = null;
  }
  return ioctl;
}

/** Starts `program` in a new terminal. Throws when it cannot be started. */
export async function spawnPty(opts: PtyOptions): Promise<PtyProcess> {
  nodePty ??= import("@lydell/node-pty");
  const pty = await nodePty;
  const p = pty.spawn(
    opts.program,
    opts.args,
    {
      name: opts.env.TERM || "xterm",
      cols: opts.cols > 0 ? opts.cols : 80,
      rows: opts.rows > 0 ? opts.rows : 25,
      cwd: opts.cwd,
      env: opts.env,
      uid: opts.uid,
      gid: opts.gid,
      encoding: null,
    } as Parameters<NodePty["spawn"]>[2],
  );
  const exited = new Promise<number>((resolve) => {
    p.onExit(({ exitCode, signal }) => resolve(signal ? 128 + signal : exitCode));
  });
  const fd = (p as unknown as { _fd: number })._fd;
  return {
    pid: p.pid,
    exited,
    onData(fn) {
      p.onData((d: unknown) =>
        fn(typeof d === "string" ? new TextEncoder().encode(d) : d as Uint8Array)
      );
    },
    write(data) {
      (p as unknown as { write(d: unknown): void }).write(
        typeof data === "string" ? data : Buffer.from(data),
      );
    },
    resize(cols, rows) {
      p.resize(cols, rows);
    },
    pause() {
      p.pause();
    },
    resume() {
      p.resume();
    },
    disableEcho() {
      const lib = libcIoctl();
      if (!lib || typeof fd !== "number") return;
      const t = new Uint8Array(64);
      if (lib.symbols.ioctl(fd, BigInt(TCGETS), t) !== 0) return;
      const view = new DataView(t.buffer);
      view.setUint32(LFLAG_OFFSET, view.getUint32(LFLAG_OFFSET, true) & ~ECHO, true);
      lib.symbols.ioctl(fd, BigInt(TCSETS), t);
    },
    close() {
      try {
        p.kill("SIGHUP");
      } catch { /* gone */ }
    },
  };
}
