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
