/**
 * Changes and tasks through the real API, client and CLI, with an in-process daemon
 * whose task handlers the test controls; and state across a daemon restart.
 */

import assert from "node:assert/strict";
import { APIError, ChangeError, TimeoutError } from "../mod.ts";
import { rawRequest, runCli, startDaemon, startInProcess } from "./_helpers.ts";

Deno.test("changes: list, get, wait, abort through client and CLI", async () => {
  const { daemon, client, env } = await startInProcess();
  try {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    daemon.runner.addHandler("test-ok", () => Promise.resolve());
    daemon.runner.addHandler("test-gate", () => gate);
    daemon.runner.addHandler("test-fail", () => Promise.reject(new Error("it broke")));
    daemon.runner.addHandler(
      "test-block",
      (_t, signal) =>
        new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason))),
    );

    // A change that completes.
    const st = daemon.state;
    const c1 = st.newChange("demo", "Demo change");
    const t1 = st.newTask("test-gate", "Wait for the gate");
    c1.addTask(t1);
    c1.set("service-names", ["svc1"]);
    daemon.runner.ensure();

    const changes = await client.getChanges();
    assert.deepEqual(changes.map((c) => c.id), [c1.id]);
    assert.equal(changes[0].status, "Doing");
    assert.equal(changes[0].ready, false);
    assert.equal((await client.getChanges({ select: "ready" })).length, 0);
    assert.equal((await client.getChanges({ select: "all", service: "svc1" })).length, 1);
    assert.equal((await client.getChanges({ select: "all", service: "svc2" })).length, 0);

    await assert.rejects(client.waitChange(c1.id, { timeout: 0.2 }), TimeoutError);
    const waiting = client.waitChange(c1.id, { timeout: 10 });
    release();
    const done = await waiting;
    assert.equal(done.status, "Done");
    assert.equal(done.ready, true);
    assert.ok(done.readyTime instanceof Date);
    assert.equal(done.tasks[0].status, "Done");
    assert.equal(done.tasks[0].kind, "test-gate");

    // A change that fails: err as Pebble words it.
    const c2 = st.newChange("broken", "Broken change");
    c2.addTask(st.newTask("test-fail", "Break things"));
    daemon.runner.ensure();
    const failed = await client.waitChange(c2.id);
    assert.equal(failed.status, "Error");
    assert.equal(failed.err, "cannot perform the following tasks:\n- Break things (it broke)");
    assert.match(failed.tasks[0].log[0], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ ERROR it broke$/);

    // Abort a running change.
    const c3 = st.newChange("slow", "Slow change");
    c3.addTask(st.newTask("test-block", "Block until aborted"));
    const c3b = st.newTask("test-ok", "Never runs");

    c3b.waitFor(c3.tasks()[0]);
    c3.addTask(c3b);
    daemon.runner.ensure();
    const aborted = await client.abortChange(c3.id);
    assert.equal(aborted.id, c3.id);
    const after = await client.waitChange(c3.id, { timeout: 5 });
    assert.equal(after.ready, true);
    assert.deepEqual(after.tasks.map((t) => t.status), ["Undone", "Hold"]);
    await assert.rejects(
      client.abortChange(c3.id),
      (e: unknown) =>
        e instanceof APIError && e.code === 400 &&
        e.message === `cannot abort change ${c3.id} with nothing pending`,
    );
    await assert.rejects(
      client.getChange("4242"),
      (e: unknown) => e instanceof APIError && e.code === 404,
    );

    // The CLI lists the same.
    const cli = await runCli(["changes"], env);
    assert.equal(cli.code, 0, cli.stderr);
    const lines = cli.stdout.trimEnd().split("\n");
    assert.match(lines[0], /^ID\s+Status\s+Spawn\s+Ready\s+Summary$/);
    assert.equal(lines.length, 4);
    assert.match(lines[1], new RegExp(`^${c1.id}\\s+Done\\s+.*Demo change$`));
    assert.match(lines[2], new RegExp(`^${c2.id}\\s+Error\\s+.*Broken change$`));

    const tasks = await runCli(["tasks", c2.id], env);
    assert.equal(tasks.code, 0, tasks.stderr);
    assert.match(tasks.stdout, /^Status\s+Spawn\s+Ready\s+Summary\n/);
    assert.match(tasks.stdout, /Error\s+.*Break things/);
    assert.match(tasks.stdout, /it broke/);

    const last = await runCli(["tasks", "--last=broken"], env);
    assert.equal(last.code, 0, last.stderr);
    assert.match(last.stdout, /Break things/);

    const none = await runCli(["tasks", "--last=nothing-like-this"], env);
    assert.notEqual(none.code, 0);
    assert.match(none.stderr, /^error: /);

    const missing = await runCli(["tasks", "4242"], env);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^error: cannot find change with id "4242"/);
  } finally {
    await daemon.stop();
  }
});

Deno.test("changes: a change that fails makes ChangeError-ready data for clients", async () => {
  const { daemon, client } = await startInProcess();
  try {
    daemon.runner.addHandler("test-fail", () => Promise.reject(new Error("nope")));
    const c = daemon.state.newChange("x", "X");
    c.addTask(daemon.state.newTask("test-fail", "Fail"));
    daemon.runner.ensure();
    const chg = await client.waitChange(c.id);
    const err = new ChangeError(chg.err!, chg);
    assert.equal(err.change.id, c.id);
    assert.match(err.message, /nope/);
  } finally {
    await daemon.stop();
  }
});

Deno.test("changes: history, notices and warnings survive a daemon restart", async () => {
  const first = await startInProcess();
  const { daemon, dir } = first;
  daemon.runner.addHandler("test-ok", () => Promise.resolve());
  const c = daemon.state.newChange("kept", "Kept across restarts");
  c.addTask(daemon.state.newTask("test-ok", "Do it"));
  daemon.runner.ensure();
  await first.client.waitChange(c.id);
  const added = await rawRequest(
    first.env.PEBBLE_SOCKET,
    "POST",
    "/v1/notices",
    JSON.stringify({ action: "add", type: "custom", key: "example.com/restart", data: { a: "b" } }),
  );
  const noticeId = (added.json.result as { id: string }).id;
  daemon.state.warnf("remember me");
  await daemon.stop();

  // Now the real `pebble run` on the same directory sees the history.
  const d = await startDaemon({ dir });
  try {
    const changes = await d.client.getChanges({ select: "all" });
    assert.deepEqual(changes.map((x) => x.kind), ["kept"]);
    assert.equal(changes[0].status, "Done");
    const notice = await d.client.getNotice(noticeId);
    assert.deepEqual(notice.lastData, { a: "b" });
    const warnings = await runCli(["warnings"], { ...d.env, HOME: d.dir });
    assert.equal(warnings.code, 0, warnings.stderr);
    assert.match(warnings.stdout, /remember me/);
    const okay = await runCli(["okay"], { ...d.env, HOME: d.dir });
    assert.equal(okay.code, 0, okay.stderr);
    const again = await runCli(["warnings"], { ...d.env, HOME: d.dir });
    assert.equal(again.stdout, "");
    assert.match(again.stderr, /No further warnings\./);
  } finally {
    await d.stop();
  }
});
