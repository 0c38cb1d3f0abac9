import assert from "node:assert/strict";
import { Client, TimeoutError } from "../mod.ts";
import { apiError, FakePebble, sync } from "./client_fake_server.ts";

function change(ready: boolean): Record<string, unknown> {
  return {
    id: "5",
    kind: "replan",
    summary: "Replan",
    status: ready ? "Done" : "Doing",
    ready,
    "spawn-time": "2024-05-03T03:55:48Z",
    ...(ready ? { "ready-time": "2024-05-03T03:55:50Z" } : {}),
  };
}

Deno.test("waitChange uses the wait endpoint with the server-side timeout", async () => {
  await using fake = await FakePebble.start();
  fake.on("GET", "/v1/changes/5/wait", sync(change(true)));
  using client = new Client({ socketPath: fake.socketPath });
  const chg = await client.waitChange("5");
  assert.equal(chg.ready, true);
  assert.equal(fake.requests.length, 1);
  // The slice is the client timeout (5 s) less one second, as in ops.
  assert.equal(fake.requests[0].query.get("timeout"), "4.000s");
});

Deno.test("waitChange sends the remaining time when it is shorter", async () => {
  await using fake = await FakePebble.start();
  fake.on("GET", "/v1/changes/5/wait", sync(change(true)));
  using client = new Client({ socketPath: fake.socketPath });
  await client.waitChange("5", { timeout: 2.5 });
  const sent = fake.requests[0].query.get("timeout")!;
  assert.match(sent, /^2\.\d{3}s$/);
  assert.ok(Number(sent.slice(0, -1)) <= 2.5);
});

Deno.test("waitChange retries on 504 and throws TimeoutError at its deadline", async () => {
  await using fake = await FakePebble.start();
  fake.on("GET", "/v1/changes/5/wait", async (req) => {
    const seconds = Number(req.query.get("timeout")!.slice(0, -1));
    await new Promise((r) => setTimeout(r, seconds * 1000));
    return apiError(504, "Gateway Timeout", "timed out waiting for change after 100ms");
  });
  using client = new Client({ socketPath: fake.socketPath });
  const start = performance.now();
  await assert.rejects(() => client.waitChange("5", { timeout: 0.3 }), (err: unknown) => {
    assert.ok(err instanceof TimeoutError);
    assert.match(err.message, /timed out waiting for change 5/);
    return true;
  });
  assert.ok(performance.now() - start >= 250);
  assert.ok(fake.requests.length >= 1);
});

Deno.test("waitChange falls back to polling when the wait endpoint is missing", async () => {
  await using fake = await FakePebble.start();
  let polls = 0;
  fake.on("GET", "/v1/changes/5", () => sync(change(++polls >= 3)));
  // No route for /wait: the fake answers 404.
  using client = new Client({ socketPath: fake.socketPath });
  const chg = await client.waitChange("5", { timeout: 5, delay: 0.01 });
  assert.equal(chg.ready, true);
  assert.equal(polls, 3);
  assert.deepEqual(fake.requests.map((r) => r.path), [
    "/v1/changes/5/wait",
    "/v1/changes/5",
    "/v1/changes/5",
    "/v1/changes/5",
  ]);
});

Deno.test("polling waitChange throws TimeoutError when the change stays pending", async () => {
  await using fake = await FakePebble.start();
  fake.on("GET", "/v1/changes/5", sync(change(false)));
  using client = new Client({ socketPath: fake.socketPath });
  await assert.rejects(() => client.waitChange("5", { timeout: 0.2, delay: 0.02 }), TimeoutError);
});

Deno.test("waitChange passes other API errors through", async () => {
  await using fake = await FakePebble.start();
  fake.on("GET", "/v1/changes/5/wait", apiError(400, "Bad Request", "invalid timeout"));
  using client = new Client({ socketPath: fake.socketPath });
  await assert.rejects(() => client.waitChange("5"), { name: "APIError", code: 400 });
});
