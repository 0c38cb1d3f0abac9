import assert from "node:assert/strict";
import { Client, DEFAULT_SOCKET_PATH, defaultSocketPath } from "../mod.ts";
import { FakePebble, sync } from "./client_fake_server.ts";

const CHANGE = {
  id: "7",
  kind: "start",
  summary: 'Start service "srv"',
  status: "Done",
  tasks: [{
    id: "12",
    kind: "start",
    summary: 'Start service "srv"',
    status: "Done",
    log: ["2024-05-03T03:55:49Z INFO Service started"],
    progress: { label: "", done: 1, total: 1 },
    "spawn-time": "2024-05-03T03:55:48.123456789Z",
    "ready-time": "2024-05-03T03:55:49.5+02:00",
    data: { "exit-code": 0 },
  }],
  ready: true,
  "spawn-time": "2024-05-03T03:55:48.123456789Z",
  "ready-time": "2024-05-03T03:55:49.987654321Z",
};

Deno.test("getSystemInfo parses the result and sends Pebble's headers", async () => {
  await using fake = await FakePebble.start();
  fake.on(
    "GET",
    "/v1/system-info",
    sync({ "boot-id": "b00t", "http-address": ":4000", version: "v1.32.1" }),
  );
  using client = new Client({ socketPath: fake.socketPath, userAgent: "pebble-test/1" });
  const info = await client.getSystemInfo();
  assert.deepEqual(info, { version: "v1.32.1", bootId: "b00t", httpAddress: ":4000" });
  assert.equal(fake.requests.length, 1);
  const req = fake.requests[0];
  assert.equal(req.method, "GET");
  assert.equal(req.path, "/v1/system-info");
  assert.equal(req.headers["accept"], "application/json");
  assert.equal(req.headers["user-agent"], "pebble-test/1");
  assert.equal(req.body, "");
});

Deno.test("a baseUrl talks HTTP over TCP", async () => {
  await using fake = await FakePebble.start({ tcp: true });
  fake.on("GET", "/v1/system-info", sync({ "boot-id": "x", version: "v1" }));
  using client = new Client({ baseUrl: fake.url + "/" });
  assert.equal(client.socketPath, undefined);
  assert.deepEqual(await client.getSystemInfo(), { version: "v1", bootId: "x" });
});

Deno.test("the socket path defaults to $PEBBLE_SOCKET, then $PEBBLE/.pebble.socket", () => {
  const env = (vars: Record<string, string>) => (name: string) => vars[name];
  assert.equal(
    defaultSocketPath(env({ PEBBLE_SOCKET: "/run/a.socket", PEBBLE: "/srv" })),
    "/run/a.socket",
  );
  assert.equal(
    defaultSocketPath(env({ PEBBLE_SOCKET: "", PEBBLE: "/srv/pebble/" })),
    "/srv/pebble/.pebble.socket",
  );
  assert.equal(defaultSocketPath(env({})), "/var/lib/pebble/default/.pebble.socket");
  assert.equal(DEFAULT_SOCKET_PATH, "/var/lib/pebble/default/.pebble.socket");
  const denied = () => {
    throw new Deno.errors.NotCapable("no env");
  };
  assert.equal(defaultSocketPath(denied), DEFAULT_SOCKET_PATH);
  assert.equal(new Client({ socketPath: "/x.sock" }).socketPath, "/x.sock");
  assert.equal(new Client({ socketPath: "/x.sock" }).timeout, 5);
  assert.equal(new Client().socketPath, defaultSocketPath());
});

Deno.test("getChanges sends select and for, and parses changes and tasks", async () => {
  await using fake = await FakePebble.start();
  fake.on("GET", "/v1/changes", sync([CHANGE]));
  using client = new Client({ socketPath: fake.socketPath });

  const changes = await client.getChanges({ select: "all", service: "srv" });
  assert.equal(fake.requests[0].query.toString(), "select=all&for=srv");
  await client.getChanges();
  assert.equal(fake.requests[1].query.toString(), "select=in-progress");

  assert.equal(changes.length, 1);
  const chg = changes[0];
  assert.equal(chg.id, "7");
  assert.equal(chg.kind, "start");
  assert.equal(chg.status, "Done");
  assert.equal(chg.ready, true);
  assert.equal(chg.err, null);
  assert.deepEqual(chg.data, {});
  assert.equal(chg.spawnTime.toISOString(), "2024-05-03T03:55:48.123Z");
  assert.equal(chg.readyTime?.toISOString(), "2024-05-03T03:55:49.987Z");
  const task = chg.tasks[0];
  assert.deepEqual(task.progress, { label: "", done: 1, total: 1 });
  assert.deepEqual(task.log, ["2024-05-03T03:55:49Z INFO Service started"]);
  assert.deepEqual(task.data, { "exit-code": 0 });
  assert.equal(task.readyTime?.toISOString(), "2024-05-03T01:55:49.500Z");
});

Deno.test("getChange parses a pending change with the Go zero time and no tasks", async () => {
  await using fake = await FakePebble.start();
  fake.on(
    "GET",
    "/v1/changes/3",
    sync({
      id: "3",
      kind: "exec",
      summary: "Execute command",
      status: "Doing",
      ready: false,
      err: "",
      "spawn-time": "0001-01-01T00:00:00Z",
    }),
  );
  using client = new Client({ socketPath: fake.socketPath });
  const chg = await client.getChange("3");
  assert.equal(chg.spawnTime.getUTCFullYear(), 1);
  assert.equal(chg.spawnTime.toISOString(), "0001-01-01T00:00:00.000Z");
  assert.equal(chg.readyTime, null);
  assert.equal(chg.err, null);
  assert.deepEqual(chg.tasks, []);
});

Deno.test("abortChange posts {action: abort}", async () => {
  await using fake = await FakePebble.start();
  fake.on("POST", "/v1/changes/7", sync({ ...CHANGE, status: "Abort", err: "aborted" }));
  using client = new Client({ socketPath: fake.socketPath });
  const chg = await client.abortChange("7");
  assert.equal(chg.err, "aborted");
  assert.deepEqual(fake.jsonBodies(), [{ action: "abort" }]);
  assert.equal(fake.requests[0].headers["content-type"], "application/json");
});

Deno.test("addLayer sends YAML text as Pebble's add-layer body", async () => {
  await using fake = await FakePebble.start();
  fake.on("POST", "/v1/layers", sync(true));
  using client = new Client({ socketPath: fake.socketPath });
  const yaml = "services:\n  srv:\n    override: replace\n    command: sleep 10\n";
  await client.addLayer("base", yaml);
  await client.addLayer("base", yaml, { combine: true, inner: true });
  assert.deepEqual(fake.jsonBodies(), [
    { action: "add", combine: false, inner: false, label: "base", format: "yaml", layer: yaml },
    { action: "add", combine: true, inner: true, label: "base", format: "yaml", layer: yaml },
  ]);
  // deno-lint-ignore no-explicit-any
  await assert.rejects(() => client.addLayer(1 as any, yaml), TypeError);
  // deno-lint-ignore no-explicit-any
  await assert.rejects(() => client.addLayer("x", 42 as any), TypeError);
});

Deno.test("getPlanYaml returns the daemon's YAML text", async () => {
  await using fake = await FakePebble.start();
  const text = "services:\n    srv:\n        override: replace\n        command: sleep 10\n";
  fake.on("GET", "/v1/plan", sync(text));
  using client = new Client({ socketPath: fake.socketPath });
  assert.equal(await client.getPlanYaml(), text);
  assert.equal(fake.requests[0].query.toString(), "format=yaml");
});

Deno.test("request exposes async envelopes and keeps maintenance and latest-warning", async () => {
  await using fake = await FakePebble.start();
  fake.on("POST", "/v1/services", {
    status: 202,
    body: {
      type: "async",
      "status-code": 202,
      status: "Accepted",
      change: "9",
      "latest-warning": "2024-01-02T03:04:05.123456789Z",
      maintenance: { kind: "daemon-restart", message: "daemon is restarting" },
    },
  });
  using client = new Client({ socketPath: fake.socketPath });
  const before = client.latestWarning;
  assert.equal(before, null);
  const resp = await client.request("POST", "/v1/services", {
    body: { action: "start", services: ["srv"] },
  });
  assert.equal(resp.type, "async");
  assert.equal(resp.change, "9");
  assert.equal(resp.statusCode, 202);
  assert.equal(client.latestWarning?.toISOString(), "2024-01-02T03:04:05.123Z");
  assert.equal(client.maintenance?.kind, "daemon-restart");
  assert.equal(client.maintenance?.message, "daemon is restarting");
});

Deno.test("requestRaw returns the response with its body as a stream", async () => {
  await using fake = await FakePebble.start();
  fake.on("GET", "/v1/logs", { body: '{"a":1}\n{"a":2}\n', headers: { "Content-Type": "x" } });
  using client = new Client({ socketPath: fake.socketPath });
  const resp = await client.requestRaw("GET", "/v1/logs", {
    query: { n: 2, services: ["a", "b"] },
  });
  assert.equal(resp.status, 200);
  assert.ok(resp.body instanceof ReadableStream);
  assert.equal(await resp.text(), '{"a":1}\n{"a":2}\n');
  assert.equal(fake.requests[0].query.toString(), "n=2&services=a&services=b");
});
