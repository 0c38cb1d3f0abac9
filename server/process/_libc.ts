/**
 * The few libc calls Deno does not offer: `prctl(PR_SET_CHILD_SUBREAPER)` and
 * `waitpid(pid, WNOHANG)`. Opened lazily (about 3 ms, once) so that processes that
 * never need them do not pay for it. Linux only; null elsewhere.
 *
 * @module
 */

const symbols = {
  prctl: { parameters: ["i32", "u64", "u64", "u64", "u64"], result: "i32" },
  waitpid: { parameters: ["i32", "buffer", "i32"], result: "i32" },
} as const;

type Libc = Deno.DynamicLibrary<typeof symbols>;

let libc: Libc | null | undefined;

/** libc with `prctl` and `waitpid`, or null where it cannot be opened. */
export function libcProcess(): Libc | null {
  if (libc !== undefined) return libc;
  try {
    libc = Deno.dlopen("libc.so.6", symbols);
  } catch {
    libc = null;
  }
  return libc;
}

/** `PR_SET_CHILD_SUBREAPER` from `<linux/prctl.h>`. */
export const PR_SET_CHILD_SUBREAPER = 36;
/** `WNOHANG` from `<sys/wait.h>`. */
export const WNOHANG = 1;

const pipeSymbols = {
  open: { parameters: ["buffer", "i32"], result: "i32" },
  fcntl: { parameters: ["i32", "i32", "i32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
} as const;

let pipeLibc: Deno.DynamicLibrary<typeof pipeSymbols> | null | undefined;

/** libc with `open`, `fcntl` and `close` (for `growPipe`), or null; opened lazily. */
export function libcPipe(): Deno.DynamicLibrary<typeof pipeSymbols> | null {
  if (pipeLibc !== undefined) return pipeLibc;
  try {
    pipeLibc = Deno.dlopen("libc.so.6", pipeSymbols);
  } catch {
    pipeLibc = null;
  }
  return pipeLibc;
}

/** `O_RDONLY | O_NONBLOCK | O_CLOEXEC`. */
export const O_RDONLY_NONBLOCK_CLOEXEC = 0o4000 | 0o2000000;
/** `F_SETPIPE_SZ` from `<fcntl.h>`. */
export const F_SETPIPE_SZ = 1031;
