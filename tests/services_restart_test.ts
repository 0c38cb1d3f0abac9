// Auto-restart and actions: crash loops with growing, capped delays, backoff reset,
// every on-success/on-failure action with the daemon's exit codes, on-check-failure.

import { tempDir } from "./_tmp.ts";
import assert from "node:assert/strict";
import { ChangeError } from "../mod.ts";
import { startDaemon, startInProcess, waitFor, writeLayers } from "./_helpers.ts";

function svc(name: string, fields: string): string {
  return `  ${name}:\n    override: replace\n` +
    fields.trim().split("\n").map((l) => `    ${l.trim()}\n`).join("");
}

function backoffs(out: string, name: string): [string, number][] {
  const re = new RegExp(
    `Service "${name}" \\S+ action is "restart", waiting ~(\\S+) before restart \\(backoff (\\d+)\\)`,
    "g",
  );
  return [...out.matchAll(re)].map((m) => [m[1], Number(m[2])]);
}

Deno.test("a crash loop backs off with growing delays capped at backoff-limit", async () => {
  const d = await startDaemon({
    layers: {
      "001-base.yaml": "services:\n" + svc(
        "crasher",
        `command: sh -c 'echo boom; exit 1'
backoff-delay: 20ms
backoff-factor: 2
backoff-limit: 100ms`,
      ),
    },
  });
  try {
    await assert.rejects(d.client.startServices(["crasher"]), (e) => {
      assert.ok(e instanceof ChangeError);
      assert.match(e.err, /service start attempt: exited quickly with code 1, will restart/);
      assert.match(e.message, /Most recent service output:\n {4}boom/);
      return true;
    });
    await waitFor(() => backoffs(d.output(), "crasher").length >= 6, "six restarts");
    assert.deepEqual(backoffs(d.output(), "crasher").slice(0, 6), [
      ["20ms", 1],
      ["40ms", 2],
      ["80ms", 3],
      ["100ms", 4],
      ["100ms", 5],
      ["100ms", 6],
    ]);
    const current = (await d.client.getServices())[0].current;
    assert.ok(current === "backoff" || current === "active", current);
    await d.client.stopServices(["crasher"]);
    assert.equal((await d.client.getServices())[0].current, "inactive");
  } finally {
    await d.stop();
  }
});

Deno.test("backoff resets after the service stays up for backoff-limit", async () => {
  const dir = await tempDir({ prefix: "pebble-test-" });
  const d = await startDaemon({
    dir,
    layers: {
      "001-base.yaml": "services:\n" + svc(
        "flaky",
        `command: sh -c 'n=$(cat count 2>/dev/null || echo 0); n=$((n+1)); echo $n > count; if [ $n -eq 3 ]; then sleep 0.8; fi; exit 1'
working-dir: ${dir}
backoff-delay: 50ms
backoff-limit: 300ms`,
      ),
    },
  });
  try {
    await d.client.startServices(["flaky"]).catch(() => {});
    await waitFor(() => backoffs(d.output(), "flaky").length >= 4, "four restarts");
    assert.deepEqual(backoffs(d.output(), "flaky").slice(0, 4), [
      ["50ms", 1],
      ["100ms", 2],
      ["50ms", 1],
      ["100ms", 2],
    ]);
    await d.client.stopServices(["flaky"]);
  } finally {
    await d.stop();
  }
});

Deno.test("on-success/on-failure shutdown actions exit the daemon with Pebble's codes", async () => {
  const cases: [string, string, number, string][] = [
    ["on-success: shutdown", "exit 0", 0, 'on-success action is "shutdown", triggering success'],
    ["on-failure: shutdown", "exit 1", 10, 'on-failure action is "shutdown", triggering failure'],
    ["on-success: failure-shutdown", "exit 0", 10, "triggering failure shutdown"],
    ["on-failure: success-shutdown", "exit 2", 0, "triggering success shutdown"],
  ];
  await Promise.all(cases.map(async ([action, exit, code, message]) => {
    const d = await startDaemon({
      layers: {
        "001-base.yaml": "services:\n" +
          svc("main", `command: sh -c 'sleep 0.2; ${exit}'\nstartup: enabled\n${action}`) +
          svc("other", "command: sleep 1000\nstartup: enabled"),
      },
    });
    const status = await d.proc.status;
    await d.stop();
    assert.equal(status.code, code, `${action}: ${d.output()}`);
    assert.ok(d.output().includes(message), message);
    // Other services are stopped on the way out.
    assert.match(d.output(), /Service "other" stopped/);
  }));
});

Deno.test("on-*: ignore leaves the service inactive (success) or in error (failure)", async () => {
  const d = await startDaemon({
    layers: {
      "001-base.yaml": "services:\n" +
        svc("ok", "command: sh -c 'exit 0'\non-success: ignore") +
        svc("bad", "command: sh -c 'exit 4'\non-failure: ignore"),
    },
  });
  try {
    await assert.rejects(d.client.startServices(["ok"]), /exited quickly with code 0, will ignore/);
    await assert.rejects(
      d.client.startServices(["bad"]),
      /exited quickly with code 4, will ignore/,
    );
    const s = await d.client.getServices();
    assert.deepEqual(s.map((x) => [x.name, x.current]), [["bad", "error"], ["ok", "inactive"]]);
    assert.match(
      d.output(),
      /Service "bad" on-failure action is "ignore", not doing anything further/,
    );
    // A service in error can be stopped (nothing to do) and started again.
    await d.client.stopServices(["bad"]);
    assert.equal((await d.client.getServices(["bad"]))[0].current, "inactive");
  } finally {
    assert.equal(await d.stop(), 0);
  }
});

Deno.test("on-check-failure: restart, ignore and shutdown", async () => {
  const dir = await tempDir({ prefix: "pebble-test-" });
  await writeLayers(dir, {
    "001-base.yaml": "services:\n" +
      svc("r", "command: sleep 1000\non-check-failure: {chk: restart}\nbackoff-delay: 10ms") +
      svc("i", "command: sleep 1000\non-check-failure: {chk: ignore}") +
      svc("s", "command: sleep 1000\non-check-failure: {other: shutdown}") +
      svc("ss", "command: sleep 1000\non-check-failure: {third: success-shutdown}"),
  });
  const { daemon, client } = await startInProcess({ pebbleDir: dir, persist: "never" });
  try {
    await client.startServices(["r", "i", "s", "ss"]);
    const r = daemon.services.pidOf("r");
    const i = daemon.services.pidOf("i");
    daemon.services.checkFailed("chk");
    await waitFor(() => {
      const now = daemon.services.pidOf("r");
      return now !== 0 && now !== r;
    }, "r to restart");
    assert.equal(daemon.services.pidOf("i"), i);
    const kinds: string[] = [];
    daemon.shutdownRequested.then((k) => kinds.push(k));
    daemon.services.checkFailed("other");
    await waitFor(() => kinds.length === 1, "a shutdown request");
    assert.deepEqual(kinds, ["check-failure"]);
  } finally {
    await daemon.stop();
    client.close();
  }
  const second = await startInProcess({ pebbleDir: dir, persist: "never" });
  try {
    await second.client.startServices(["ss"]);
    second.daemon.services.checkFailed("third");
    assert.equal(await second.daemon.shutdownRequested, "success");
  } finally {
    await second.daemon.stop();
    second.client.close();
  }
});
