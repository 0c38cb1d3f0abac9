import { tempDir } from "./_tmp.ts";
import assert from "node:assert/strict";
import {
  APIError,
  type Change,
  ChangeError,
  Client,
  ConnectionError,
  PebbleError,
  ProtocolError,
  TimeoutError,
} from "../mod.ts";
import { apiError, FakePebble, sync } from "./client_fake_server.ts";

Deno.test("an error envelope throws APIError with code, status, kind, value and body", async () => {
  await using fake = await FakePebble.start();
  fake.on(
    "GET",
    "/v1/changes/42",
    apiError(404, "Not Found", 'cannot find change with id "42"', "not-found", { id: "42" }),
  );
  using client = new Client({ socketPath: fake.socketPath });
  const err = await client.getChange("42").then(() => null, (e) => e);
  assert.ok(err instanceof APIError);
  assert.ok(err instanceof PebbleError);
  assert.ok(err instanceof Error);
  assert.equal(err.name, "APIError");
  assert.equal(err.code, 404);
  assert.equal(err.status, "Not Found");
  assert.equal(err.kind, "not-found");
  assert.deepEqual(err.value, { id: "42" });
  assert.equal(err.message, 'cannot find change with id "42"');
  assert.equal((err.body.result as { message: string }).message, 'cannot find change with id "42"');
});

Deno.test("an error without a kind leaves kind undefined", async () => {
  await using fake = await FakePebble.start();
  fake.on("POST", "/v1/layers", apiError(400, "Bad Request", "cannot parse layer YAML: oops"));
  using client = new Client({ socketPath: fake.socketPath });
  await assert.rejects(
    () => client.addLayer("x", "services: ["),
    (err: unknown) => {
      assert.ok(err instanceof APIError);
      assert.equal(err.code, 400);
      assert.equal(err.kind, undefined);
      assert.equal(err.message, "cannot parse layer YAML: oops");
      return true;
    },
  );
});

Deno.test("a non-JSON error body still throws APIError", async () => {
  await using fake = await FakePebble.start();
  fake.on("GET", "/v1/system-info", {
    status: 502,
    body: "<html>bad gateway</html>",
    headers: { "Content-Type": "text/html" },
  });
  using client = new Client({ socketPath: fake.socketPath });
  await assert.rejects(() => client.getSystemInfo(), (err: unknown) => {
    assert.ok(err instanceof APIError);
    assert.equal(err.code, 502);
    assert.deepEqual(err.body, {});
    assert.match(err.message, /502.*not JSON/);
    return true;
  });
});

Deno.test("an error envelope with status 200 still throws APIError", async () => {
  await using fake = await FakePebble.start();
  fake.on("GET", "/v1/system-info", {
    body: { type: "error", "status-code": 500, result: { message: "boom", kind: "x" } },
  });
  using client = new Client({ socketPath: fake.socketPath });
  await assert.rejects(() => client.getSystemInfo(), { name: "APIError", message: "boom" });
});

Deno.test("malformed JSON in a success response throws ProtocolError", async () => {
  await using fake = await FakePebble.start();
  fake.on("GET", "/v1/system-info", { body: '{"type": "sync", "result": {' });
  fake.on("GET", "/v1/changes", { body: "[1, 2]" });
  fake.on("GET", "/v1/plan", { body: "{}", headers: { "Content-Type": "text/plain" } });
  fake.on("GET", "/v1/changes/1", sync({ id: "1" }));
  fake.on("GET", "/v1/notices", { body: { type: "weird", result: [] } });
  using client = new Client({ socketPath: fake.socketPath });
  await assert.rejects(() => client.getSystemInfo(), ProtocolError);
  await assert.rejects(() => client.getChanges(), ProtocolError);
  await assert.rejects(() => client.getPlanYaml(), /Content-Type/);
  await assert.rejects(() => client.getChange("1"), ProtocolError); // missing fields
  await assert.rejects(() => client.getNotices(), /unexpected response type/);
});

Deno.test("a missing socket throws ConnectionError naming the path", async () => {
  const dir = await tempDir();
  try {
    using client = new Client({ socketPath: `${dir}/.pebble.socket` });
    await assert.rejects(() => client.getSystemInfo(), (err: unknown) => {
      assert.ok(err instanceof ConnectionError);
      assert.ok(err instanceof PebbleError);
      assert.match(err.message, /socket not found/);
      assert.ok(err.message.includes(`${dir}/.pebble.socket`));
      return true;
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a refused connection throws ConnectionError naming the socket", async () => {
  const dir = await tempDir();
  try {
    // A socket file nobody listens on: bind, move the file away, close the listener.
    const listener = Deno.listen({ transport: "unix", path: `${dir}/bound.socket` });
    await Deno.rename(`${dir}/bound.socket`, `${dir}/stale.socket`);
    listener.close();
    using client = new Client({ socketPath: `${dir}/stale.socket` });
    await assert.rejects(() => client.getSystemInfo(), (err: unknown) => {
      assert.ok(err instanceof ConnectionError);
      assert.ok(err.message.includes(`${dir}/stale.socket`), err.message);
      assert.doesNotMatch(err.message, /not found/);
      assert.match(err.message, /refused/i);
      return true;
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a closed TCP port throws ConnectionError naming the URL", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  using client = new Client({ baseUrl: `http://127.0.0.1:${port}` });
  await assert.rejects(() => client.getSystemInfo(), (err: unknown) => {
    assert.ok(err instanceof ConnectionError);
    assert.ok(err.message.includes(`http://127.0.0.1:${port}`), err.message);
    return true;
  });
});

Deno.test("a daemon that does not answer in time throws TimeoutError", async () => {
  await using fake = await FakePebble.start();
  fake.on("GET", "/v1/system-info", { hang: true });
  using client = new Client({ socketPath: fake.socketPath, timeout: 0.2 });
  const start = performance.now();
  await assert.rejects(() => client.getSystemInfo(), TimeoutError);
  assert.ok(performance.now() - start < 3000);
});

Deno.test("a caller's AbortSignal cancels a request", async () => {
  await using fake = await FakePebble.start();
  fake.on("GET", "/v1/system-info", { hang: true });
  using client = new Client({ socketPath: fake.socketPath });
  const controller = new AbortController();
  setTimeout(() => controller.abort(new Error("stop")), 50);
  await assert.rejects(
    () => client.request("GET", "/v1/system-info", { signal: controller.signal }),
    { message: "stop" },
  );
});

Deno.test("a closed client refuses requests", async () => {
  const client = new Client({ socketPath: "/nonexistent/.pebble.socket" });
  client.close();
  await assert.rejects(() => client.getSystemInfo(), /closed/);
});

Deno.test("invalid client options are rejected", () => {
  assert.throws(() => new Client({ baseUrl: "not a url" }), TypeError);
  assert.throws(() => new Client({ baseUrl: "ftp://host" }), TypeError);
  assert.throws(() => new Client({ socketPath: "/x", timeout: 0 }), RangeError);
});

Deno.test("ChangeError carries the change and appends task logs to its message", () => {
  const change: Change = {
    id: "1",
    kind: "start",
    summary: "",
    status: "Error",
    ready: true,
    err: "cannot start service",
    spawnTime: new Date(0),
    readyTime: new Date(0),
    data: {},
    tasks: [
      {
        id: "1",
        kind: "start",
        summary: "",
        status: "Error",
        log: ["line one", "line two"],
        progress: { label: "", done: 0, total: 1 },
        spawnTime: new Date(0),
        readyTime: null,
        data: {},
      },
    ],
  };
  const err = new ChangeError("cannot start service", change);
  assert.equal(err.err, "cannot start service");
  assert.equal(err.change, change);
  assert.equal(
    err.message,
    "cannot start service\n----- Logs from task 0 -----\nline one\nline two\n-----",
  );
  assert.equal(new ChangeError("e", { ...change, tasks: [] }).message, "e");
});
