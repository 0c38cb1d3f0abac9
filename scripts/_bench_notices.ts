/**
 * Benchmark workloads for notices: `POST /v1/notices` throughput, the delay from a
 * notify to a waiting long-poll returning, and `GET /v1/notices` latency with 100 000
 * stored notices (seeded into the state file before the daemon starts, in each
 * implementation's own format).
 *
 * @module
 */

import { RawConnection } from "./_bench_http.ts";
import { type BenchTarget, type Daemon } from "./_bench_target.ts";
import { below, median, type RunSettings, type Workload } from "./_bench_workloads.ts";
import { State } from "../server/state/state.ts";
import { JournalStore } from "../server/state/journal.ts";
import { formatMicros } from "../server/state/notices.ts";

const encoder = new TextEncoder();

function postNotice(key: string): Uint8Array {
  const body = JSON.stringify({ action: "add", type: "custom", key, data: { n: "1" } });
  return encoder.encode(
    `POST /v1/notices HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${encoder.encode(body).length}\r\n\r\n${body}`,
  );
}

function get(path: string): Uint8Array {
  return encoder.encode(`GET ${path} HTTP/1.1\r\nHost: localhost\r\n\r\n`);
}

async function send(conn: RawConnection, req: Uint8Array, what: string): Promise<Uint8Array> {
  const res = await conn.send(req);
  if (res.status !== 200) {
    throw new Error(`${what}: ${res.status} ${new TextDecoder().decode(res.body.slice(0, 200))}`);
  }
  return res.body;
}

/** `POST /v1/notices` from `concurrency` keep-alive clients (each repeats its own key). */
function notifyLoad(concurrency: number): Workload {
  return {
    name: `notify_c${concurrency}`,
    description: `POST /v1/notices (add custom) with ${concurrency} keep-alive client(s)`,
    interleaved: true,
    metrics: [
      { key: "rps", label: "req/s", unit: "req/s", better: "higher" },
      { key: "p50", label: "p50", unit: "µs", better: "lower" },
    ],
    async run(target, s) {
      const daemon = await target.sharedDaemon();
      const conns = await Promise.all(
        Array.from({ length: concurrency }, () => RawConnection.open(daemon.socketPath)),
      );
      try {
        const reqs = conns.map((_, i) => postNotice(`bench.example.com/w${i}`));
        const warm = performance.now() + s.loadWarmupMs;
        await Promise.all(conns.map(async (c, i) => {
          while (performance.now() < warm) await send(c, reqs[i], "notify");
        }));
        const latencies: number[] = [];
        const start = performance.now();
        const end = start + s.loadDurationMs;
        await Promise.all(conns.map(async (c, i) => {
          while (performance.now() < end && latencies.length < s.loadMaxRequests) {
            const t0 = performance.now();
            await send(c, reqs[i], "notify");
            latencies.push(performance.now() - t0);
          }
        }));
        const elapsed = performance.now() - start;
        return { rps: latencies.length / (elapsed / 1000), p50: median(latencies) * 1000 };
      } finally {
        conns.forEach((c) => c.close());
      }
    },
  };
}

let wakeRound = 0;

/** The delay from sending a notify to a long-poll waiting for it returning. */
const notifyWake: Workload = {
  name: "notify_wake",
  description: "send POST /v1/notices -> a waiting GET /v1/notices?timeout= returns, median",
  interleaved: true,
  metrics: [{ key: "ms", label: "", unit: "ms", better: "lower" }],
  async run(target, s) {
    const daemon = await target.sharedDaemon();
    const poller = await RawConnection.open(daemon.socketPath);
    const notifier = await RawConnection.open(daemon.socketPath);
    try {
      const times: number[] = [];
      const samples = Math.max(5, Math.ceil((s.quick ? 10 : 40) / s.rounds));
      for (let i = 0; i < samples; i++) {
        const key = `bench.example.com/wake-${++wakeRound}`;
        const polling = send(poller, get(`/v1/notices?keys=${key}&timeout=10s`), "long-poll");
        // Let the poll reach the daemon and start waiting (the delay is not measured).
        await new Promise((r) => setTimeout(r, 20));
        const t0 = performance.now();
        await Promise.all([polling, send(notifier, postNotice(key), "notify")]);
        const body = await polling;
        times.push(performance.now() - t0);
        if (!new TextDecoder().decode(body).includes(key)) throw new Error("long-poll: no notice");
      }
      return { ms: median(times) };
    } finally {
      poller.close();
      notifier.close();
    }
  },
};

const STORED = 100_000;
const T0_US = (Date.now() - 3600_000) * 1000;

/** Writes 100 000 custom notices, one per key, into ours' state (journal) file. */
async function seedOurs(dir: string): Promise<void> {
  const state = new State(new JournalStore(`${dir}/.pebble.state`));
  await state.load();
  for (let i = 0; i < STORED; i++) {
    state.addNotice(i % 2 ? 0 : 1000, "custom", `bench.example.com/k${i}`, {
      time: T0_US + i * 10,
      data: { i: String(i) },
    });
  }
  await state.close();
}

/** Writes the same notices into Pebble's JSON state file. */
async function seedPebble(dir: string): Promise<void> {
  const notices = [];
  for (let i = 0; i < STORED; i++) {
    const t = formatMicros(T0_US + i * 10);
    notices.push({
      id: String(i + 1),
      "user-id": i % 2 ? 0 : 1000,
      type: "custom",
      key: `bench.example.com/k${i}`,
      "first-occurred": t,
      "last-occurred": t,
      "last-repeated": t,
      occurrences: 1,
      "last-data": { i: String(i) },
      "expire-after": "168h0m0s",
    });
  }
  const state = {
    data: { "patch-level": 2, "patch-sublevel": 0 },
    changes: {},
    tasks: {},
    notices,
    "last-change-id": 0,
    "last-task-id": 0,
    "last-lane-id": 0,
    "last-notice-id": STORED,
  };
  await Deno.writeTextFile(`${dir}/.pebble.state`, JSON.stringify(state));
}

const seeded = new WeakMap<BenchTarget, Daemon>();

/** `GET /v1/notices` latency (median) with 100 000 stored notices. */
const noticesStored: Workload = {
  name: "notices_100k",
  description:
    "GET /v1/notices with 100 000 stored notices (half root's, half another user's), median",
  interleaved: true,
  metrics: [
    { key: "key", label: "keys=one", unit: "ms", better: "lower", goal: below(50, "ms") },
    { key: "after", label: "after=newest", unit: "ms", better: "lower", goal: below(50, "ms") },
    { key: "types", label: "types=warning", unit: "ms", better: "lower", goal: below(50, "ms") },
    { key: "all", label: "unfiltered (50k)", unit: "ms", better: "lower" },
  ],
  async run(target, s: RunSettings) {
    let daemon = seeded.get(target);
    if (!daemon) {
      daemon = await target.startDaemon(target.label === "ours" ? seedOurs : seedPebble);
      seeded.set(target, daemon);
      target.onClose(() => daemon!.stop());
    }
    const conn = await RawConnection.open(daemon.socketPath);
    try {
      const newest = encodeURIComponent(formatMicros(T0_US + (STORED - 1) * 10));
      const paths: Record<string, string> = {
        key: `/v1/notices?keys=bench.example.com/k${STORED - 1}`,
        after: `/v1/notices?after=${newest}`,
        types: "/v1/notices?types=warning",
        all: "/v1/notices",
      };
      const out: Record<string, number> = {};
      for (const [name, path] of Object.entries(paths)) {
        const times: number[] = [];
        const n = name === "all" ? (s.quick ? 2 : 3) : (s.quick ? 5 : 10);
        for (let i = 0; i < n; i++) {
          const t0 = performance.now();
          const body = await send(conn, get(path), path);
          times.push(performance.now() - t0);
          if (name === "key" && !new TextDecoder().decode(body).includes(`k${STORED - 1}"`)) {
            throw new Error(`${target.label}: the seeded notices are missing`);
          }
        }
        out[name] = median(times);
      }
      return out;
    } finally {
      conn.close();
    }
  },
};

/** The notice workloads, in the order they run. */
export const NOTICE_WORKLOADS: Workload[] = [
  notifyLoad(1),
  notifyLoad(16),
  notifyWake,
  noticesStored,
];
