/**
 * Benchmarks our daemon and CLI, and optionally a Pebble-compatible peer binary with the
 * same workloads in the same run; the ratio ours/peer is the headline figure.
 *
 * ```sh
 * deno task bench                          # ours only
 * deno task bench --peer /path/to/pebble   # ours and the peer side by side
 * deno task bench --quick --only ready     # one workload, shorter runs
 * deno task bench --list                   # the workloads
 * ```
 *
 * Options: `--peer PATH`, `--quick`, `--only NAME` (repeatable or comma-separated; a name or
 * a prefix such as `system_info`), `--json FILE` (write the results), `--list`.
 * Hidden, for development: `--ours CMD` (a command line used instead of
 * `deno run -A main.ts`), `--client raw|node` (load generator, default raw).
 *
 * @module
 */

import { parseArgs } from "node:util";
import { DAEMON_V8_FLAGS } from "../server/process/v8_flags.ts";
import { fileURLToPath } from "node:url";
import type { LoadClientKind } from "./_bench_http.ts";
import { BenchTarget, cleanupAll } from "./_bench_target.ts";
import {
  median,
  type Metric,
  type RunSettings,
  type Workload,
  WORKLOADS,
} from "./_bench_workloads.ts";

const USAGE =
  `Usage: deno task bench [--peer PATH] [--quick] [--only NAME]... [--json FILE] [--list]

  --peer PATH   also run every workload against this Pebble-compatible binary
  --quick       shorter load windows and fewer repetitions
  --only NAME   run only the workloads named NAME or starting with NAME (repeatable, a,b)
  --json FILE   also write the results as JSON
  --list        list the workloads and exit`;

type Side = "ours" | "peer";

/** Set by SIGINT/SIGTERM: stop measuring; the signal handler cleans up and exits. */
let interrupted = false;

/** Thrown to unwind the run after an interrupt. */
class Interrupted extends Error {}

interface Row {
  workload: Workload;
  metric: Metric;
  ours?: number;
  peer?: number;
  errors: Partial<Record<Side, string>>;
}

/**
 * Runs one workload against every target and fills its rows. Interleaved workloads run in
 * several rounds, the targets taking turns in alternating order (or, side by side, all in
 * each round), and report the median per metric, so drift and noise on the machine touch
 * both sides alike. Returns false if any target failed.
 */
async function runWorkload(
  workload: Workload,
  rows: Row[],
  targets: BenchTarget[],
  settings: RunSettings,
): Promise<boolean> {
  const rounds = workload.interleaved ? settings.rounds : 1;
  const results = new Map<BenchTarget, Record<string, number>[]>(targets.map((t) => [t, []]));
  const failed = new Set<BenchTarget>();
  const report = (target: BenchTarget, result: Record<string, number>, tag: string, t0: number) => {
    results.get(target)!.push(result);
    const keys = new Set(workload.metrics.map((m) => m.key));
    const summary = workload.metrics.map((m) =>
      `${m.label || workload.name}=${formatValue(result[m.key], m.unit)}`
    );
    // Keys that are no metric are diagnostics: shown here, not in the table.
    for (const [k, v] of Object.entries(result)) {
      if (!keys.has(k)) summary.push(`${k}=${formatValue(v, "")}`);
    }
    const secs = ((performance.now() - t0) / 1000).toFixed(1);
    console.error(`  ${tag}: ${summary.join(" ")} (${secs} s)`);
  };
  const fail = (target: BenchTarget, tag: string, e: unknown) => {
    if (interrupted) throw new Interrupted();
    failed.add(target);
    const msg = e instanceof Error ? e.message : String(e);
    for (const r of rows) r.errors[target.label as Side] = msg;
    console.error(`  ${tag}: FAILED: ${msg}`);
  };
  for (let round = 0; round < rounds; round++) {
    const order = (round % 2 === 0 ? targets : [...targets].reverse()).filter((t) =>
      !failed.has(t)
    );
    const tagOf = (t: BenchTarget) =>
      `${workload.name} ${t.label}${rounds > 1 ? ` #${round + 1}` : ""}`;
    if (workload.runSideBySide) {
      if (interrupted) throw new Interrupted();
      if (order.length === 0) continue;
      const t0 = performance.now();
      try {
        const got = await workload.runSideBySide(order, settings);
        order.forEach((t, i) => report(t, got[i], tagOf(t), t0));
      } catch (e) {
        for (const t of order) fail(t, tagOf(t), e);
      }
      continue;
    }
    for (const target of order) {
      if (interrupted) throw new Interrupted();
      const t0 = performance.now();
      try {
        report(target, await workload.run(target, settings), tagOf(target), t0);
      } catch (e) {
        fail(target, tagOf(target), e);
      }
    }
  }
  for (const target of targets) {
    const runs = results.get(target)!;
    if (failed.has(target) || runs.length === 0) continue;
    for (const r of rows) r[target.label as Side] = median(runs.map((x) => x[r.metric.key]));
  }
  return failed.size === 0;
}

function parseOptions() {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      peer: { type: "string" },
      ours: { type: "string" },
      quick: { type: "boolean", default: false },
      only: { type: "string", multiple: true },
      json: { type: "string" },
      client: { type: "string", default: "raw" },
      list: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  return values;
}

function selectWorkloads(only: string[] | undefined): Workload[] {
  if (!only?.length) return WORKLOADS;
  const names = only.flatMap((o) => o.split(",")).map((o) => o.trim()).filter(Boolean);
  const chosen = WORKLOADS.filter((w) => names.some((n) => w.name === n || w.name.startsWith(n)));
  if (chosen.length === 0) {
    throw new Error(
      `no workload matches ${names.join(", ")}; known: ${WORKLOADS.map((w) => w.name).join(", ")}`,
    );
  }
  return chosen;
}

function defaultOursCommand(): string[] {
  const main = fileURLToPath(new URL("../main.ts", import.meta.url));
  try {
    Deno.statSync(main);
  } catch {
    throw new Error(`${main} not found; pass --ours "CMD" to benchmark another command`);
  }
  // The flags a compiled pebble has baked in (server/process/v8_flags.ts).
  return [Deno.execPath(), "run", "-A", DAEMON_V8_FLAGS, main];
}

function formatValue(value: number | undefined, unit: string): string {
  if (value === undefined) return "-";
  if (!Number.isFinite(value)) return "n/a";
  const digits = unit === "req/s" || value >= 1000 ? 0 : value >= 100 ? 1 : 2;
  return value.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

function goalCell(row: Row): string {
  const goal = row.metric.goal;
  if (!goal) return "";
  if (row.ours === undefined) return goal.text;
  const met = goal.met(row.ours, row.peer);
  return `${goal.text} ${met === undefined ? "?" : met ? "ok" : "MISSED"}`;
}

function renderTable(rows: Row[], hasPeer: boolean): string {
  const header = ["workload", "unit", "ours", "peer", "ours/peer", "better", "target"];
  const body = rows.map((r) => {
    const name = r.metric.label ? `${r.workload.name} ${r.metric.label}` : r.workload.name;
    const ratio = r.ours !== undefined && r.peer !== undefined && r.peer !== 0
      ? `${(r.ours / r.peer).toFixed(2)}x`
      : "-";
    return [
      name,
      r.metric.unit,
      r.errors.ours ? "error" : formatValue(r.ours, r.metric.unit),
      hasPeer ? (r.errors.peer ? "error" : formatValue(r.peer, r.metric.unit)) : "-",
      ratio,
      r.metric.better,
      goalCell(r),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const numeric = new Set([2, 3, 4]);
  const line = (cells: string[]) =>
    "| " +
    cells.map((c, i) => (numeric.has(i) ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join(
      " | ",
    ) +
    " |";
  const rule = "|" +
    widths.map((w, i) => (numeric.has(i) ? "-".repeat(w + 1) + ":" : "-".repeat(w + 2))).join("|") +
    "|";
  return [line(header), rule, ...body.map(line)].join("\n");
}

/** The 1-minute load average, from /proc/loadavg. */
function loadAverage(): number {
  try {
    return Number(Deno.readTextFileSync("/proc/loadavg").split(" ")[0]);
  } catch {
    return NaN;
  }
}

async function commandVersion(target: BenchTarget): Promise<string> {
  const [program, ...rest] = target.command;
  try {
    const out = await new Deno.Command(program, {
      args: [...rest, "version", "--client"],
      stdout: "piped",
      stderr: "piped",
    }).output();
    return new TextDecoder().decode(out.stdout).trim().split("\n")[0] || "?";
  } catch {
    return "?";
  }
}

async function main(): Promise<number> {
  const opts = parseOptions();
  if (opts.help) {
    console.log(USAGE);
    return 0;
  }
  if (opts.list) {
    for (const w of WORKLOADS) console.log(`${w.name.padEnd(18)} ${w.description}`);
    return 0;
  }
  if (opts.client !== "raw" && opts.client !== "node") {
    throw new Error(`--client must be raw or node, not ${opts.client}`);
  }
  const workloads = selectWorkloads(opts.only);
  const settings: RunSettings = {
    quick: opts.quick,
    // Request rates on a two-core machine swing by tens of percent from one second to the
    // next; the median of several short interleaved rounds is far steadier than one window.
    rounds: opts.quick ? 1 : 5,
    loadDurationMs: opts.quick ? 1_000 : 600,
    loadWarmupMs: 200,
    loadMaxRequests: 1_000_000,
    repetitions: opts.quick ? 3 : 10,
    client: opts.client as LoadClientKind,
    notes: [],
  };

  const targets = [
    new BenchTarget("ours", opts.ours ? opts.ours.trim().split(/\s+/) : defaultOursCommand()),
  ];
  if (opts.peer) targets.push(new BenchTarget("peer", [opts.peer]));

  for (const t of targets) {
    console.error(`${t.label}: ${t.command.join(" ")} (${await commandVersion(t)})`);
  }
  console.error(
    `load: ${settings.rounds} x ${settings.loadDurationMs} ms per target, ` +
      `each after ${settings.loadWarmupMs} ms warm-up, ` +
      `${settings.client} client; ${navigator.hardwareConcurrency} CPUs`,
  );

  const loadBefore = loadAverage();
  if (loadBefore > 0.5) {
    settings.notes.push(
      `the 1-minute load average was ${loadBefore.toFixed(2)} at start: other work on the ` +
        "machine makes the figures noisy (the interleaved medians absorb some of it)",
    );
  }

  const rows: Row[] = [];
  let failed = false;
  try {
    for (const workload of workloads) {
      const wRows = workload.metrics.map((metric): Row => ({ workload, metric, errors: {} }));
      rows.push(...wRows);
      if (!(await runWorkload(workload, wRows, targets, settings))) failed = true;
    }
  } finally {
    for (const t of targets) await t.close();
  }

  console.log();
  console.log(renderTable(rows, targets.length > 1));
  console.log();
  console.log(
    "ours/peer: below 1x is better where `better` is lower, above 1x where it is higher.",
  );
  console.log("Latencies are per request with every client waiting for its previous answer.");
  for (const note of settings.notes) console.log(`note: ${note}`);

  if (opts.json) {
    const json = rows.map((r) => ({
      workload: r.workload.name,
      metric: r.metric.key,
      unit: r.metric.unit,
      better: r.metric.better,
      ours: r.ours ?? null,
      peer: r.peer ?? null,
      goal: r.metric.goal?.text ?? null,
      errors: r.errors,
    }));
    await Deno.writeTextFile(opts.json, JSON.stringify(json, null, 2) + "\n");
  }
  return failed ? 1 : 0;
}

for (const sig of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(sig, () => {
    if (interrupted) return;
    interrupted = true;
    console.error(`\n${sig}: stopping daemons and removing temp dirs`);
    cleanupAll().finally(() => Deno.exit(130));
  });
}

let code = 1;
try {
  code = await main();
} catch (e) {
  if (!interrupted) console.error(`bench: ${e instanceof Error ? e.message : String(e)}`);
} finally {
  await cleanupAll();
}
Deno.exit(interrupted ? 130 : code);
