/**
 * Helpers for the services tests: process-table queries through /proc.
 *
 * @module
 */

import { waitFor } from "./_helpers.ts";

interface Stat {
  pid: number;
  state: string;
  ppid: number;
  pgrp: number;
}

function readStat(pid: number): Stat | null {
  try {
    const text = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const f = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { pid, state: f[0], ppid: Number(f[1]), pgrp: Number(f[2]) };
  } catch {
    return null;
  }
}

/** Every process's stat line, parsed. */
export function allProcesses(): Stat[] {
  const out: Stat[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    const s = readStat(Number(e.name));
    if (s) out.push(s);
  }
  return out;
}

/** Live (non-zombie) processes in process group `pgid`. */
export function liveInGroup(pgid: number): number[] {
  return allProcesses().filter((p) => p.pgrp === pgid && p.state !== "Z").map((p) => p.pid);
}

/** Zombie children of `pid`. */
export function zombieChildren(pid: number): number[] {
  return allProcesses().filter((p) => p.ppid === pid && p.state === "Z").map((p) => p.pid);
}

/** Whether `pid` is a live process. */
export function alive(pid: number): boolean {
  const s = readStat(pid);
  return s !== null && s.state !== "Z";
}

/** Resident memory of `pid` in KiB. */
export function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(Deno.readTextFileSync(`/proc/${pid}/status`));
  return m ? Number(m[1]) : 0;
}

/** Waits for a file holding a PID (written by a service with `echo $$ > file`). */
export async function readPid(path: string): Promise<number> {
  return await waitFor(async () => {
    const text = (await Deno.readTextFile(path).catch(() => "")).trim();
    return /^\d+$/.test(text) ? Number(text) : 0;
  }, `a PID in ${path}`);
}
