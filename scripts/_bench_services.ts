/**
 * Benchmark workloads for services: `POST start` to active for a trivial service (the
 * okay delay dominates), 1000 services started by `replan` and stopped by `stop` with the
 * daemon's RSS while they run, and log throughput (daemon CPU per MB of service output).
 *
 * @module
 */

import { Client } from "../client/client.ts";
import { type BenchTarget, cpuSeconds, rssBytes, sleep } from "./_bench_target.ts";
import type { Workload } from "./_bench_workloads.ts";
import { below, belowPeer } from "./_bench_goals.ts";

const MIB = 1024 * 1024;

async function withDaemon<T>(
  target: BenchTarget,
  layer: string,
  fn: (client: Client, pid: number) => Promise<T>,
): Promise<T> {
  const daemon = await target.startDaemon(async (dir) => {
    await Deno.writeTextFile(`${dir}/layers/002-services.yaml`, layer);
  });
  const client = new Client({ socketPath: daemon.socketPath, timeout: 60 });
  try {
    return await fn(client, daemon.pid);
  } finally {
    client.close();
    await daemon.stop();
  }
}

const serviceStart: Workload = {
  name: "service_start",
  description: "POST start of a trivial service to its change done (okay delay 1 s), median",
  interleaved: true,
  metrics: [{ key: "ms", label: "", unit: "ms", better: "lower", goal: below(1100, "ms") }],
  async run(target, s) {
    const layer = "services:\n  trivial:\n    override: replace\n    command: sleep 100000\n";
    return await withDaemon(target, layer, async (client) => {
      const times: number[] = [];
      for (let i = 0; i < (s.quick ? 1 : 2); i++) {
        const t = performance.now();
        await client.startServices(["trivial"], { timeout: 30 });
        times.push(performance.now() - t);
        await client.stopServices(["trivial"], { timeout: 30 });
      }
      times.sort((a, b) => a - b);
      return { ms: times[times.length >> 1] };
    });
  },
};

const many: Workload = {
  name: "services_1000",
  description: "1000 services: replan starting them all, stop of all, daemon RSS while running",
  metrics: [
    { key: "replan", label: "replan", unit: "ms", better: "lower", goal: belowPeer },
    { key: "stop", label: "stop", unit: "ms", better: "lower", goal: belowPeer },
    { key: "rss", label: "RSS running", unit: "MiB", better: "lower" },
  ],
  async run(target, s) {
    const n = s.quick ? 300 : 1000;
    const names = Array.from({ length: n }, (_, i) => `svc${i}`);
    const layer = "services:\n" +
      names.map((name) => `  ${name}:\n    override: replace\n    command: sleep 100000\n`)
        .join("");
    return await withDaemon(target, layer, async (client, pid) => {
      const enable = "services:\n" +
        names.map((name) => `  ${name}:\n    override: merge\n    startup: enabled\n`).join("");
      await client.addLayer("enable", enable, { combine: true });
      let t = performance.now();
      await client.replanServices({ timeout: 120 });
      const replan = performance.now() - t;
      const running = (await client.getServices()).filter((x) => x.isRunning()).length;
      if (running !== n) throw new Error(`${target.label}: ${running} of ${n} running`);
      await sleep(500);
      const rss = rssBytes(pid) / MIB;
      t = performance.now();
      await client.stopServices(names, { timeout: 120 });
      const stop = performance.now() - t;
      return { replan, stop, rss };
    });
  },
};

const logThroughput: Workload = {
  name: "log_throughput",
  description: "a service printing 99-char lines as fast as it can: daemon CPU per MB, MB/s",
  interleaved: true,
  metrics: [
    { key: "cpu", label: "daemon CPU/MB", unit: "ms", better: "lower", goal: belowPeer },
    { key: "mbps", label: "MB/s", unit: "MB/s", better: "higher" },
  ],
  async run(target, s) {
    const mb = s.quick ? 50 : 200;
    const layer = `services:\n  loud:\n    override: replace\n    command: sh -c 'head -c ${
      mb * 1_000_000
    } /dev/zero | tr "\\\\0" x | fold -w 99; echo; echo END; exec sleep 100000'\n`;
    return await withDaemon(target, layer, async (client, pid) => {
      const cpu0 = cpuSeconds(pid);
      const t0 = performance.now();
      await client.startServices(["loud"], { timeout: 0 });
      for (;;) {
        const last = await client.getLogs({ services: ["loud"], n: 1 });
        if (last.length === 1 && last[0].message === "END") break;
        await sleep(100);
      }
      const secs = (performance.now() - t0) / 1000;
      const cpu = cpuSeconds(pid) - cpu0;
      return { cpu: (cpu * 1000) / mb, mbps: mb / secs };
    });
  },
};

/** The services workloads, in the order they run. */
export const SERVICE_WORKLOADS: Workload[] = [serviceStart, many, logThroughput];
