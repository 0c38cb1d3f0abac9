/**
 * A benchmark target (our daemon or a Pebble-compatible peer binary): starting its daemon
 * on a fresh `$PEBBLE` directory and socket, finding the daemon process, stopping it, and
 * running its CLI. Everything started here is tracked so that {@linkcode cleanupAll} can
 * stop it on error or Ctrl-C.
 *
 * @module
 */

import { getOnce } from "./_bench_http.ts";

/** The sample layer written to `$PEBBLE/layers/001-base.yaml`: nothing starts. */
export const SAMPLE_LAYER = `summary: benchmark base layer
description: Services that exist in the plan but never start.
services:
  web:
    override: replace
    summary: A web server that is never started
    command: /bin/sh -c "exec sleep 1000"
    startup: disabled
    environment:
      PORT: "8080"
      MODE: bench
  worker:
    override: replace
    summary: A background worker that is never started
    command: sleep 1000
    startup: disabled
    after:
      - web
    on-failure: restart
    backoff-delay: 1s
`;

/** How long a daemon may take to answer its first request before we give up. */
const READY_DEADLINE_MS = 20_000;
/** Pause between readiness probes. */
const POLL_INTERVAL_MS = 2;
/** How long a daemon has to exit after SIGTERM before it gets SIGKILL. */
const STOP_DEADLINE_MS = 5_000;

const liveDaemons = new Set<Daemon>();
const liveChildren = new Set<Deno.ChildProcess>();
const tempDirs = new Set<string>();

/** Sleeps without keeping a timer alive past the promise. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves to true if `promise` settles within `ms`, false otherwise. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function processExists(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** Child PIDs of `pid`, from /proc/PID/task/TID/children. */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const task of Deno.readDirSync(`/proc/${pid}/task`)) {
      const text = Deno.readTextFileSync(`/proc/${pid}/task/${task.name}/children`).trim();
      if (text) out.push(...text.split(/\s+/).map(Number));
    }
  } catch {
    // the process is gone
  }
  return out;
}

/** Inodes of listening unix sockets bound to `path`, from /proc/net/unix. */
function listeningInodes(path: string): Set<string> {
  const inodes = new Set<string>();
  const lines = Deno.readTextFileSync("/proc/net/unix").split("\n").slice(1);
  for (const line of lines) {
    const f = line.trim().split(/\s+/);
    // Num RefCount Protocol Flags Type St Inode Path; flag 0x10000 marks a listener.
    if (f.length >= 8 && f[7] === path && (parseInt(f[3], 16) & 0x10000) !== 0) inodes.add(f[6]);
  }
  return inodes;
}

/**
 * The process that holds the listening socket at `socketPath`: `rootPid` itself or one of
 * its descendants (so a wrapper script is never mistaken for the daemon). Falls back to
 * `rootPid` when no holder is found.
 */
export function findDaemonPid(rootPid: number, socketPath: string): number {
  const inodes = listeningInodes(socketPath);
  const queue = [rootPid];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    try {
      for (const fd of Deno.readDirSync(`/proc/${pid}/fd`)) {
        try {
          const link = Deno.readLinkSync(`/proc/${pid}/fd/${fd.name}`);
          const m = /^socket:\[(\d+)\]$/.exec(link);
          if (m && inodes.has(m[1])) return pid;
        } catch {
          // fd closed meanwhile
        }
      }
    } catch {
      // process gone or not readable
    }
    queue.push(...childrenOf(pid));
  }
  return rootPid;
}

/** Resident set size of `pid` in bytes (VmRSS from /proc/PID/status). */
export function rssBytes(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  if (!m) throw new Error(`no VmRSS for process ${pid}`);
  return Number(m[1]) * 1024;
}

/** Samples the RSS of `pid` every few milliseconds while `fn` runs; returns the growth. */
export async function rssGrowth(pid: number, fn: () => Promise<void>): Promise<number> {
  const base = rssBytes(pid);
  let peak = base;
  const sample = () => {
    try {
      peak = Math.max(peak, rssBytes(pid));
    } catch { /* exited */ }
  };
  const timer = setInterval(sample, 5);
  try {
    await fn();
  } finally {
    clearInterval(timer);
    sample();
  }
  return peak - base;
}

/** `size` bytes of a fixed pattern, as 1 MiB chunks (the same chunk each time). */
export async function* pattern(size: number): AsyncGenerator<Uint8Array> {
  const chunk = new Uint8Array(1024 * 1024);
  for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 131) & 0xff;
  for (let sent = 0; sent < size; sent += chunk.length) yield chunk;
}

/** CPU seconds (user + system, all threads) that `pid` has used. */
export function cpuSeconds(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime are fields 14 and 15 of stat, in USER_HZ (100 on Linux).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** A running daemon started by {@linkcode BenchTarget.startDaemon}. */
export class Daemon {
  /** PID of the process holding the listening socket (what RSS and CPU are read from). */
  pid: number;
  /** Milliseconds from spawning to the first 200 answer to `GET /v1/system-info`. */
  readyMs = NaN;
  #child: Deno.ChildProcess;
  #exited = false;
  #status: Promise<Deno.CommandStatus>;

  constructor(
    readonly label: string,
    readonly pebbleDir: string,
    readonly socketPath: string,
    readonly logPath: string,
    child: Deno.ChildProcess,
  ) {
    this.#child = child;
    this.pid = child.pid;
    this.#status = child.status.then((s) => {
      this.#exited = true;
      return s;
    });
    liveDaemons.add(this);
  }

  /** PID of the process we spawned (the daemon itself unless the command is a wrapper). */
  get spawnedPid(): number {
    return this.#child.pid;
  }

  /** Environment for a CLI talking to this daemon. */
  get env(): Record<string, string> {
    return { PEBBLE: this.pebbleDir, PEBBLE_SOCKET: this.socketPath };
  }

  /** Polls `GET /v1/system-info` until it answers 200; records and returns {@linkcode readyMs}. */
  async waitReady(spawnedAt: number): Promise<number> {
    const deadline = spawnedAt + READY_DEADLINE_MS;
    let lastError = "";
    while (performance.now() < deadline) {
      if (this.#exited) {
        throw new Error(`${this.label} daemon exited before it was ready\n${this.logTail()}`);
      }
      try {
        const res = await getOnce(this.socketPath, "/v1/system-info", 2_000);
        if (res.status === 200) {
          this.readyMs = performance.now() - spawnedAt;
          this.pid = findDaemonPid(this.#child.pid, this.socketPath);
          return this.readyMs;
        }
        lastError = `status ${res.status}`;
      } catch (e) {
        lastError = e instanceof Error ? e.message : String(e);
      }
      await sleep(POLL_INTERVAL_MS);
    }
    throw new Error(
      `${this.label} daemon not ready after ${READY_DEADLINE_MS} ms (${lastError})\n${this.logTail()}`,
    );
  }

  /** The last lines of the daemon's output, for error messages. */
  logTail(lines = 15): string {
    try {
      const text = Deno.readTextFileSync(this.logPath).trimEnd().split("\n");
      return text.slice(-lines).map((l) => `  | ${l}`).join("\n");
    } catch {
      return "  | (no output)";
    }
  }

  /** SIGTERM, wait, SIGKILL after a deadline; also reaps a daemon behind a wrapper. */
  async stop(): Promise<void> {
    const pids = this.pid === this.#child.pid ? [] : [this.pid];
    const signal = (sig: Deno.Signal) => {
      if (!this.#exited) {
        try {
          this.#child.kill(sig);
        } catch {
          // already gone
        }
      }
      for (const pid of pids) {
        if (processExists(pid)) {
          try {
            Deno.kill(pid, sig);
          } catch {
            // already gone
          }
        }
      }
    };
    const gone = async () => {
      await this.#status;
      while (pids.some(processExists)) await sleep(10);
    };
    signal("SIGTERM");
    if (!(await settlesWithin(gone(), STOP_DEADLINE_MS))) {
      console.error(`${this.label} daemon ignored SIGTERM for ${STOP_DEADLINE_MS} ms; killing it`);
      signal("SIGKILL");
      await settlesWithin(gone(), STOP_DEADLINE_MS);
    }
    liveDaemons.delete(this);
  }
}

/** One side of the comparison: a command line that behaves like `pebble`. */
export class BenchTarget {
  #root: string | undefined;
  #starts = 0;
  #shared: Daemon | undefined;

  /**
   * @param label "ours" or "peer"
   * @param command the program and leading arguments; `run`, `version`, `plan` are appended
   */
  constructor(readonly label: string, readonly command: readonly string[]) {}

  async #tempRoot(): Promise<string> {
    if (!this.#root) {
      this.#root = await Deno.makeTempDir({ prefix: `pebble-bench-${this.label}-` });
      tempDirs.add(this.#root);
    }
    return this.#root;
  }

  /**
   * Starts `command run --create-dirs` on a fresh `$PEBBLE` holding the sample layer and
   * waits until it answers `GET /v1/system-info`. The daemon's output goes to a file
   * (through `exec`, so the spawned PID is the daemon's). `prepare` may write into the
   * directory first (for example a state file to start from).
   */
  async startDaemon(prepare?: (pebbleDir: string) => Promise<void>): Promise<Daemon> {
    const root = await this.#tempRoot();
    const n = ++this.#starts;
    const pebbleDir = `${root}/pebble-${n}`;
    await Deno.mkdir(`${pebbleDir}/layers`, { recursive: true });
    await Deno.writeTextFile(`${pebbleDir}/layers/001-base.yaml`, SAMPLE_LAYER);
    if (prepare) await prepare(pebbleDir);
    const socketPath = `${root}/${n}.sock`;
    const logPath = `${root}/daemon-${n}.log`;
    const command = new Deno.Command("/bin/sh", {
      args: [
        "-c",
        'log=$1; shift; exec "$@" >"$log" 2>&1',
        "sh",
        logPath,
        ...this.command,
        "run",
        "--create-dirs",
      ],
      env: { PEBBLE: pebbleDir, PEBBLE_SOCKET: socketPath },
      stdin: "null",
      stdout: "null",
      stderr: "null",
    });
    const spawnedAt = performance.now();
    const daemon = new Daemon(this.label, pebbleDir, socketPath, logPath, command.spawn());
    try {
      await daemon.waitReady(spawnedAt);
    } catch (e) {
      await daemon.stop();
      throw e;
    }
    return daemon;
  }

  /** A daemon kept running across workloads (started on first use, stopped by {@linkcode close}). */
  async sharedDaemon(): Promise<Daemon> {
    this.#shared ??= await this.startDaemon();
    return this.#shared;
  }

  /**
   * Runs `command ...args` against `daemon` and returns its wall time in milliseconds.
   * Throws with its output if it exits non-zero.
   */
  async cliWallMs(args: string[], daemon: Daemon): Promise<number> {
    const [program, ...rest] = this.command;
    const t0 = performance.now();
    const child = new Deno.Command(program, {
      args: [...rest, ...args],
      env: daemon.env,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    liveChildren.add(child);
    try {
      const out = await child.output();
      const ms = performance.now() - t0;
      if (!out.success) {
        const text = new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout);
        throw new Error(`${this.label}: \`${args.join(" ")}\` exited ${out.code}: ${text.trim()}`);
      }
      return ms;
    } finally {
      liveChildren.delete(child);
    }
  }

  #onClose: (() => Promise<void>)[] = [];

  /** Runs `fn` when the target is closed (for daemons a workload keeps across rounds). */
  onClose(fn: () => Promise<void>): void {
    this.#onClose.push(fn);
  }

  /** Stops the shared daemon (and what {@linkcode onClose} registered), removes the temp directory. */
  async close(): Promise<void> {
    for (const fn of this.#onClose.splice(0)) await fn();
    await this.#shared?.stop();
    this.#shared = undefined;
    if (this.#root) {
      await Deno.remove(this.#root, { recursive: true }).catch(() => {});
      tempDirs.delete(this.#root);
      this.#root = undefined;
    }
  }
}

/** Stops every daemon and CLI process still running and removes every temp directory. */
export function cleanupAll(): Promise<void> {
  cleanup ??= cleanupOnce();
  return cleanup;
}

let cleanup: Promise<void> | undefined;

async function cleanupOnce(): Promise<void> {
  for (const child of liveChildren) {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }
  await Promise.all([...liveDaemons].map((d) => d.stop().catch(() => {})));
  for (const dir of tempDirs) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
  tempDirs.clear();
}
