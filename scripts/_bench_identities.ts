/**
 * Benchmark workload for identities: the cost of an authenticated request (a `local`
 * identity matching the caller's UID, and HTTP Basic credentials checked against a
 * sha512-crypt hash) against the same request with no identities configured (Pebble's
 * default access for root). The target: at most 5 % fewer requests per second.
 *
 * @module
 */

import { runLoad } from "./_bench_http.ts";
import { cpuSeconds } from "./_bench_target.ts";
import { below, type Workload } from "./_bench_workloads.ts";
import { Client } from "../mod.ts";

const PATH = "/v1/services";
const CONCURRENCY = 4;

function sha512crypt(password: string): string {
  const out = new Deno.Command("openssl", { args: ["passwd", "-6", password], stdout: "piped" })
    .outputSync();
  return new TextDecoder().decode(out.stdout).trim();
}

/** Workloads of this area. */
export const IDENTITY_WORKLOADS: Workload[] = [
  {
    name: "auth_cost",
    description: `GET ${PATH} with ${CONCURRENCY} clients: no identities (default access) vs a ` +
      "local identity for the caller's UID vs HTTP Basic credentials (sha512-crypt)",
    interleaved: true,
    metrics: [
      { key: "open", label: "no identities req/s", unit: "req/s", better: "higher" },
      { key: "local", label: "local identity req/s", unit: "req/s", better: "higher" },
      { key: "basic", label: "basic auth req/s", unit: "req/s", better: "higher" },
      {
        key: "local_over",
        label: "local overhead",
        unit: "%",
        better: "lower",
        goal: below(5, "%"),
      },
      {
        key: "basic_over",
        label: "basic overhead",
        unit: "%",
        better: "lower",
        goal: below(5, "%"),
      },
    ],
    async run(target, s) {
      const daemon = await target.startDaemon();
      const client = new Client({ socketPath: daemon.socketPath });
      const load = async (headers?: Record<string, string>) =>
        (await runLoad({
          socketPath: daemon.socketPath,
          path: PATH,
          concurrency: CONCURRENCY,
          durationMs: s.loadDurationMs,
          warmupMs: s.loadWarmupMs,
          maxRequests: s.loadMaxRequests,
          client: s.client,
          probe: () => cpuSeconds(daemon.pid),
          headers,
        })).requestsPerSecond;
      try {
        const open = await load();
        await client.replaceIdentities({
          me: { access: "admin", local: { userId: Deno.uid() ?? 0 } },
        });
        const local = await load();
        await client.replaceIdentities({
          me: null,
          bench: { access: "admin", basic: { password: sha512crypt("bench-pw") } },
        });
        const basic = await load({ Authorization: `Basic ${btoa("bench:bench-pw")}` });
        return {
          open,
          local,
          basic,
          local_over: Math.max(0, (open / local - 1) * 100),
          basic_over: Math.max(0, (open / basic - 1) * 100),
        };
      } finally {
        client.close();
        await daemon.stop();
      }
    },
  },
];
