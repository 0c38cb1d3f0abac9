/**
 * Benchmark workloads for exec: the round trip of `exec true` (request to exit code, as a
 * client sees it: POST, three WebSockets, wait for the change) and `cat` of 1 GiB (256 MiB
 * with `--quick`) from stdin to stdout through the daemon, with its RSS growth sampled.
 *
 * @module
 */

import { Client } from "../client/client.ts";
import { type BenchTarget, pattern, rssGrowth } from "./_bench_target.ts";
import type { Workload } from "./_bench_workloads.ts";
import { atLeastPeer, below, belowPeer } from "./_bench_goals.ts";

const MIB = 1024 * 1024;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

const execTrue: Workload = {
  name: "exec_true",
  description: "`exec true` round trips with the TS client (request to exit code), sequential",
  interleaved: true,
  metrics: [
    { key: "p50", label: "p50", unit: "ms", better: "lower", goal: belowPeer },
    { key: "p99", label: "p99", unit: "ms", better: "lower", goal: belowPeer },
  ],
  async run(target: BenchTarget, s) {
    const count = s.quick ? 50 : 200;
    const daemon = await target.sharedDaemon();
    const client = new Client({ socketPath: daemon.socketPath, timeout: 30 });
    try {
      for (let i = 0; i < 5; i++) await (await client.exec(["true"])).wait();
      const times: number[] = [];
      for (let i = 0; i < count; i++) {
        const t = performance.now();
        await (await client.exec(["true"])).wait();
        times.push(performance.now() - t);
      }
      times.sort((a, b) => a - b);
      return { p50: percentile(times, 0.5), p99: percentile(times, 0.99) };
    } finally {
      client.close();
    }
  },
};

const execCat: Workload = {
  name: "exec_cat",
  description: "`cat` of 1 GiB (256 MiB with --quick) stdin to stdout through exec; daemon RSS",
  metrics: [
    { key: "rate", label: "MiB/s", unit: "MiB/s", better: "higher", goal: atLeastPeer },
    { key: "rss", label: "RSS growth", unit: "MiB", better: "lower", goal: below(32, "MiB") },
  ],
  async run(target: BenchTarget, s) {
    const size = s.quick ? 256 * MIB : 1024 * MIB;
    const daemon = await target.startDaemon();
    const client = new Client({ socketPath: daemon.socketPath, timeout: 60 });
    try {
      await (await client.exec(["cat"], { stdin: new Uint8Array(MIB), encoding: null }))
        .waitOutput();
      const t = performance.now();
      let got = 0;
      const rss = await rssGrowth(daemon.pid, async () => {
        const p = await client.exec(["cat"], { stdin: pattern(size), encoding: null });
        for await (const c of p.stdout!) got += c.length;
        await p.wait();
      });
      const secs = (performance.now() - t) / 1000;
      if (got !== size) throw new Error(`cat returned ${got} bytes, expected ${size}`);
      return { rate: size / MIB / secs, rss: rss / MIB };
    } finally {
      client.close();
      await daemon.stop();
    }
  },
};

/** The exec workloads, in the order they run. */
export const EXEC_WORKLOADS: Workload[] = [execTrue, execCat];
