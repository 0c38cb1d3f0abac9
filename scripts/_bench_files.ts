/**
 * Benchmark workloads for the files API: push and pull of one large file (1 GiB, or
 * 256 MiB with `--quick`) and of many small files (1000 × 4 KiB), through the typed
 * client against each target, with the daemon's RSS growth sampled during the large
 * transfers. Files live under the target's `$PEBBLE` directory: the large one is removed
 * after each round, the small ones when the target's directory goes.
 *
 * @module
 */

import { Client } from "../client/client.ts";
import { type BenchTarget, type Daemon, pattern, rssGrowth } from "./_bench_target.ts";
import type { RunSettings, Workload } from "./_bench_workloads.ts";
import { atLeastPeer, below } from "./_bench_goals.ts";

const MIB = 1024 * 1024;

async function drain(stream: ReadableStream<Uint8Array>): Promise<number> {
  let n = 0;
  for await (const c of stream) n += c.length;
  return n;
}

/** Whether the disk has taken one large write in this run (see `warmDisk`). */
let diskWarmed = false;

/**
 * Writes, fsyncs and removes `size` bytes next to the daemon's files, once per run and
 * outside any daemon: the first large write of a run is several times slower than the
 * following ones (the page cache and the file system settling), and it would otherwise
 * fall on whichever target goes first.
 */
async function warmDisk(dir: string, size: number): Promise<void> {
  if (diskWarmed) return;
  diskWarmed = true;
  const path = `${dir}/warm-up.bin`;
  using file = await Deno.open(path, { write: true, create: true });
  try {
    for await (const chunk of pattern(size)) {
      for (let off = 0; off < chunk.length;) off += await file.write(chunk.subarray(off));
    }
    await file.sync();
  } finally {
    await Deno.remove(path);
  }
}

const largeFile: Workload = {
  name: "files_large",
  interleaved: true,
  description:
    "push then pull one 1 GiB file (256 MiB with --quick) with the TS client, then with curl " +
    "(the daemon alone: curl costs little); daemon RSS growth during the TS client's transfers",
  metrics: [
    { key: "push", label: "push MiB/s", unit: "MiB/s", better: "higher", goal: atLeastPeer },
    { key: "pull", label: "pull MiB/s", unit: "MiB/s", better: "higher", goal: atLeastPeer },
    { key: "push_curl", label: "push (curl) MiB/s", unit: "MiB/s", better: "higher" },
    { key: "pull_curl", label: "pull (curl) MiB/s", unit: "MiB/s", better: "higher" },
    {
      key: "push_rss",
      label: "push RSS growth",
      unit: "MiB",
      better: "lower",
      goal: below(32, "MiB"),
    },
    {
      key: "pull_rss",
      label: "pull RSS growth",
      unit: "MiB",
      better: "lower",
      goal: below(32, "MiB"),
    },
  ],
  async run(target: BenchTarget, s) {
    const size = s.quick ? 256 * MIB : 1024 * MIB;
    const daemon = await target.startDaemon();
    const client = new Client({ socketPath: daemon.socketPath, timeout: 60 });
    const path = `${daemon.pebbleDir}/large.bin`;
    try {
      await warmDisk(daemon.pebbleDir, size);
      // Warm up both directions with a small file.
      await client.push(path, new Uint8Array(MIB));
      await drain(await client.pull(path, { encoding: null }));
      let t = performance.now();
      const pushRss = await rssGrowth(daemon.pid, () => client.push(path, pattern(size)));
      const pushS = (performance.now() - t) / 1000;
      t = performance.now();
      let got = 0;
      const pullRss = await rssGrowth(daemon.pid, async () => {
        got = await drain(await client.pull(path, { encoding: null }));
      });
      const pullS = (performance.now() - t) / 1000;
      if (got !== size) throw new Error(`pulled ${got} bytes, expected ${size}`);
      const viaCurl = await curlTransfers(daemon.socketPath, path, `${path}.curl`, size);
      return {
        push: size / MIB / pushS,
        pull: size / MIB / pullS,
        push_curl: viaCurl.push,
        pull_curl: viaCurl.pull,
        push_rss: pushRss / MIB,
        pull_rss: pullRss / MIB,
      };
    } finally {
      client.close();
      await Deno.remove(path).catch(() => {});
      await Deno.remove(`${path}.curl`).catch(() => {});
      await daemon.stop();
    }
  },
};

/**
 * Pushes `source` (a local file of `size` bytes) to `target` with curl's multipart upload,
 * then pulls `target` with curl into /dev/null; MiB/s of each, NaN without curl.
 */
async function curlTransfers(
  socket: string,
  source: string,
  target: string,
  size: number,
): Promise<{ push: number; pull: number }> {
  const request = await Deno.makeTempFile({ suffix: ".json" });
  const curl = async (args: string[]) => {
    const t = performance.now();
    const out = await new Deno.Command("curl", {
      args: ["-sS", "--unix-socket", socket, "-o", "/dev/null", "-w", "%{http_code}", ...args],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const code = new TextDecoder().decode(out.stdout);
    if (!out.success || code !== "200") {
      throw new Error(`curl ${args.at(-1)}: ${code} ${new TextDecoder().decode(out.stderr)}`);
    }
    return size / MIB / ((performance.now() - t) / 1000);
  };
  try {
    await Deno.writeTextFile(
      request,
      JSON.stringify({ action: "write", files: [{ path: target }] }),
    );
    const push = await curl([
      "-F",
      `request=<${request};type=application/json`,
      "-F",
      `files=@${source};filename=${target}`,
      "http://localhost/v1/files",
    ]);
    const pull = await curl([
      "-H",
      "Accept: multipart/form-data",
      `http://localhost/v1/files?action=read&path=${encodeURIComponent(target)}`,
    ]);
    return { push, pull };
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return { push: NaN, pull: NaN };
    throw e;
  } finally {
    await Deno.remove(request).catch(() => {});
  }
}

/** Small files pushed and pulled before the timed ones, in each round. */
const WARM_UP_FILES = 200;
/** Requests in a row to one target before the next target's turn. */
const SMALL_BATCH = 25;

/**
 * Pushes then pulls 1000 small files (200 with `--quick`) on every target, the targets taking turns every
 * {@linkcode SMALL_BATCH} requests (in alternating order), and returns each one's rates.
 * One target's batch costs about 40 ms: the machine's swings, which reach ±20 % from one
 * round of a few seconds to the next and exceed the gap being measured, then touch every
 * target alike.
 */
async function smallFilesSideBySide(
  targets: BenchTarget[],
  s: RunSettings,
): Promise<Record<string, number>[]> {
  const count = s.quick ? 200 : 1000;
  const sides: { daemon: Daemon; client: Client; dir: string }[] = [];
  const data = new Uint8Array(4096).fill(97);
  try {
    for (const target of targets) {
      const daemon = await target.startDaemon();
      const client = new Client({ socketPath: daemon.socketPath, timeout: 60 });
      sides.push({ daemon, client, dir: `${daemon.pebbleDir}/small` });
    }
    for (const { client, dir } of sides) {
      await client.makeDir(dir);
      // Warm up both sides' code paths (the client's as much as the daemon's: a first round
      // would otherwise time our client's JIT warming up against whichever target goes first).
      for (let i = 0; i < WARM_UP_FILES; i++) {
        await client.push(`${dir}/warm${i}`, data);
        await drain(await client.pull(`${dir}/warm${i}`, { encoding: null }));
      }
    }
    const turns = async (op: (side: typeof sides[number], i: number) => Promise<void>) => {
      const ms = sides.map(() => 0);
      for (let from = 0, batch = 0; from < count; from += SMALL_BATCH, batch++) {
        const to = Math.min(count, from + SMALL_BATCH);
        for (let k = 0; k < sides.length; k++) {
          const j = batch % 2 === 0 ? k : sides.length - 1 - k;
          const t = performance.now();
          for (let i = from; i < to; i++) await op(sides[j], i);
          ms[j] += performance.now() - t;
        }
      }
      return ms;
    };
    const pushMs = await turns(({ client, dir }, i) => client.push(`${dir}/f${i}`, data));
    const pullMs = await turns(async ({ client, dir }, i) => {
      const n = await drain(await client.pull(`${dir}/f${i}`, { encoding: null }));
      if (n !== data.length) throw new Error(`pulled ${n} bytes of f${i}`);
    });
    return sides.map((_, k) => ({
      push: count / (pushMs[k] / 1000),
      pull: count / (pullMs[k] / 1000),
    }));
  } finally {
    // The files stay until the target's directory goes, at the end of the run: on ext4,
    // creating a file skips over the inodes freed in the last minutes, one by one, so
    // deleting each round's thousand files would slow every later round's creates
    // (those of both targets) more and more.
    for (const { client, daemon } of sides) {
      client.close();
      await daemon.stop();
    }
  }
}

const smallFiles: Workload = {
  name: "files_small",
  interleaved: true,
  description: "push then pull 1000 files of 4 KiB, one request each, with the TS client; " +
    "the targets side by side, taking turns every 25 requests",
  metrics: [
    { key: "push", label: "push files/s", unit: "files/s", better: "higher", goal: atLeastPeer },
    { key: "pull", label: "pull files/s", unit: "files/s", better: "higher", goal: atLeastPeer },
  ],
  async run(target, s) {
    return (await smallFilesSideBySide([target], s))[0];
  },
  runSideBySide: smallFilesSideBySide,
};

/** The files workloads, in the order they run. */
export const FILE_WORKLOADS: Workload[] = [largeFile, smallFiles];
