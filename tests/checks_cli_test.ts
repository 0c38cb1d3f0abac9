/**
 * Checks through `pebble run` and the CLI: `checks`, `check`, `health`, `start-checks`,
 * `stop-checks` with Pebble's output; check changes across a daemon restart; and
 * `on-check-failure` (restart, shutdown, success-shutdown).
 */

import { tempDir } from "./_tmp.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli, startDaemon, waitFor } from "./_helpers.ts";

Deno.test("cli: checks, check, health, start-checks, stop-checks", async () => {
  const dir = await tempDir({ prefix: "pebble-test-" });
  const flag = join(dir, "flag");
  await Deno.writeTextFile(flag, "");
  const d = await startDaemon({
    dir,
    layers: {
      "001-base.yaml": `checks:
  failing:
    override: replace
    level: ready
    period: 1h
    threshold: 1
    exec:
      command: sh -c 'test ! -e ${flag} || { echo "still broken"; exit 3; }'
  live:
    override: replace
    level: alive
    period: 1h
    exec:
      command: "true"
  manual:
    override: replace
    startup: disabled
    period: 1h
    tcp:
      port: 1
`,
    },
  });
  try {
    let r = await runCli(["check", "failing", "--refresh"], d.env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^name: failing\nlevel: ready\nstartup: enabled\nstatus: up\n/);
    assert.match(r.stdout, /\nerror: exit status 3; still broken\nlogs: \|\n {4}\S+ ERROR exit/);
    const info = await waitFor(async () => {
      const [c] = await d.client.getChecks({ names: ["failing"] });
      return c.status === "down" ? c : null;
    }, "the check to go down");

    r = await runCli(["checks"], d.env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      "Check    Level  Startup   Status    Successes  Failures  Change\n" +
        `failing  ready  enabled   down      0          1/1       ${info.changeId} ` +
        `(exit status 3; still broken)\n` +
        `live     alive  enabled   up        0          0/3       ${
          (await d.client.getChecks({ names: ["live"] }))[0].changeId
        }\n` +
        "manual   -      disabled  inactive  -          -         -\n",
    );
    r = await runCli(["checks", "--level=alive"], d.env);
    assert.match(r.stdout, /^Check +Level.*\nlive +alive +enabled +up +0 +0\/3 +\d+\n$/);
    r = await runCli(["checks", "nope"], d.env);
    assert.equal(r.stdout, "");
    assert.equal(r.stderr, "No matching health checks.\n");
    r = await runCli(["checks", "--format=json", "live"], d.env);
    assert.match(
      r.stdout,
      /^\{"checks":\{"live":\{"name":"live","level":"alive","startup":"enabled","status":"up","successes":0,"failures":0,"threshold":3,"change-id":"\d+"\}\}\}\n$/,
    );

    r = await runCli(["check", "failing"], d.env);
    assert.match(r.stdout, /\nprev-change-id: "\d+"\nlogs: \|\n/);
    r = await runCli(["check", "nope"], d.env);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'error: cannot find check "nope"\n');

    r = await runCli(["health"], d.env);
    assert.deepEqual([r.code, r.stdout], [1, "unhealthy\n"]);
    r = await runCli(["health", "--level=alive"], d.env);
    assert.deepEqual([r.code, r.stdout], [0, "healthy\n"]);
    r = await runCli(["health", "--level=ready"], d.env);
    assert.deepEqual([r.code, r.stdout], [1, "unhealthy\n"]);
    r = await runCli(["health", "--format=json"], d.env);
    assert.deepEqual([r.code, r.stdout], [0, '{"healthy":false}\n']);
    r = await runCli(["health", "--format=yaml", "live"], d.env);
    assert.deepEqual([r.code, r.stdout], [0, "healthy: true\n"]);

    r = await runCli(["start-checks", "manual", "live"], d.env);
    assert.deepEqual([r.code, r.stdout], [0, "Checks started: manual\n"]);
    r = await runCli(["start-checks", "manual"], d.env);
    assert.equal(r.stdout, "Checks already started.\n");
    r = await runCli(["stop-checks", "failing", "manual", "live"], d.env);
    assert.equal(r.stdout, "Checks stopped: failing, live, manual\n");
    r = await runCli(["stop-checks", "live"], d.env);
    assert.equal(r.stdout, "Checks already stopped.\n");
    r = await runCli(["stop-checks", "nope", "other"], d.env);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, "error: cannot stop checks: cannot find checks in plan: nope, other\n");
    r = await runCli(["health"], d.env);
    assert.deepEqual([r.code, r.stdout], [0, "healthy\n"]);
    r = await runCli(["checks", "--level=sideways"], d.env);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Invalid value `sideways' for option `--level'/);
  } finally {
    await d.stop();
  }
});

Deno.test("cli: check changes left by a stopped daemon end, and the checks start anew", async () => {
  const layers = {
    "001-base.yaml": "checks:\n  chk:\n    override: replace\n    period: 1h\n    exec:\n" +
      '      command: "true"\n',
  };
  const first = await startDaemon({ layers });
  const [before] = await first.client.getChecks();
  assert.equal(before.status, "up");
  assert.equal(await first.stop(), 0);
  const second = await startDaemon({ dir: first.dir });
  try {
    const [after] = await second.client.getChecks();
    assert.equal(after.status, "up");
    assert.notEqual(after.changeId, before.changeId);
    const old = await second.client.getChange(before.changeId!);
    assert.equal(old.status, "Done");
    assert.equal((await second.client.getChange(after.changeId!)).status, "Doing");
  } finally {
    await second.stop();
  }
});

function failureLayer(action: string, pids: string, flag: string): Record<string, string> {
  return {
    "001-base.yaml": `services:
  svc:
    override: replace
    startup: enabled
    command: sh -c 'echo $$ >> ${pids}; exec sleep 1000'
    on-check-failure:
      chk: ${action}
checks:
  chk:
    override: replace
    period: 1h
    threshold: 1
    exec:
      command: test ! -e ${flag}
`,
  };
}

Deno.test("on-check-failure: restart restarts the service", async () => {
  const dir = await tempDir({ prefix: "pebble-test-" });
  const pids = join(dir, "pids");
  const flag = join(dir, "flag");
  const d = await startDaemon({ dir, layers: failureLayer("restart", pids, flag) });
  try {
    const read = async () => (await Deno.readTextFile(pids).catch(() => "")).trim().split("\n");
    // Pebble ignores check failures while a service is still starting.
    await waitFor(() => /Started default services/.test(d.output()), "the service to start");
    await Deno.writeTextFile(flag, "");
    await d.client.refreshCheck("chk");
    const list = await waitFor(async () => {
      const l = await read();
      return l.length >= 2 ? l : null;
    }, "the service to restart");
    assert.notEqual(list[0], list[1]);
    await waitFor(
      () => /Service "svc" on-check-failure action is "restart"/.test(d.output()),
      "the on-check-failure line",
    );
  } finally {
    assert.equal(await d.stop(), 0);
  }
});

for (const [action, code] of [["shutdown", 11], ["success-shutdown", 0]] as const) {
  Deno.test(`on-check-failure: ${action} stops the daemon with exit code ${code}`, async () => {
    const dir = await tempDir({ prefix: "pebble-test-" });
    const pids = join(dir, "pids");
    const flag = join(dir, "flag");
    const d = await startDaemon({ dir, layers: failureLayer(action, pids, flag) });
    let exit: number | null = null;
    d.proc.status.then((s) => (exit = s.code));
    try {
      await waitFor(() => /Started default services/.test(d.output()), "the service to start");
      await Deno.writeTextFile(flag, "");
      await d.client.refreshCheck("chk").catch(() => {});
      await waitFor(() => exit !== null, "the daemon to exit");
      assert.equal(exit, code);
    } finally {
      d.client.close();
      await d.stop();
    }
  });
}
