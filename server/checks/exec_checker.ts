/**
 * The `exec` checker: the command must exit with status 0.
 *
 * The command runs in its own process group (server/process) with the daemon's
 * environment plus the check's, its working directory and user/group. Its output
 * (stdout and stderr) goes to a 512-byte tail; on failure the last lines become the
 * error's details, as in Pebble. At the timeout, or when the check is stopped, the whole
 * group is killed with SIGKILL, so nothing the command started is left behind.
 *
 * Cost: unless the check switches user, the command is started through `setsid(1)` with
 * `posix_spawn`, which costs the daemon a fraction of a millisecond whatever its size
 * (forking the daemon to call `setsid()` itself costs several); the program's path is
 * looked up once per checker.
 *
 * @module
 */

import type { ExecCheck } from "../../plan/mod.ts";
import { splitCommand } from "../../plan/mod.ts";
import {
  killProcess,
  lookPath,
  resolveUserGroup,
  setsidPath,
  type SpawnedProcess,
  SpawnError,
  spawnProcess,
} from "../process/mod.ts";
import { type Checker, CheckFailure, lastLines, timedOut } from "./checker.ts";

const MAX_ERROR_BYTES = 512;
const MAX_ERROR_LINES = 5;
/** How long output pipes may stay open after the process exited (Go's WaitDelay). */
const WAIT_DELAY_MS = 1000;

/** The last `MAX_ERROR_BYTES` bytes written to it. */
class Tail {
  private buf = new Uint8Array(MAX_ERROR_BYTES);
  private len = 0;

  write(chunk: Uint8Array): void {
    if (chunk.length >= MAX_ERROR_BYTES) {
      this.buf.set(chunk.subarray(chunk.length - MAX_ERROR_BYTES));
      this.len = MAX_ERROR_BYTES;
      return;
    }
    const keep = Math.min(this.len, MAX_ERROR_BYTES - chunk.length);
    if (keep < this.len) this.buf.copyWithin(0, this.len - keep, this.len);
    this.buf.set(chunk, keep);
    this.len = keep + chunk.length;
  }

  text(): string {
    return new TextDecoder().decode(this.buf.subarray(0, this.len));
  }
}

/** Bytes read per call from a check's output pipe (one reused buffer per pipe). */
const READ_BUFFER_BYTES = 2048;

/**
 * Reads `stream` to its end into `tail` through a BYOB reader into `buf`, and resolves
 * with the buffer to reuse next time. Default reads allocate a fresh 64 KiB chunk each
 * (two per run even for a silent command): at hundreds of runs a second that garbage
 * lives outside the V8 heap and bloats the daemon's RSS long before a GC frees it.
 */
async function drain(
  reader: ReadableStreamBYOBReader,
  tail: Tail,
  buf: Uint8Array,
): Promise<Uint8Array> {
  for (;;) {
    const { done, value } = await reader.read(buf);
    if (value) buf = new Uint8Array(value.buffer as ArrayBuffer);
    if (done) return buf;
    tail.write(value);
  }
}

/** Checks that a command succeeds. */
export class ExecChecker implements Checker {
  private current: SpawnedProcess | null = null;
  private cancelled = false;
  /** The command split once (it does not change for the life of the checker). */
  private argv: string[] | undefined;
  private program: string | null = null;
  /** Read buffers handed back by the previous run's drains (null while one is in use). */
  private buffers: (Uint8Array | null)[] = [null, null];

  constructor(readonly config: ExecCheck) {}

  async run(timeoutMs: number): Promise<void> {
    let argv = this.argv;
    if (!argv) {
      try {
        argv = this.argv = splitCommand(this.config.command);
      } catch (e) {
        throw new Error(`cannot parse command: ${(e as Error).message}`);
      }
    }
    const c = this.config;
    const user = resolveUserGroup(c);
    this.program ??= lookPath(argv[0]);
    const setsid = user ? null : setsidPath();
    let proc: SpawnedProcess;
    try {
      proc = spawnProcess({
        argv: setsid ? [setsid, this.program, ...argv.slice(1)] : [this.program, ...argv.slice(1)],
        env: c.environment,
        cwd: c.workingDir || undefined,
        user,
        stdout: "piped",
        stderr: "piped",
        detached: !setsid,
      });
    } catch (e) {
      if (e instanceof SpawnError && setsid) {
        throw new SpawnError(e.message.replace(setsid, this.program));
      }
      throw e;
    }
    this.current = proc;
    this.cancelled = false;
    const tail = new Tail();
    const readers = [
      proc.stdout!.getReader({ mode: "byob" }),
      proc.stderr!.getReader({ mode: "byob" }),
    ];
    const output = Promise.all(readers.map((reader, i) => {
      const buf = this.buffers[i] ?? new Uint8Array(READ_BUFFER_BYTES);
      this.buffers[i] = null;
      return drain(reader, tail, buf).then((b) => {
        this.buffers[i] = b;
      });
    }));
    let expired = false;
    const timer = setTimeout(() => {
      expired = true;
      if (!proc.killGroup("SIGKILL")) killProcess(proc.pid, "SIGKILL");
    }, timeoutMs);
    let status;
    try {
      status = await proc.status;
    } finally {
      clearTimeout(timer);
      if (this.current === proc) this.current = null;
    }
    // A descendant that left the group may hold the pipes open: wait only so long.
    let waitTimer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      output.catch(() => {}),
      new Promise<void>((r) => (waitTimer = setTimeout(r, WAIT_DELAY_MS))),
    ]);
    clearTimeout(waitTimer);
    for (const r of readers) r.cancel().catch(() => {});
    if (expired) throw timedOut(timeoutMs);
    if (this.cancelled) throw new Error("check cancelled");
    if (status.code !== 0) {
      throw new CheckFailure(`exit status ${status.code}`, lastLines(tail.text(), MAX_ERROR_LINES));
    }
  }

  cancel(): void {
    if (!this.current) return;
    this.cancelled = true;
    if (!this.current.killGroup("SIGKILL")) killProcess(this.current.pid, "SIGKILL");
  }
}
