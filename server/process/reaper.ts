/**
 * Reaping orphans, for a daemon that runs as PID 1 or as a child subreaper.
 *
 * When a service forks and its child outlives it (a daemonising script, a shell's
 * background job), the kernel re-parents the orphan to the nearest subreaper, or to PID
 * 1. In a container that is us. Nobody else will ever `wait` for such a process, so once
 * it exits it stays a zombie forever unless we reap it.
 *
 * The catch: Deno (through tokio) waits for the children it spawned itself with
 * `waitpid(pid)` on exactly those PIDs. A classic init loop of `waitpid(-1, WNOHANG)`
 * would steal their exit statuses, and the service manager would never learn how its
 * services ended. So this reaper never waits for "any child":
 *
 * 1. `prctl(PR_SET_CHILD_SUBREAPER, 1)` makes orphans of our descendants come to us even
 *    when we are not PID 1 (tests, a daemon under another init).
 * 2. On SIGCHLD (debounced), it lists our children (`/proc/self/task/<tid>/children`,
 *    or a scan of `/proc/<pid>/stat` for our PID as parent where that file is missing)
 *    and picks those in state `Z` (zombie).
 * 3. It skips every PID that `spawnProcess` started (or that was registered with
 *    `trackChild`): Deno collects those. PIDs are recorded synchronously when spawned,
 *    before any SIGCHLD for them can be handled, so there is no window.
 * 4. Any other zombie must also have been a zombie for at least `graceMs` (default one
 *    second) before it is reaped. Our own children are collected by Deno within
 *    milliseconds, so a zombie that lingers belongs to nobody: a re-parented orphan, or
 *    a child of a library that does not wait for its children.
 * 5. It calls `waitpid(pid, WNOHANG)` on exactly those PIDs; nothing else.
 *
 * The cost is a few small `/proc` reads per burst of SIGCHLDs.
 *
 * @module
 */

import { libcProcess, PR_SET_CHILD_SUBREAPER, WNOHANG } from "./_libc.ts";
import { isOwnChild } from "./spawn.ts";

/** Options of `startReaper`. */
export interface ReaperOptions {
  /** How long an unknown zombie must linger before it is reaped (ms). Default 1000. */
  graceMs?: number;
  /** Called with each reaped PID (for logging and tests). */
  onReap?: (pid: number) => void;
}

/** A running reaper; `stop()` undoes `startReaper`. */
export interface Reaper {
  /** Scans and reaps now (what SIGCHLD triggers). */
  scan(): void;
  stop(): void;
}

function childrenOf(self: number): number[] {
  const out: number[] = [];
  try {
    for (const t of Deno.readDirSync(`/proc/${self}/task`)) {
      const text = Deno.readTextFileSync(`/proc/${self}/task/${t.name}/children`);
      for (const p of text.split(" ")) if (p.trim() !== "") out.push(Number(p));
    }
    return out;
  } catch {
    // No children files (CONFIG_PROC_CHILDREN off): scan every process.
  }
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    const stat = readStat(Number(e.name));
    if (stat && stat.ppid === self) out.push(Number(e.name));
  }
  return out;
}

function readStat(pid: number): { state: string; ppid: number } | null {
  try {
    const text = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const rest = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { state: rest[0], ppid: Number(rest[1]) };
  } catch {
    return null;
  }
}

/**
 * Becomes a child subreaper and reaps orphaned zombies as described in the module
 * doc. Returns null where the libc calls are unavailable (not Linux).
 */
export function startReaper(opts: ReaperOptions = {}): Reaper | null {
  const libc = libcProcess();
  if (!libc) return null;
  const graceMs = opts.graceMs ?? 1000;
  libc.symbols.prctl(PR_SET_CHILD_SUBREAPER, 1n, 0n, 0n, 0n);
  const self = Deno.pid;
  const firstSeen = new Map<number, number>();
  const status = new Uint8Array(4);
  let pending: ReturnType<typeof setTimeout> | undefined;
  let recheck: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;

  const scan = () => {
    if (stopped) return;
    const now = performance.now();
    const zombies = new Set<number>();
    let waitMore = Infinity;
    for (const pid of childrenOf(self)) {
      if (isOwnChild(pid)) continue;
      const st = readStat(pid);
      if (!st || st.state !== "Z" || st.ppid !== self) continue;
      zombies.add(pid);
      const seen = firstSeen.get(pid);
      if (seen === undefined) {
        firstSeen.set(pid, now);
        waitMore = Math.min(waitMore, graceMs);
      } else if (now - seen >= graceMs) {
        if (libc.symbols.waitpid(pid, status, WNOHANG) === pid) opts.onReap?.(pid);
        zombies.delete(pid);
      } else {
        waitMore = Math.min(waitMore, graceMs - (now - seen));
      }
    }
    for (const pid of firstSeen.keys()) if (!zombies.has(pid)) firstSeen.delete(pid);
    if (waitMore !== Infinity && recheck === undefined) {
      recheck = setTimeout(() => {
        recheck = undefined;
        scan();
      }, waitMore + 5);
      Deno.unrefTimer(recheck as unknown as number);
    }
  };

  const onChild = () => {
    if (pending !== undefined) return;
    pending = setTimeout(() => {
      pending = undefined;
      scan();
    }, 20);
    Deno.unrefTimer(pending as unknown as number);
  };
  Deno.addSignalListener("SIGCHLD", onChild);
  scan();

  return {
    scan,
    stop() {
      if (stopped) return;
      stopped = true;
      Deno.removeSignalListener("SIGCHLD", onChild);
      clearTimeout(pending);
      clearTimeout(recheck);
      libc.symbols.prctl(PR_SET_CHILD_SUBREAPER, 0n, 0n, 0n, 0n);
    },
  };
}
