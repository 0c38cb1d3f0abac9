/**
 * The registry of benchmark workloads. To add one, append a {@linkcode Workload} to
 * {@linkcode WORKLOADS}: a name (for `--only`), the metrics it reports (each a table row),
 * and `run`, which measures one target and returns a value per metric key.
 *
 * @module
 */

import { type LoadClientKind, runLoad } from "./_bench_http.ts";
import { atLeastPeer, below, type Goal } from "./_bench_goals.ts";
import { type BenchTarget, cpuSeconds, rssBytes, sleep } from "./_bench_target.ts";
import { NOTICE_WORKLOADS } from "./_bench_notices.ts";
import { FILE_WORKLOADS } from "./_bench_files.ts";
import { CHECK_WORKLOADS } from "./_bench_checks.ts";
import { EXEC_WORKLOADS } from "./_bench_exec.ts";
import { SERVICE_WORKLOADS } from "./_bench_services.ts";
import { IDENTITY_WORKLOADS } from "./_bench_identities.ts";

export { atLeastPeer, below, belowPeer, type Goal } from "./_bench_goals.ts";

/** Which direction of a metric is an improvement. */
export type Better = "lower" | "higher";

/** One row of the table. */
export interface Metric {
  /** Key in the record that `run` returns. */
  key: string;
  /** Row label after the workload name, e.g. "req/s" (empty for single-metric workloads). */
  label: string;
  unit: string;
  better: Better;
  goal?: Goal;
}

/** Settings shared by all workloads for one harness run. */
export interface RunSettings {
  quick: boolean;
  /** Rounds of an interleaved workload per target (the median is reported). */
  rounds: number;
  /** Measured window of each load workload, per round. */
  loadDurationMs: number;
  /** Unmeasured warm-up before each load window. */
  loadWarmupMs: number;
  /** Cap on measured requests per load workload. */
  loadMaxRequests: number;
  /** Samples per target for start-up and CLI timings, spread over the rounds. */
  repetitions: number;
  client: LoadClientKind;
  /** Notes collected while running (printed under the table). */
  notes: string[];
}

/** A measurement the harness can run against each target. */
export interface Workload {
  name: string;
  description: string;
  metrics: Metric[];
  /**
   * Run in `RunSettings.rounds` rounds, the targets taking turns, and report the median
   * per metric over the rounds, so that noise from the rest of the machine touches both
   * targets alike.
   */
  interleaved?: boolean;
  /** Measures one target: a value per metric key (other keys are printed as diagnostics). */
  run(target: BenchTarget, settings: RunSettings): Promise<Record<string, number>>;
  /**
   * Measures all targets at once instead of `run`, for workloads whose gap is smaller than
   * the machine's swings from one second to the next: the daemons are up together and the
   * work alternates between them in small batches. Returns one record per target, in the
   * order given; called once per round (with the order reversed every other round).
   */
  runSideBySide?(
    targets: BenchTarget[],
    settings: RunSettings,
  ): Promise<Record<string, number>[]>;
}

const MIB = 1024 * 1024;

/** Median of a non-empty list. */
export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** A workload that loads `GET path` with `concurrency` keep-alive clients. */
function apiLoad(name: string, path: string, concurrency: number): Workload {
  return {
    name,
    description: `GET ${path} with ${concurrency} concurrent keep-alive client(s)`,
    interleaved: true,
    metrics: [
      { key: "rps", label: "req/s", unit: "req/s", better: "higher", goal: atLeastPeer },
      { key: "p50", label: "p50", unit: "µs", better: "lower" },
      { key: "p99", label: "p99", unit: "µs", better: "lower" },
      { key: "cpu", label: "daemon CPU/req", unit: "µs", better: "lower" },
    ],
    async run(target, s) {
      const daemon = await target.sharedDaemon();
      const r = await runLoad({
        socketPath: daemon.socketPath,
        path,
        concurrency,
        durationMs: s.loadDurationMs,
        warmupMs: s.loadWarmupMs,
        maxRequests: s.loadMaxRequests,
        client: s.client,
        probe: () => cpuSeconds(daemon.pid),
      });
      if (r.generatorCores > 0.9) {
        s.notes.push(
          `${name} (${target.label}): the load generator used ${
            (r.generatorCores * 100).toFixed(0)
          } % of a core; it may be the bottleneck`,
        );
      }
      return {
        rps: r.requestsPerSecond,
        p50: r.p50Ms * 1000,
        p99: r.p99Ms * 1000,
        cpu: (r.probeDelta * 1e6) / r.requests,
        generator_cores: r.generatorCores,
        requests: r.requests,
      };
    },
  };
}

/** Samples per round so that all rounds together take about `total` samples. */
function perRound(total: number, s: RunSettings): number {
  return Math.max(1, Math.ceil(total / s.rounds));
}

/** Runs `warmUp` on the first round for `target`, not on later ones. */
async function oncePerTarget(
  seen: WeakSet<BenchTarget>,
  target: BenchTarget,
  warmUp: () => Promise<unknown>,
): Promise<void> {
  if (seen.has(target)) return;
  seen.add(target);
  await warmUp();
}

/** A workload that times `command ...args` against a running daemon. */
function cliWall(name: string, args: string[]): Workload {
  const warm = new WeakSet<BenchTarget>();
  return {
    name,
    description: `wall time of \`pebble ${args.join(" ")}\` (a new process each time), median`,
    metrics: [{ key: "ms", label: "", unit: "ms", better: "lower" }],
    interleaved: true,
    async run(target, s) {
      const daemon = await target.sharedDaemon();
      // Warm-up: the disk cache and, for Deno, the module cache.
      await oncePerTarget(warm, target, () => target.cliWallMs(args, daemon));
      const times: number[] = [];
      for (let i = 0; i < perRound(s.repetitions * 2, s); i++) {
        times.push(await target.cliWallMs(args, daemon));
      }
      return { ms: median(times) };
    },
  };
}

const warmStarts = new WeakSet<BenchTarget>();

/** Every workload, in the order they run and print. */
export const WORKLOADS: Workload[] = [
  {
    name: "ready",
    description: "spawn `run` to first 200 from GET /v1/system-info, fresh $PEBBLE, median",
    metrics: [{ key: "ms", label: "", unit: "ms", better: "lower", goal: below(150, "ms") }],
    interleaved: true,
    async run(target, s) {
      // Warm-up, not counted: the disk cache and, for Deno, the module cache.
      await oncePerTarget(warmStarts, target, async () => (await target.startDaemon()).stop());
      const times: number[] = [];
      for (let i = 0; i < perRound(s.repetitions, s); i++) {
        const daemon = await target.startDaemon();
        times.push(daemon.readyMs);
        await daemon.stop();
      }
      return { ms: median(times) };
    },
  },
  {
    name: "idle_rss",
    description: "VmRSS of the daemon process 5 s after it is ready",
    metrics: [{ key: "mib", label: "", unit: "MiB", better: "lower", goal: below(60, "MiB") }],
    async run(target) {
      const daemon = await target.startDaemon();
      try {
        await sleep(5_000);
        return { mib: rssBytes(daemon.pid) / MIB };
      } finally {
        await daemon.stop();
      }
    },
  },
  apiLoad("system_info_c1", "/v1/system-info", 1),
  apiLoad("system_info_c16", "/v1/system-info", 16),
  apiLoad("plan_yaml_c1", "/v1/plan?format=yaml", 1),
  apiLoad("plan_yaml_c16", "/v1/plan?format=yaml", 16),
  cliWall("cli_version", ["version"]),
  cliWall("cli_plan", ["plan"]),
  ...NOTICE_WORKLOADS,
  ...FILE_WORKLOADS,
  ...CHECK_WORKLOADS,
  ...EXEC_WORKLOADS,
  ...SERVICE_WORKLOADS,
  ...IDENTITY_WORKLOADS,
];
