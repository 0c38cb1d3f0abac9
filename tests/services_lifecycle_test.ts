// Services against the real daemon: order of start and stop, statuses, errors,
// kill-delay, process groups, daemon shutdown, orphan reaping, replan, --hold, users.

import { tempDir } from "./_tmp.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { APIError, ChangeError } from "../mod.ts";
import { IS_ROOT, rawRequest, startDaemon, waitFor } from "./_helpers.ts";
import { alive, liveInGroup, readPid, zombieChildren } from "./_services_helpers.ts";

function svc(name: string, fields: string): string {
  return `  ${name}:\n    override: replace\n` +
    fields.trim().split("\n").map((l) => `    ${l.trim()}\n`).join("");
}

function indexOf(text: string, needle: string): number {
  const i = text.indexOf(needle);
  assert.ok(i >= 0, `missing ${JSON.stringify(needle)} in output`);
  return i;
}

Deno.test("start pulls in requires in after/before order; stop runs in reverse", async () => {
  const d = await startDaemon({
    layers: {
      "001-base.yaml": "services:\n" +
        svc("a", "command: sleep 1000") +
        svc("b", "command: sleep 1000\nrequires: [a]\nafter: [a]") +
        svc("c", "command: sleep 1000\nrequires: [b]\nbefore: [z]\nafter: [b]") +
        svc("z", "command: sleep 1000"),
    },
  });
  try {
    const id = await d.client.startServices(["c"]);
    const change = await d.client.getChange(id);
    assert.equal(change.summary, 'Start service "c" and 2 more');
    assert.deepEqual(change.tasks.map((t) => t.summary), [
      'Start service "a"',
      'Start service "b"',
      'Start service "c"',
    ]);
    const out = d.output();
    assert.ok(indexOf(out, 'Service "a" starting') < indexOf(out, 'Service "b" starting'));
    assert.ok(indexOf(out, 'Service "b" starting') < indexOf(out, 'Service "c" starting'));
    const infos = await d.client.getServices();
    assert.deepEqual(infos.map((s) => [s.name, s.current, s.isRunning()]), [
      ["a", "active", true],
      ["b", "active", true],
      ["c", "active", true],
      ["z", "inactive", false],
    ]);
    assert.ok(infos[0].currentSince instanceof Date);
    assert.equal(infos[3].currentSince, null);
    assert.deepEqual((await d.client.getServices(["z", "a"])).map((s) => s.name), ["a", "z"]);

    // Starting a started service is not an error.
    const again = await d.client.getChange(await d.client.startServices(["c"]));
    assert.equal(again.status, "Done");
    assert.match(again.tasks[2].log.join("\n"), /Service "c" already started\./);

    // `for=` finds the change by service name.
    const forC = await d.client.getChanges({ select: "all", service: "c" });
    assert.ok(forC.some((c) => c.id === id));

    const stopId = await d.client.stopServices(["a"]);
    const stop = await d.client.getChange(stopId);
    assert.deepEqual(stop.tasks.map((t) => t.summary), [
      'Stop service "c"',
      'Stop service "b"',
      'Stop service "a"',
    ]);
    const after = d.output();
    assert.ok(indexOf(after, 'Service "c" stopped') < indexOf(after, 'Service "b" stopped'));
    assert.ok(indexOf(after, 'Service "b" stopped') < indexOf(after, 'Service "a" stopped'));
    assert.ok((await d.client.getServices()).every((s) => s.current === "inactive"));

    // Stopping a stopped service, or one never started, is not an error either.
    const noop = await d.client.getChange(await d.client.stopServices(["a", "z"]));
    assert.equal(noop.status, "Done");
    const logs = noop.tasks.map((t) => t.log.join("\n")).join("\n");
    assert.match(logs, /Service "a" already stopped\./);
    assert.match(logs, /Service "z" has never been started\./);
  } finally {
    assert.equal(await d.stop(), 0);
  }
});

Deno.test("bad requests get Pebble's errors and change nothing", async () => {
  const d = await startDaemon({
    layers: { "001-base.yaml": "services:\n" + svc("a", "command: sleep 1000") },
  });
  try {
    const post = (body: string) => rawRequest(d.socket, "POST", "/v1/services", body);
    const cases: [string, number, string, string?][] = [
      [
        '{"action":"start","services":["nope"]}',
        400,
        'cannot start services: service "nope" does not exist',
      ],
      [
        '{"action":"stop","services":["a","nope"]}',
        400,
        'cannot stop services: service "nope" does not exist',
      ],
      ['{"action":"start","services":[]}', 400, "must specify services for start action"],
      ['{"action":"restart"}', 400, "must specify services for restart action"],
      ['{"action":"autostart"}', 400, "no default services", "no-default-services"],
      ['{"action":"autostart","services":["a"]}', 400, "autostart accepts no service names"],
      ['{"action":"replan","services":["a"]}', 400, "replan accepts no service names"],
      ['{"action":"bogus","services":["a"]}', 400, 'invalid action "bogus"'],
      ['{"action":"bogus"}', 400, "must specify services for bogus action"],
      ["nope", 400, "cannot decode data from request body: "],
      ['{"action":"start","services":"a"}', 400, "cannot decode data from request body: "],
    ];
    for (const [body, status, message, kind] of cases) {
      const r = await post(body);
      const result = r.json.result as { message: string; kind?: string };
      assert.equal(r.status, status, body);
      assert.ok(result.message.startsWith(message), `${body}: ${result.message}`);
      if (kind) assert.equal(result.kind, kind);
    }
    const sig = await rawRequest(
      d.socket,
      "POST",
      "/v1/signals",
      '{"signal":"SIGHUP","services":["a","nope"]}',
    );
    assert.equal(sig.status, 500);
    assert.equal(
      (sig.json.result as { message: string }).message,
      'cannot send signal to "a": service is not running; ' +
        'cannot send signal to "nope": service is not running',
    );
    const empty = await rawRequest(d.socket, "POST", "/v1/signals", '{"signal":"SIGHUP"}');
    assert.equal(
      (empty.json.result as { message: string }).message,
      "must specify one or more services",
    );
    const one = await rawRequest(d.socket, "GET", "/v1/services/a");
    assert.equal(one.status, 400);
    await assert.rejects(
      d.client.startServices(["nope"]),
      (e) => e instanceof APIError && e.code === 400,
    );
    assert.deepEqual(await d.client.getChanges({ select: "all" }), []);
  } finally {
    await d.stop();
  }
});

Deno.test("kill-delay: SIGTERM is ignored, SIGKILL follows; a forking service leaves nothing", async () => {
  const dir = await tempDir({ prefix: "pebble-test-" });
  const d = await startDaemon({
    dir,
    layers: {
      "001-base.yaml": "services:\n" +
        svc(
          "stubborn",
          `command: sh -c 'trap "" TERM; echo $$ > ${dir}/stubborn.pid; while true; do sleep 0.1; done'
kill-delay: 300ms`,
        ) +
        svc(
          "forker",
          `command: sh -c 'echo $$ > ${dir}/forker.pid; sleep 1000 & sleep 1000 & (sleep 1000 &); wait'`,
        ),
    },
  });
  try {
    await d.client.startServices(["stubborn", "forker"]);
    const stubborn = await readPid(join(dir, "stubborn.pid"));
    const forker = await readPid(join(dir, "forker.pid"));
    await waitFor(() => liveInGroup(forker).length >= 4, "the forker's children");
    await d.client.stopServices(["stubborn", "forker"]);
    assert.ok(!alive(stubborn));
    await waitFor(() => liveInGroup(forker).length === 0, "the forker's group to be gone");
    await waitFor(() => liveInGroup(stubborn).length === 0, "the stubborn group to be gone");
    assert.ok((await d.client.getServices()).every((s) => s.current === "inactive"));
  } finally {
    await d.stop();
  }
});

Deno.test("daemon SIGTERM stops all services in reverse order and exits 0", async () => {
  const dir = await tempDir({ prefix: "pebble-test-" });
  const d = await startDaemon({
    dir,
    layers: {
      "001-base.yaml": "services:\n" +
        svc("db", `command: sh -c 'echo $$ > ${dir}/db.pid; exec sleep 1000'\nstartup: enabled`) +
        svc(
          "web",
          `command: sh -c 'echo $$ > ${dir}/web.pid; exec sleep 1000'
startup: enabled
requires: [db]
after: [db]`,
        ),
    },
  });
  const db = await readPid(join(dir, "db.pid"));
  const web = await readPid(join(dir, "web.pid"));
  await waitFor(() => d.output().includes("Started default services with change"), "autostart");
  assert.equal(await d.stop(), 0);
  const out = d.output();
  assert.ok(indexOf(out, 'Service "web" stopped') < indexOf(out, 'Service "db" stopped'));
  assert.ok(!alive(db) && !alive(web));
});

Deno.test("orphaned grandchildren are reaped; services' own exits are still seen", async () => {
  const d = await startDaemon({
    layers: {
      "001-base.yaml": "services:\n" +
        svc(
          "spawner",
          `command: sh -c 'for i in $(seq 40); do sh -c "sleep 0.01 &"; done; echo spawned; exec sleep 1000'`,
        ) +
        svc("quitter", `command: sh -c 'sleep 1.2; exit 7'\non-failure: ignore`),
    },
  });
  try {
    await d.client.startServices(["spawner", "quitter"]);
    await waitFor(
      async () =>
        (await d.client.getLogs({ services: ["spawner"] })).some((e) => e.message === "spawned"),
      "the spawner to finish",
    );
    await waitFor(() => zombieChildren(d.proc.pid).length === 0, "no zombies", 10_000);
    // The service's own exit status reached the manager (not stolen by the reaper).
    await waitFor(
      () => d.output().includes('Service "quitter" stopped unexpectedly with code 7'),
      "quitter's exit code",
    );
    assert.equal((await d.client.getServices(["quitter"]))[0].current, "error");
  } finally {
    assert.equal(await d.stop(), 0);
  }
});

Deno.test("replan restarts only changed services; --hold starts nothing", async () => {
  const d = await startDaemon({
    args: ["--hold"],
    layers: {
      "001-base.yaml": "services:\n" +
        svc("x", "command: sleep 1000\nstartup: enabled") +
        svc("y", "command: sleep 1000\nstartup: enabled") +
        svc("z", "command: sleep 1000"),
    },
  });
  try {
    assert.ok((await d.client.getServices()).every((s) => s.current === "inactive"));
    const first = await d.client.getChange(await d.client.replanServices());
    assert.equal(first.summary, 'Replan service "x" and 1 more');
    assert.deepEqual(first.data, {});
    const before = await d.client.getServices();
    assert.deepEqual(before.map((s) => s.current), ["active", "active", "inactive"]);

    await d.client.addLayer(
      "002-change",
      "services:\n  y:\n    override: merge\n    environment: {NEW: '1'}\n",
      { combine: true },
    );
    const second = await d.client.getChange(await d.client.replanServices());
    assert.deepEqual(second.tasks.map((t) => t.summary), [
      'Stop service "y"',
      'Start service "x"',
      'Start service "y"',
    ]);
    const after = await d.client.getServices();
    assert.equal(after[0].currentSince?.getTime(), before[0].currentSince?.getTime());
    assert.notEqual(after[1].currentSince?.getTime(), before[1].currentSince?.getTime());
    assert.equal(after[2].current, "inactive");

    // Nothing changed: nothing restarts.
    const third = await d.client.getChange(await d.client.replanServices());
    assert.deepEqual(third.tasks.map((t) => t.kind), ["start", "start"]);
    const same = await d.client.getServices();
    assert.equal(same[1].currentSince?.getTime(), after[1].currentSince?.getTime());
    const changes = await d.client.getChanges({ select: "all" });
    assert.deepEqual(changes.map((c) => c.kind), ["replan", "replan", "replan"]);
  } finally {
    await d.stop();
  }
});

Deno.test({
  name: "services run as another user with HOME and USER set (root only)",
  ignore: !IS_ROOT,
  fn: async () => {
    const d = await startDaemon({
      layers: {
        "001-base.yaml": "services:\n" +
          svc(
            "asnobody",
            `command: sh -c 'echo "$(id -u):$(id -g) $USER $HOME"; exec sleep 1000'
user: nobody`,
          ) +
          svc("ghost", "command: sleep 1000\nuser: no-such-user-here") +
          svc("mismatch", "command: sleep 1000\nuser: nobody\nuser-id: 0"),
      },
    });
    try {
      await d.client.startServices(["asnobody"]);
      const nobody = await waitFor(
        async () => (await d.client.getLogs({ services: ["asnobody"] }))[0],
        "output",
      );
      const pw = Deno.readTextFileSync("/etc/passwd").split("\n").find((l) =>
        l.startsWith("nobody:")
      )!.split(":");
      assert.equal(nobody.message, `${pw[2]}:${pw[3]} nobody ${pw[5]}`);
      await assert.rejects(
        d.client.startServices(["ghost"]),
        (e) => e instanceof ChangeError && /user: unknown user no-such-user-here/.test(e.err),
      );
      await assert.rejects(
        d.client.startServices(["mismatch"]),
        (e) =>
          e instanceof ChangeError &&
          /user "nobody" UID \(\d+\) does not match user-id \(0\)/.test(e.err),
      );
    } finally {
      await d.stop();
    }
  },
});
