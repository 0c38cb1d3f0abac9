/**
 * Starting processes for services, exec and checks.
 *
 * Choice: `Deno.Command` with `detached: true`. On Linux Deno runs `setsid()` in the
 * child before `exec`, so the process leads a new session and process group (whose ID
 * is its PID) and `killGroup(pid, ...)` reaches it and every descendant that stays in
 * the group. `uid`/`gid` make the child call `setgid`/`setuid` (supplementary groups
 * are cleared, as Go does with a `syscall.Credential`). Measured on Deno 2.9.6: about
 * 2 ms per spawn once warm, against 5–10 ms for `node:child_process` and a fork
 * through `Deno.dlopen` that Deno's runtime cannot do safely. Standard streams are
 * web streams.
 *
 * Every PID spawned here is recorded (see `isOwnChild`) so the orphan reaper never
 * waits for a process whose exit status Deno itself is waiting for.
 *
 * @module
 */

import {
  lookupUser,
  resolveUserGroup,
  type UserGroup,
  UserGroupError,
  type UserGroupSpec,
} from "./user.ts";
import { F_SETPIPE_SZ, libcPipe, O_RDONLY_NONBLOCK_CLOEXEC } from "./_libc.ts";

/** How a process ended: `code` is the exit code, or 128 + the signal number. */
export interface ExitStatus {
  /** Exit code; for a process killed by a signal, 128 + its number (as Pebble reports). */
  code: number;
  /** The signal that killed the process, or null if it exited. */
  signal: Deno.Signal | null;
}

/** What to start and how. */
export interface SpawnOptions {
  /** The program and its arguments; a program without `/` is looked up in `$PATH`. */
  argv: string[];
  /** Variables set on top of the daemon's environment (or instead of it with `clearEnv`). */
  env?: Record<string, string>;
  /** Start from an empty environment. */
  clearEnv?: boolean;
  /** Working directory; default the daemon's. */
  cwd?: string;
  /** Run as this user and group (see `resolveUserGroup`). */
  user?: UserGroup | null;
  /** Default `"null"`. */
  stdin?: "piped" | "null" | "inherit";
  /** Default `"piped"`. */
  stdout?: "piped" | "null" | "inherit";
  /** Default `"piped"`. */
  stderr?: "piped" | "null" | "inherit";
  /**
   * Default true: the child calls `setsid()` before `exec`, which makes Deno fork the
   * whole daemon (its cost grows with the daemon's memory: ~2 ms at 50 MiB, ~11 ms at
   * 200 MiB). False spawns with `posix_spawn` (~0.6 ms whatever the size) in the daemon's
   * process group; callers that still want a group of their own run the program through
   * `setsid(1)` (see `setsidPath`), which calls `setsid()` and execs it in place.
   */
  detached?: boolean;
}

/** A started process. */
export interface SpawnedProcess {
  readonly pid: number;
  readonly stdin: WritableStream<Uint8Array> | null;
  readonly stdout: ReadableStream<Uint8Array> | null;
  readonly stderr: ReadableStream<Uint8Array> | null;
  /** Resolves when the process has exited (its streams may still hold data). */
  readonly status: Promise<ExitStatus>;
  /** Sends `signal` to the process's whole group; false if it is already gone. */
  killGroup(signal: Deno.Signal): boolean;
}

/** A process could not be started; the message is worded as Go's `os/exec` words it. */
export class SpawnError extends Error {
  override name = "SpawnError";
}

const ownChildren = new Set<number>();

/** Whether `pid` is a live child started by `spawnProcess` (never reaped by the reaper). */
export function isOwnChild(pid: number): boolean {
  return ownChildren.has(pid);
}

/**
 * Records a child started outside `spawnProcess` (a PTY library, say) so the orphan
 * reaper leaves it alone; call `forgetChild` once its status is collected.
 */
export function trackChild(pid: number): void {
  ownChildren.add(pid);
}

/** Undoes `trackChild`. */
export function forgetChild(pid: number): void {
  ownChildren.delete(pid);
}

function isExecutable(path: string): boolean {
  try {
    const st = Deno.statSync(path);
    return st.isFile && ((st.mode ?? 0o755) & 0o111) !== 0;
  } catch {
    return false;
  }
}

/**
 * Finds `name` in `$PATH` as Go's `exec.LookPath` does (names with a `/` are used as
 * they are). Throws SpawnError with Go's message when there is none.
 */
export function lookPath(name: string, path = Deno.env.get("PATH") ?? ""): string {
  if (name.includes("/")) return name;
  for (let dir of path.split(":")) {
    if (dir === "") dir = ".";
    const full = `${dir}/${name}`;
    if (isExecutable(full)) return full;
  }
  throw new SpawnError(`exec: ${JSON.stringify(name)}: executable file not found in $PATH`);
}

let setsid: string | null | undefined;

/**
 * The path of `setsid(1)` (util-linux or busybox) in `$PATH`, or null when there is
 * none; looked up once. `spawnProcess({ argv: [setsidPath(), program, ...args],
 * detached: false })` gives `program` a session and process group of its own (its PID)
 * at `posix_spawn` cost.
 */
export function setsidPath(): string | null {
  if (setsid === undefined) {
    try {
      setsid = lookPath("setsid");
    } catch {
      setsid = null;
    }
  }
  return setsid;
}

/**
 * Sends `signal` to every process in the group `pgid` (a process started here leads its
 * own group, so its PID is the group ID). Returns false if the group no longer exists.
 */
export function killGroup(pgid: number, signal: Deno.Signal): boolean {
  if (pgid <= 1) throw new RangeError(`refusing to signal process group ${pgid}`);
  try {
    Deno.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Sends `signal` to one process; false if it no longer exists. */
export function killProcess(pid: number, signal: Deno.Signal): boolean {
  if (pid <= 1) throw new RangeError(`refusing to signal process ${pid}`);
  try {
    Deno.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * SIGTERM to the group, then SIGKILL if `exited` has not resolved within `killDelayMs`.
 * Resolves true once `exited` resolves, false if it has not `failDelayMs` after SIGKILL.
 */
export async function terminateGroup(
  pgid: number,
  exited: Promise<unknown>,
  killDelayMs: number,
  failDelayMs = 5000,
): Promise<boolean> {
  const within = async (ms: number) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<false>((r) => timer = setTimeout(() => r(false), ms));
    try {
      return await Promise.race([exited.then(() => true), timeout]);
    } finally {
      clearTimeout(timer);
    }
  };
  killGroup(pgid, "SIGTERM");
  if (await within(killDelayMs)) return true;
  killGroup(pgid, "SIGKILL");
  return await within(failDelayMs);
}

/**
 * Starts a process in its own session and process group.
 *
 * Throws SpawnError (missing program or working directory, or a user switch that is
 * not allowed because the daemon is not root) and UserGroupError.
 *
 * ```ts
 * const p = spawnProcess({ argv: ["sh", "-c", "echo hi"], stdout: "piped" });
 * console.log(await new Response(p.stdout).text(), await p.status);
 * ```
 */
export function spawnProcess(opts: SpawnOptions): SpawnedProcess {
  if (opts.argv.length === 0) throw new SpawnError("no command given");
  const program = lookPath(
    opts.argv[0],
    opts.clearEnv ? opts.env?.PATH ?? "" : Deno.env.get("PATH") ?? "",
  );
  if (opts.cwd !== undefined && opts.cwd !== "") {
    let ok = false;
    try {
      ok = Deno.statSync(opts.cwd).isDirectory;
    } catch {
      ok = false;
    }
    if (!ok) throw new SpawnError(`fork/exec ${program}: no such file or directory`);
  }
  let uid: number | undefined;
  let gid: number | undefined;
  if (opts.user) {
    const myUid = Deno.uid() ?? 0;
    const myGid = Deno.gid() ?? 0;
    if (opts.user.uid !== myUid || opts.user.gid !== myGid) {
      if (myUid !== 0) {
        throw new SpawnError(
          `fork/exec ${program}: operation not permitted (cannot run as UID ${opts.user.uid} ` +
            `GID ${opts.user.gid}: the daemon is not running as root)`,
        );
      }
      uid = opts.user.uid;
      gid = opts.user.gid;
    }
  }
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(program, {
      args: opts.argv.slice(1),
      env: opts.env,
      clearEnv: opts.clearEnv,
      cwd: opts.cwd || undefined,
      uid,
      gid,
      detached: opts.detached ?? true,
      stdin: opts.stdin ?? "null",
      stdout: opts.stdout ?? "piped",
      stderr: opts.stderr ?? "piped",
    }).spawn();
  } catch (e) {
    const err = e as Error;
    let reason = err.message;
    if (err instanceof Deno.errors.NotFound) reason = "no such file or directory";
    else if (err instanceof Deno.errors.PermissionDenied) reason = "permission denied";
    throw new SpawnError(`fork/exec ${program}: ${reason}`);
  }
  const pid = child.pid;
  ownChildren.add(pid);
  const status = child.status.then((s) => {
    ownChildren.delete(pid);
    return { code: s.code, signal: s.signal };
  });
  const pipe = (kind: "stdin" | "stdout" | "stderr", mode: string | undefined, dflt: string) =>
    (mode ?? dflt) === "piped" ? child[kind] : null;
  return {
    pid,
    stdin: pipe("stdin", opts.stdin, "null") as WritableStream<Uint8Array> | null,
    stdout: pipe("stdout", opts.stdout, "piped") as ReadableStream<Uint8Array> | null,
    stderr: pipe("stderr", opts.stderr, "piped") as ReadableStream<Uint8Array> | null,
    status,
    killGroup: (signal) => killGroup(pid, signal),
  };
}

/** The most a pipe may hold without privileges (`/proc/sys/fs/pipe-max-size` default). */
const GROWN_PIPE_BYTES = 1024 * 1024;

/**
 * Lets the pipe on descriptor `fd` (1 or 2) of our child `pid` hold 1 MiB instead of
 * 64 KiB, so that a child writing as fast as it can keeps writing while the daemon
 * batches its reads (server/logs `pumpStream`). Deno does not expose the descriptor of
 * its end of the pipe, so the pipe is reached through the child's end:
 * `/proc/PID/fd/N` opened read-only and non-blocking (a new open file of the same
 * pipe, closed at once; nothing is read from it), then `F_SETPIPE_SZ`. Best effort:
 * returns false when the child is gone, `fd` is no longer a pipe, or the limit is
 * refused (`pipe-user-pages-soft`).
 */
export function growPipe(pid: number, fd: number): boolean {
  const libc = libcPipe();
  if (!libc || pid <= 1) return false;
  const path = new TextEncoder().encode(`/proc/${pid}/fd/${fd}\0`);
  const f = libc.symbols.open(path, O_RDONLY_NONBLOCK_CLOEXEC);
  if (f < 0) return false;
  try {
    return libc.symbols.fcntl(f, F_SETPIPE_SZ, GROWN_PIPE_BYTES) >= 0;
  } finally {
    libc.symbols.close(f);
  }
}

/**
 * `resolveUserGroup` then the environment Pebble gives a process run as another user:
 * `HOME` and `USER` from the passwd entry unless `env` already sets them.
 */
export function identityFor(
  spec: UserGroupSpec,
  env: Record<string, string>,
): { user: UserGroup | null; env: Record<string, string> } {
  const user = resolveUserGroup(spec);
  if (!user || (env.HOME && env.USER)) return { user, env };
  const out = { ...env };
  const entry = lookupUser({ uid: user.uid });
  if (entry) {
    if (!out.HOME) out.HOME = entry.home;
    if (!out.USER) out.USER = entry.name;
  }
  return { user, env: out };
}

export { UserGroupError };
