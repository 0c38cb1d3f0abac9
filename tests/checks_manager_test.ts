/**
 * The check manager through the client, on an in-process daemon: thresholds, recovery,
 * flapping, the changes and notices that drive charms, plan changes, start and stop.
 *
 * Runs are driven with `refreshCheck` on checks with a one-hour period, so every run
 * happens when the test asks for it and the counts are exact.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { APIError, type CheckInfo, type Client } from "../mod.ts";
import { startInProcess, waitFor } from "./_helpers.ts";

/** A layer with one exec check that fails while `flag` exists. */
function flagCheck(name: string, flag: string, extra = ""): string {
  return `checks:
  ${name}:
    override: replace
    period: 1h
    threshold: 3
${extra}    exec:
      command: sh -c 'test ! -e ${flag} || { echo "flag is up"; exit 1; }'
`;
}

async function check(client: Client, name: string): Promise<CheckInfo> {
  const [info] = await client.getChecks({ names: [name] });
  assert.ok(info, `check ${name} exists`);
  return info;
}

Deno.test("checks: threshold, recovery, changes and notices", async () => {
  const { daemon, client, dir } = await startInProcess();
  const failed: string[] = [];
  daemon.checks.onCheckFailed((name) => failed.push(name));
  const flag = join(dir, "flag");
  try {
    await client.addLayer("base", flagCheck("chk", flag));
    let info = await check(client, "chk");
    assert.equal(info.status, "up");
    assert.equal(info.successes, 0);
    assert.equal(info.threshold, 3);
    const performId = info.changeId!;
    assert.ok(performId);
    const perform = await client.getChange(performId);
    assert.equal(perform.kind, "perform-check");
    assert.equal(perform.summary, 'Perform exec check "chk"');

    let r = await client.refreshCheck("chk");
    assert.equal(r.error, null);
    assert.equal(r.info.successes, 1);

    await Deno.writeTextFile(flag, "");
    for (const n of [1, 2]) {
      r = await client.refreshCheck("chk");
      assert.equal(r.error, "exit status 1; flag is up");
      assert.equal(r.info.failures, n);
      assert.equal(r.info.status, "up");
    }
    assert.deepEqual(failed, []);
    r = await client.refreshCheck("chk");
    assert.equal(r.error, "exit status 1; flag is up");
    info = await waitFor(async () => {
      const i = await check(client, "chk");
      return i.status === "down" ? i : null;
    }, "the check to go down");
    assert.deepEqual(failed, ["chk"]);
    assert.equal(info.failures, 3);
    assert.equal(info.prevChangeId, performId);
    const recoverId = info.changeId!;
    assert.notEqual(recoverId, performId);

    const errored = await client.getChange(performId);
    assert.equal(errored.status, "Error");
    assert.equal(
      errored.err,
      'cannot perform the following tasks:\n- Perform exec check "chk" (exit status 1; flag is up)\n' +
        '- Perform exec check "chk" (exit status 1; flag is up)\n' +
        '- Perform exec check "chk" (exit status 1; flag is up)',
    );
    const recover = await client.getChange(recoverId);
    assert.equal(recover.kind, "recover-check");
    assert.equal(recover.summary, 'Recover exec check "chk"');

    // Down: further failures count on, the failure handlers are not called again.
    r = await client.refreshCheck("chk");
    assert.equal(r.info.failures, 4);
    assert.equal(r.info.status, "down");
    assert.deepEqual(failed, ["chk"]);
    assert.equal(await client.getHealth(), false);

    await Deno.remove(flag);
    r = await client.refreshCheck("chk");
    assert.equal(r.error, null);
    info = await waitFor(async () => {
      const i = await check(client, "chk");
      return i.status === "up" ? i : null;
    }, "the check to recover");
    assert.equal(info.failures, 0);
    assert.equal(info.successes, 1);
    assert.equal(info.prevChangeId, recoverId);
    assert.equal((await client.getChange(recoverId)).status, "Done");
    assert.equal((await client.getChange(info.changeId!)).kind, "perform-check");
    assert.equal(await client.getHealth(), true);

    // Each status change of each check change was announced with the check's name.
    const notices = await client.getNotices({ types: ["change-update"] });
    const byChange = new Map(notices.map((n) => [n.key, n]));
    for (const id of [performId, recoverId, info.changeId!]) {
      assert.equal(byChange.get(id)?.lastData["check-name"], "chk", `notice of change ${id}`);
    }
    assert.equal(byChange.get(performId)?.lastData.kind, "perform-check");
    assert.equal(byChange.get(recoverId)?.lastData.kind, "recover-check");
  } finally {
    client.close();
    await daemon.stop();
  }
});

Deno.test("checks: flapping below the threshold never goes down", async () => {
  const { daemon, client, dir } = await startInProcess();
  const flag = join(dir, "flag");
  try {
    await client.addLayer("base", flagCheck("chk", flag));
    for (let i = 0; i < 3; i++) {
      await Deno.writeTextFile(flag, "");
      let r = await client.refreshCheck("chk");
      assert.equal(r.info.failures, 1);
      r = await client.refreshCheck("chk");
      assert.equal(r.info.failures, 2);
      await Deno.remove(flag);
      r = await client.refreshCheck("chk");
      assert.equal(r.info.failures, 0);
      assert.equal(r.info.status, "up");
    }
    const info = await check(client, "chk");
    assert.equal(info.successes, 3);
    const change = await client.getChange(info.changeId!);
    assert.equal(change.status, "Doing");
    const log = change.tasks[0].log;
    assert.match(log[log.length - 1], /^\S+ INFO succeeded after 2 failures$/);
    assert.match(log[0], /^\S+ ERROR exit status 1; flag is up$/);
  } finally {
    client.close();
    await daemon.stop();
  }
});

Deno.test("checks: an unrelated replan keeps checks running with their counters", async () => {
  const { daemon, client, dir } = await startInProcess();
  const flag = join(dir, "flag");
  try {
    await client.addLayer("base", flagCheck("chk", flag));
    await client.refreshCheck("chk");
    await Deno.writeTextFile(flag, "");
    await client.refreshCheck("chk");
    const before = await check(client, "chk");
    assert.equal(before.successes, 1);
    assert.equal(before.failures, 1);

    await client.addLayer(
      "other",
      `
services:
  idle:
    override: replace
    command: sleep 1000
checks:
  other:
    override: replace
    period: 1h
    tcp:
      port: 1
`,
    );
    const after = await check(client, "chk");
    assert.deepEqual(after, before);
    assert.equal((await check(client, "other")).status, "up");
    // A merge that changes nothing is no change either.
    await client.addLayer("again", "checks:\n  chk:\n    override: merge\n    threshold: 3\n");
    assert.deepEqual(await check(client, "chk"), before);

    // A changed definition restarts the check: new change, counters from zero.
    await client.addLayer("change", "checks:\n  chk:\n    override: merge\n    threshold: 5\n");
    const changed = await check(client, "chk");
    assert.notEqual(changed.changeId, before.changeId);
    assert.equal(changed.threshold, 5);
    assert.equal(changed.successes, 0);
    assert.equal(changed.failures, 0);
    const old = await waitFor(async () => {
      const c = await client.getChange(before.changeId!);
      return c.ready ? c : null;
    }, "the old change to end");
    assert.equal(old.status, "Done");
  } finally {
    client.close();
    await daemon.stop();
  }
});

Deno.test("checks: startup disabled, start-checks and stop-checks", async () => {
  const { daemon, client, dir } = await startInProcess();
  const flag = join(dir, "flag");
  try {
    await client.addLayer(
      "base",
      flagCheck("off", flag, "    startup: disabled\n    level: alive\n"),
    );
    let info = await check(client, "off");
    assert.equal(info.status, "inactive");
    assert.equal(info.startup, "disabled");
    assert.equal(info.changeId, null);
    assert.equal(info.level, "alive");

    // An inactive check can be run: its status and counters stay as they are.
    await Deno.writeTextFile(flag, "");
    let r = await client.refreshCheck("off");
    assert.equal(r.error, "exit status 1; flag is up");
    assert.equal(r.info.status, "inactive");
    assert.equal(r.info.failures, 0);
    await Deno.remove(flag);

    assert.deepEqual(await client.startChecks(["off"]), ["off"]);
    assert.deepEqual(await client.startChecks(["off"]), []);
    info = await check(client, "off");
    assert.equal(info.status, "up");
    const first = info.changeId!;
    await client.refreshCheck("off");
    await Deno.writeTextFile(flag, "");
    r = await client.refreshCheck("off");
    assert.equal(r.info.failures, 1);

    assert.deepEqual(await client.stopChecks(["off"]), ["off"]);
    assert.deepEqual(await client.stopChecks(["off"]), []);
    info = await check(client, "off");
    assert.equal(info.status, "inactive");
    assert.equal(info.changeId, null);
    // Stopped checks keep the counts they had.
    assert.equal(info.successes, 1);
    assert.equal(info.failures, 1);
    const stopped = await waitFor(async () => {
      const c = await client.getChange(first);
      return c.ready ? c : null;
    }, "the stopped check's change to end");
    assert.equal(stopped.status, "Done");
    // Inactive checks do not count for health.
    assert.equal(await client.getHealth({ level: "alive" }), true);

    // Started again: a new change, counters from zero.
    assert.deepEqual(await client.startChecks(["off"]), ["off"]);
    info = await check(client, "off");
    assert.notEqual(info.changeId, first);
    assert.equal(info.successes, 0);
    assert.equal(info.failures, 0);

    await assert.rejects(
      client.startChecks(["off", "nope", "also-nope"]),
      (e: unknown) =>
        e instanceof APIError && e.code === 400 &&
        e.message === "cannot start checks: cannot find checks in plan: also-nope, nope",
    );
    await assert.rejects(
      client.stopChecks([]),
      (e: unknown) =>
        e instanceof APIError && e.code === 400 &&
        e.message === "must specify checks for stop action",
    );
    await assert.rejects(
      client.refreshCheck("nope"),
      (e: unknown) =>
        e instanceof APIError && e.code === 404 &&
        e.message === 'cannot find check with name "nope"',
    );
  } finally {
    client.close();
    await daemon.stop();
  }
});

Deno.test("checks: a stopped enabled check starts again with the next layer", async () => {
  const { daemon, client } = await startInProcess();
  try {
    await client.addLayer(
      "base",
      "checks:\n  chk:\n    override: replace\n    period: 1h\n    exec:\n      command: 'true'\n",
    );
    assert.deepEqual(await client.stopChecks(["chk"]), ["chk"]);
    assert.equal((await check(client, "chk")).status, "inactive");
    await client.addLayer("more", "services:\n  x:\n    override: replace\n    command: sleep 1\n");
    assert.equal((await check(client, "chk")).status, "up");
  } finally {
    client.close();
    await daemon.stop();
  }
});

Deno.test("checks: bad check definitions are refused when the layer is added", async () => {
  const { daemon, client } = await startInProcess();
  try {
    const cases: [string, RegExp][] = [
      ["chk:\n    period: 1s\n    tcp: {port: 80}", /must define "override" for check "chk"/],
      [
        "chk:\n    override: replace\n    level: sideways\n    tcp: {port: 80}",
        /level must be "alive" or "ready"/,
      ],
      [
        "chk:\n    override: replace\n    startup: maybe\n    tcp: {port: 80}",
        /startup must be "enabled" or "disabled"/,
      ],
      [
        "chk:\n    override: replace\n    period: 0s\n    tcp: {port: 80}",
        /period must not be zero/,
      ],
      [
        "chk:\n    override: replace\n    timeout: 0s\n    tcp: {port: 80}",
        /timeout must not be zero/,
      ],
      ["chk:\n    override: replace\n    period: soon\n    tcp: {port: 80}", /period/],
      [
        "chk:\n    override: replace\n    tcp: {port: 80}\n    exec: {command: 'true'}",
        /must specify one of "http", "tcp", or "exec"/,
      ],
      ["chk:\n    override: replace", /must specify one of "http", "tcp", or "exec"/],
      [
        "chk:\n    override: replace\n    http: {headers: {a: b}}",
        /must set "url" for http check "chk"/,
      ],
      ["chk:\n    override: replace\n    tcp: {host: x}", /must set "port" for tcp check "chk"/],
      ['chk:\n    override: replace\n    exec: {command: "a \'b"}', /command invalid/],
      [
        "chk:\n    override: replace\n    exec: {command: x, service-context: nope}",
        /service context specifies non-existent service "nope"/,
      ],
    ];
    for (const [yaml, message] of cases) {
      await assert.rejects(
        client.addLayer("bad", `checks:\n  ${yaml}\n`),
        (e: unknown) => e instanceof APIError && e.code === 400 && message.test(e.message),
        yaml,
      );
    }
    assert.deepEqual(await client.getChecks(), []);
    assert.equal((await client.getPlan()).checks.chk, undefined);
  } finally {
    client.close();
    await daemon.stop();
  }
});

Deno.test("checks: exec checks in a service context, levels and name filters", async () => {
  const { daemon, client, dir } = await startInProcess();
  const out = join(dir, "env-out");
  try {
    await client.addLayer(
      "base",
      `
services:
  svc:
    override: replace
    command: sleep 1000
    working-dir: ${dir}
    environment:
      FROM_SERVICE: svc-value
      SHARED: service
checks:
  ctx:
    override: replace
    level: ready
    period: 1h
    exec:
      command: sh -c 'echo "$FROM_SERVICE $SHARED $(pwd)" > ${out}'
      service-context: svc
      environment:
        SHARED: check
  live:
    override: replace
    level: alive
    period: 1h
    tcp:
      port: 1
`,
    );
    const r = await client.refreshCheck("ctx");
    assert.equal(r.error, null);
    assert.equal((await Deno.readTextFile(out)).trim(), `svc-value check ${dir}`);
    assert.deepEqual((await client.getChecks({ level: "alive" })).map((c) => c.name), ["live"]);
    assert.deepEqual((await client.getChecks({ level: "ready" })).map((c) => c.name), ["ctx"]);
    assert.deepEqual(
      (await client.getChecks({ names: ["live", "ctx", "nope"] })).map((c) => c.name),
      ["ctx", "live"],
    );
  } finally {
    client.close();
    await daemon.stop();
  }
});

Deno.test("checks: a services replan starts stopped enabled checks only", async () => {
  const { daemon, client } = await startInProcess();
  try {
    await client.addLayer(
      "base",
      `checks:
  on:
    override: replace
    period: 1h
    exec: {command: "true"}
  off:
    override: replace
    startup: disabled
    period: 1h
    exec: {command: "true"}
`,
    );
    await client.stopChecks(["on"]);
    const resp = await client.request("POST", "/v1/services", { body: { action: "replan" } });
    await client.waitChange(resp.change!);
    assert.equal((await check(client, "on")).status, "up");
    assert.equal((await check(client, "off")).status, "inactive");
  } finally {
    client.close();
    await daemon.stop();
  }
});
