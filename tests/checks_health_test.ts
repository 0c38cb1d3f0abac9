/**
 * `/v1/health`: Pebble's level rules in every combination of down checks and asked
 * level, names, inactive checks, no checks, and open access on the `--http` listener.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { healthy } from "../server/api/checks.ts";
import type { CheckInfo } from "../server/checks/manager.ts";
import { rawRequest, startInProcess, waitFor } from "./_helpers.ts";

const LEVELS = ["alive", "ready", ""] as const;

/** Pebble's documented rule: ready implies alive; not alive implies not ready. */
function expected(down: Set<string>, level: string): boolean {
  if (level === "") return down.size === 0;
  if (level === "alive") return !down.has("alive");
  return !down.has("alive") && !down.has("ready");
}

function subsets<T>(items: readonly T[]): Set<T>[] {
  return Array.from(
    { length: 1 << items.length },
    (_, mask) => new Set(items.filter((_, i) => mask & (1 << i))),
  );
}

Deno.test("health: the level rule over every combination (unit)", () => {
  for (const down of subsets(LEVELS)) {
    const checks: CheckInfo[] = LEVELS.map((level) => ({
      name: `c-${level || "unset"}`,
      level,
      startup: "enabled",
      status: down.has(level) ? "down" : "up",
      successes: 0,
      failures: 0,
      threshold: 1,
      changeId: "1",
      prevChangeId: "",
    }));
    for (const level of LEVELS) {
      assert.equal(healthy(checks, level, []), expected(down, level), `${[...down]} @${level}`);
    }
    // Inactive checks never count.
    const inactive = checks.map((c) => ({ ...c, status: "inactive" as const }));
    for (const level of LEVELS) assert.equal(healthy(inactive, level, []), true);
  }
});

Deno.test("health: the endpoint in every combination, names, and the --http listener", async () => {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  const { daemon, client, dir, env } = await startInProcess({
    httpAddress: `127.0.0.1:${port}`,
  });
  const flag = (level: string) => join(dir, `down-${level || "unset"}`);
  try {
    // No checks: healthy at every level.
    for (const level of LEVELS) assert.equal(await client.getHealth({ level }), true);
    let layer = "checks:\n";
    for (const level of LEVELS) {
      layer += `  c-${level || "unset"}:
    override: replace
    ${level ? `level: ${level}` : ""}
    period: 1h
    threshold: 1
    exec:
      command: test ! -e ${flag(level)}
`;
    }
    await client.addLayer("base", layer);

    for (const down of subsets(LEVELS)) {
      for (const level of LEVELS) {
        if (down.has(level)) await Deno.writeTextFile(flag(level), "");
        else await Deno.remove(flag(level)).catch(() => {});
        await client.refreshCheck(`c-${level || "unset"}`);
      }
      await waitFor(async () => {
        const checks = await client.getChecks();
        return checks.every((c) =>
          (c.status === "down") === down.has(c.level as typeof LEVELS[number])
        );
      }, `statuses for ${[...down]}`);
      for (const level of LEVELS) {
        const want = expected(down, level);
        const q = level ? `?level=${level}` : "";
        const res = await rawRequest(env.PEBBLE_SOCKET, "GET", `/v1/health${q}`);
        assert.equal(res.status, want ? 200 : 502, `${[...down]} @${level}`);
        assert.equal(res.json.type, "sync");
        assert.deepEqual(res.json.result, { healthy: want });
        assert.equal(await client.getHealth({ level }), want);
      }
    }

    // Everything is down now; names narrow the checks considered.
    assert.equal(await client.getHealth({ names: ["c-alive"] }), false);
    assert.equal(await client.getHealth({ names: ["nope"] }), true);
    assert.equal(await client.getHealth({ level: "alive", names: ["c-ready"] }), true);
    assert.equal(await client.getHealth({ level: "ready", names: ["c-alive"] }), false);

    // Open on the TCP listener, without credentials; other endpoints are not.
    const health = await fetch(`http://127.0.0.1:${port}/v1/health?level=alive`);
    assert.equal(health.status, 502);
    assert.deepEqual((await health.json()).result, { healthy: false });
    const checks = await fetch(`http://127.0.0.1:${port}/v1/checks`);
    assert.equal(checks.status, 401);
    await checks.body?.cancel();

    const bad = await rawRequest(env.PEBBLE_SOCKET, "GET", "/v1/health?level=sideways");
    assert.equal(bad.status, 400);
    assert.equal(
      (bad.json.result as { message: string }).message,
      `level must be "alive" or "ready"`,
    );

    // Stopped checks are ignored.
    await client.stopChecks(["c-alive", "c-ready", "c-unset"]);
    for (const level of LEVELS) assert.equal(await client.getHealth({ level }), true);
  } finally {
    client.close();
    await daemon.stop();
  }
});
