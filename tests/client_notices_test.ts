import assert from "node:assert/strict";
import { Client } from "../mod.ts";
import { FakePebble, sync } from "./client_fake_server.ts";

function notice(
  id: string,
  key: string,
  lastRepeated: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    id,
    "user-id": null,
    type: "warning",
    key,
    "first-occurred": "2024-01-01T00:00:00.000000001Z",
    "last-occurred": lastRepeated,
    "last-repeated": lastRepeated,
    occurrences: 1,
    "expire-after": "168h0m0s",
    "repeat-after": "24h0m0s",
    ...extra,
  };
}

Deno.test("getNotices sends every filter and parses notices", async () => {
  await using fake = await FakePebble.start();
  fake.on(
    "GET",
    "/v1/notices",
    sync([notice("1", "example.com/a", "2024-02-03T04:05:06.123456789Z", {
      type: "custom",
      "user-id": 1000,
      occurrences: 3,
      "last-data": { k: "v" },
      "repeat-after": "1m30s",
      "expire-after": undefined,
    })]),
  );
  using client = new Client({ socketPath: fake.socketPath });
  const notices = await client.getNotices({
    users: "all",
    userId: 1000,
    types: ["custom", "warning"],
    keys: ["example.com/a", "example.com/b"],
    after: "2024-01-01T00:00:00.123456789Z",
  });
  const q = fake.requests[0].query;
  assert.equal(q.get("users"), "all");
  assert.equal(q.get("user-id"), "1000");
  assert.deepEqual(q.getAll("types"), ["custom", "warning"]);
  assert.deepEqual(q.getAll("keys"), ["example.com/a", "example.com/b"]);
  assert.equal(q.get("after"), "2024-01-01T00:00:00.123456789Z");

  assert.deepEqual(notices, [{
    id: "1",
    userId: 1000,
    type: "custom",
    key: "example.com/a",
    firstOccurred: new Date("2024-01-01T00:00:00.000Z"),
    lastOccurred: new Date("2024-02-03T04:05:06.123Z"),
    lastRepeated: new Date("2024-02-03T04:05:06.123Z"),
    occurrences: 3,
    lastData: { k: "v" },
    repeatAfter: 90,
  }]);

  await client.getNotices({ after: new Date("2024-01-01T00:00:00.5Z") });
  assert.equal(fake.requests[1].query.toString(), "after=2024-01-01T00%3A00%3A00.500Z");
});

Deno.test("getNotice fetches one notice by ID", async () => {
  await using fake = await FakePebble.start();
  fake.on("GET", "/v1/notices/12", sync(notice("12", "disk full", "2024-02-03T04:05:06Z")));
  using client = new Client({ socketPath: fake.socketPath });
  const n = await client.getNotice("12");
  assert.equal(n.id, "12");
  assert.equal(n.userId, null);
  assert.equal(n.expireAfter, 168 * 3600);
  assert.equal(n.repeatAfter, 24 * 3600);
  await assert.rejects(() => client.getNotice("13"), { name: "APIError", code: 404 });
});

Deno.test("warnings are read from warning notices and acknowledged on the client", async () => {
  await using fake = await FakePebble.start();
  const all = [
    notice("1", "first warning", "2024-03-01T00:00:00.100000001Z"),
    notice("2", "second warning", "2024-03-01T00:00:00.100999999Z"),
    notice("3", "third warning", "2024-03-01T00:00:05Z"),
  ];
  fake.on("GET", "/v1/notices", (req) => {
    const after = req.query.get("after");
    // Compare as the daemon does, to the nanosecond (the strings share one format here).
    const pad = (s: string) =>
      s.replace(/(\.\d+)?Z$/, (m) => (m.slice(0, -1) || ".").padEnd(10, "0"));
    return sync(after ? all.filter((n) => pad(n["last-repeated"] as string) > pad(after)) : all);
  });
  using client = new Client({ socketPath: fake.socketPath });

  const warnings = await client.getWarnings();
  assert.deepEqual(fake.requests[0].query.getAll("types"), ["warning"]);
  assert.equal(fake.requests[0].query.get("after"), null);
  assert.equal(warnings.length, 3);
  assert.deepEqual(warnings[0], {
    message: "first warning",
    firstAdded: new Date("2024-01-01T00:00:00.000Z"),
    lastAdded: new Date("2024-03-01T00:00:00.100Z"),
    lastShown: null,
    lastRepeated: new Date("2024-03-01T00:00:00.100Z"),
    expireAfter: "168h0m0s",
    repeatAfter: "24h0m0s",
  });

  // Acknowledging up to the (millisecond) Date of the second covers both of the first two,
  // although the daemon's times have nanoseconds past it.
  assert.equal(await client.ackWarnings(warnings[1].lastAdded), 2);
  const pending = await client.getWarnings();
  assert.equal(fake.requests.at(-1)!.query.get("after"), "2024-03-01T00:00:00.100999999Z");
  assert.deepEqual(pending.map((w) => w.message), ["third warning"]);

  const everything = await client.getWarnings({ select: "all" });
  assert.equal(fake.requests.at(-1)!.query.get("after"), null);
  assert.equal(everything.length, 3);

  // Acknowledging an earlier time changes nothing and counts nothing.
  assert.equal(await client.ackWarnings(new Date("2024-01-01T00:00:00Z")), 0);
  assert.equal((await client.getWarnings()).length, 1);
  assert.equal(await client.ackWarnings(new Date("2024-03-02T00:00:00Z")), 1);
  assert.deepEqual(await client.getWarnings(), []);
  await assert.rejects(() => client.ackWarnings(new Date("nope")), TypeError);
});
