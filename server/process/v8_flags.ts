/**
 * The V8 flags the daemon is meant to run with.
 *
 * V8 reads its heap limits when the isolate is created, so the daemon cannot change them
 * once it runs. They are given where the daemon is launched instead: `deno compile`
 * bakes them into the binary (scripts/compile.ts), `deno task start` and the benchmark
 * pass them to `deno run`. A plain `deno run -A main.ts run` runs with V8's defaults.
 *
 * Why: a busy daemon (1000 checks at a 1 s period, 200 of them spawning a process each)
 * makes about 20 MB/s of short-lived garbage. With V8's default young generation
 * (semi-spaces growing to 16 MiB and more) each scavenge copies everything alive since
 * the last one: 15–35 ms pauses that show as check lateness, and 100+ MiB of heap pages
 * kept committed. 4 MiB semi-spaces scavenge every few hundred ms in about 3 ms, at the
 * same CPU, and keep the RSS flat.
 *
 * The old generation is let grow by a fixed 20% over what survived the last full
 * collection (`--heap-growing-percent=20`) instead of V8's dynamic factor of up to 4×:
 * with 1000 checks that keeps the daemon at about 106 MiB instead of 133, at the same
 * CPU and lateness, and request throughput elsewhere is unchanged.
 *
 * Optimised code comes sooner: V8 waits for a function's inline caches to settle over 20
 * calls instead of 500 before it compiles it (`--minimum-invocations-after-ic-update=20`),
 * and sends it to Maglev after 50 calls instead of 400 (`--invocation-count-for-maglev=50`).
 * The daemon's request path runs a few thousand times before it is warm with V8's
 * defaults, so a fresh daemon pushing small files was 5–15 % behind one that had served
 * a while. With both flags (either alone measured as no gain): small pulls ~1.02× →
 * ~1.08× of Pebble, pushes ~1.01× → ~1.02×, `/v1/system-info` and `/v1/plan` 10–25 % more
 * requests a second, 1000 checks ~10 % less CPU, at ~1–2 MiB more RSS.
 *
 * @module
 */

/** The daemon's V8 flags, as one `--v8-flags=` argument. */
export const DAEMON_V8_FLAGS = "--v8-flags=--max-semi-space-size=4,--heap-growing-percent=20," +
  "--minimum-invocations-after-ic-update=20,--invocation-count-for-maglev=50";
