/**
 * Benchmark workload for health checks: 1000 checks at a 1 s period (200 exec `true`,
 * 400 HTTP GETs of a local server run by the harness, 400 TCP connects to a local
 * listener), from a layer in `$PEBBLE/layers`. Reports the daemon's CPU (cores) and RSS
 * over a measured window, and the scheduling lateness of the HTTP checks as the server
 * sees it: each check has its own path, and each arrival is compared with that check's
 * ideal fixed-period schedule (anchored at its earliest arrival), so the figure means
 * the same for any implementation.
 *
 * @module
 */

import { cpuSeconds, rssBytes, sleep } from "./_bench_target.ts";
import { below, type Workload } from "./_bench_workloads.ts";

const MIB = 1024 * 1024;
const EXEC = 200;
const HTTP = 400;
const TCP = 400;

/** The layer of the workload. */
export function checksLayer(httpPort: number, tcpPort: number): string {
  let out = "checks:\n";
  const head = (name: string) =>
    `  ${name}:\n    override: replace\n    period: 1s\n    timeout: 900ms\n    threshold: 3\n`;
  for (let i = 0; i < EXEC; i++) out += head(`exec-${i}`) + `    exec:\n      command: "true"\n`;
  for (let i = 0; i < HTTP; i++) {
    out += head(`http-${i}`) + `    http:\n      url: http://127.0.0.1:${httpPort}/c/${i}\n`;
  }
  for (let i = 0; i < TCP; i++) {
    out += head(`tcp-${i}`) + `    tcp:\n      port: ${tcpPort}\n      host: 127.0.0.1\n`;
  }
  return out;
}

/** p-th percentile (0..100) of a non-empty list. */
function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

/** Lateness (ms) of each arrival against its check's ideal 1 s schedule. */
function lateness(arrivals: Map<string, number[]>, periodMs: number): number[] {
  const out: number[] = [];
  for (const times of arrivals.values()) {
    if (times.length < 2) continue;
    const k = times.map((t) => Math.round((t - times[0]) / periodMs));
    const anchor = Math.min(...times.map((t, i) => t - k[i] * periodMs));
    for (let i = 0; i < times.length; i++) out.push(times[i] - k[i] * periodMs - anchor);
  }
  return out;
}

/** Workloads of this area. */
export const CHECK_WORKLOADS: Workload[] = [
  {
    name: "checks_1000",
    description:
      `${EXEC} exec + ${HTTP} http + ${TCP} tcp checks at a 1 s period: daemon CPU, RSS, ` +
      "lateness of HTTP check arrivals against a fixed 1 s schedule",
    metrics: [
      { key: "cores", label: "daemon CPU", unit: "cores", better: "lower" },
      { key: "rss", label: "RSS", unit: "MiB", better: "lower" },
      { key: "p50", label: "lateness p50", unit: "ms", better: "lower" },
      {
        key: "p99",
        label: "lateness p99",
        unit: "ms",
        better: "lower",
        goal: below(50, "ms"),
      },
    ],
    async run(target, s) {
      let recording = false;
      const arrivals = new Map<string, number[]>();
      const ok = new Response("ok");
      const http = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
        if (recording) {
          const path = req.url.slice(req.url.indexOf("/c/"));
          const list = arrivals.get(path);
          if (list) list.push(performance.now());
          else arrivals.set(path, [performance.now()]);
        }
        return ok.clone();
      });
      const tcp = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      const accepting = (async () => {
        for await (const conn of tcp) conn.close();
      })().catch(() => {});
      const layer = checksLayer(http.addr.port, (tcp.addr as Deno.NetAddr).port);
      const daemon = await target.startDaemon((dir) =>
        Deno.writeTextFile(`${dir}/layers/002-checks.yaml`, layer)
      );
      try {
        await sleep(s.quick ? 3_000 : 5_000);
        const windowMs = s.quick ? 5_000 : 15_000;
        const cpu0 = cpuSeconds(daemon.pid);
        const t0 = performance.now();
        recording = true;
        await sleep(windowMs);
        recording = false;
        const cores = (cpuSeconds(daemon.pid) - cpu0) / ((performance.now() - t0) / 1000);
        const late = lateness(arrivals, 1000);
        const runs = [...arrivals.values()].reduce((n, l) => n + l.length, 0);
        return {
          cores,
          rss: rssBytes(daemon.pid) / MIB,
          p50: late.length ? percentile(late, 50) : NaN,
          p99: late.length ? percentile(late, 99) : NaN,
          http_runs_per_s: runs / (windowMs / 1000),
          cpu_ms_per_check_run: (cores * 1000) / (EXEC + HTTP + TCP),
        };
      } finally {
        await daemon.stop();
        tcp.close();
        await accepting;
        await http.shutdown();
      }
    },
  },
];
