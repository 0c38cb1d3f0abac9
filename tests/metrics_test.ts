// GET /v1/metrics: Pebble's OpenMetrics text for services and checks, parsed back, with
// counters that move when a service restarts or a check fails.

import assert from "node:assert/strict";
import { startDaemon, waitFor } from "./_helpers.ts";

const LAYER = `
services:
  svc:
    override: replace
    command: sleep 1000
checks:
  bad:
    override: replace
    period: 100ms
    threshold: 2
    exec:
      command: "false"
  good:
    override: replace
    period: 100ms
    exec:
      command: "true"
  idle:
    override: replace
    startup: disabled
    exec:
      command: "true"
`;

interface Sample {
  type: string;
  help: string;
  value: number;
}

/** Parses the metrics text into `name{labels}` → sample, checking its layout. */
function parseMetrics(text: string): Map<string, Sample> {
  const out = new Map<string, Sample>();
  const blocks = text.split("\n\n").filter((b) => b !== "");
  assert.ok(text === "" || text.endsWith("\n\n"));
  for (const block of blocks) {
    const lines = block.split("\n");
    assert.equal(lines.length, 3, block);
    const help = /^# HELP (\S+) (.+)$/.exec(lines[0]);
    const type = /^# TYPE (\S+) (gauge|counter)$/.exec(lines[1]);
    const sample = /^(\S+)\{(\w+)="([^"]*)"\} (\d+)$/.exec(lines[2]);
    assert.ok(help && type && sample, block);
    assert.equal(help[1], type[1]);
    assert.equal(sample[1], type[1]);
    out.set(`${sample[1]}{${sample[2]}="${sample[3]}"}`, {
      type: type[2],
      help: help[2],
      value: Number(sample[4]),
    });
  }
  return out;
}

Deno.test("metrics: service and check metrics as Pebble names them, counters moving", async () => {
  const d = await startDaemon({ layers: { "001-metrics.yaml": LAYER } });
  try {
    const res = await d.client.requestRaw("GET", "/v1/metrics");
    assert.equal(res.headers.get("content-type"), "text/plain; charset=utf-8");
    await res.body?.cancel();
    await d.client.startServices(["svc"]);
    let m = parseMetrics(await d.client.getMetrics());
    assert.deepEqual(m.get(`pebble_service_active{service="svc"}`), {
      type: "gauge",
      help: "Whether the service is currently active (1) or not (0)",
      value: 1,
    });
    assert.deepEqual(m.get(`pebble_service_start_count{service="svc"}`), {
      type: "counter",
      help: "Number of times the service has started",
      value: 1,
    });
    // Services first (by name), then checks (by name); an inactive check has no up gauge.
    const names = [...m.keys()];
    assert.ok(names.indexOf(`pebble_service_active{service="svc"}`) === 0);
    assert.equal(m.has(`pebble_check_up{check="idle"}`), false);
    assert.equal(m.get(`pebble_check_success_count{check="idle"}`)?.value, 0);
    assert.equal(
      m.get(`pebble_check_up{check="good"}`)?.help,
      "Whether the health check is up (1) or not (0)",
    );
    assert.equal(
      m.get(`pebble_check_success_count{check="good"}`)?.help,
      "Number of times the check has succeeded",
    );
    assert.equal(
      m.get(`pebble_check_failure_count{check="bad"}`)?.help,
      "Number of times the check has failed",
    );

    await d.client.restartServices(["svc"]);
    m = parseMetrics(await d.client.getMetrics());
    assert.equal(m.get(`pebble_service_start_count{service="svc"}`)?.value, 2);
    assert.equal(m.get(`pebble_service_active{service="svc"}`)?.value, 1);

    // The failing check goes down after two failures and keeps counting.
    m = await waitFor(async () => {
      const now = parseMetrics(await d.client.getMetrics());
      const moved = (now.get(`pebble_check_failure_count{check="bad"}`)?.value ?? 0) >= 3 &&
        (now.get(`pebble_check_success_count{check="good"}`)?.value ?? 0) >= 2;
      return moved ? now : null;
    }, "check counters to move");
    assert.equal(m.get(`pebble_check_up{check="bad"}`)?.value, 0);
    assert.equal(m.get(`pebble_check_success_count{check="bad"}`)?.value, 0);
    assert.equal(m.get(`pebble_check_up{check="good"}`)?.value, 1);
    assert.equal(m.get(`pebble_check_failure_count{check="good"}`)?.value, 0);

    await d.client.stopServices(["svc"]);
    m = parseMetrics(await d.client.getMetrics());
    assert.equal(m.get(`pebble_service_active{service="svc"}`)?.value, 0);
    assert.equal(m.get(`pebble_service_start_count{service="svc"}`)?.value, 2);
  } finally {
    await d.stop();
  }
});

Deno.test("metrics: an empty daemon answers an empty body", async () => {
  const d = await startDaemon();
  try {
    const res = await d.client.requestRaw("GET", "/v1/metrics");
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), null);
    assert.equal(await res.text(), "");
  } finally {
    await d.stop();
  }
});
