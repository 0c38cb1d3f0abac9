/**
 * Notices through the real daemon (`pebble run` as a subprocess): recording and counting,
 * repeat-after, filters, the long-poll, bad input, persistence across a restart, and
 * user scoping; driven with the typed client and raw HTTP.
 */

import { tempDir } from "./_tmp.ts";
import assert from "node:assert/strict";
import { APIError, type Notice } from "../mod.ts";
import { curlAsNobody, IS_ROOT, rawRequest, startDaemon } from "./_helpers.ts";

function post(socket: string, body: unknown) {
  return rawRequest(socket, "POST", "/v1/notices", JSON.stringify(body));
}

Deno.test("notices: occurrences count, repeat-after holds back repeats, filters select", async () => {
  const d = await startDaemon();
  try {
    const c = d.client;
    const id = await c.notify("custom", "example.com/a", { data: { n: "1" } });
    assert.equal(await c.notify("custom", "example.com/a", { data: { n: "2" } }), id);
    let n = await c.getNotice(id);
    assert.equal(n.occurrences, 2);
    assert.equal(n.type, "custom");
    assert.equal(n.userId, 0);
    assert.deepEqual(n.lastData, { n: "2" });
    assert.ok(n.lastRepeated > n.firstOccurred, "without repeat-after, each occurrence repeats");

    // With repeat-after, a new occurrence counts but does not repeat the notice.
    const rid = await c.notify("custom", "example.com/quiet", { repeatAfter: 3600 });
    const first = await c.getNotice(rid);
    await c.notify("custom", "example.com/quiet", { repeatAfter: 3600, data: { x: "y" } });
    n = await c.getNotice(rid);
    assert.equal(n.occurrences, 2);
    assert.equal(n.lastRepeated.getTime(), first.lastRepeated.getTime());
    assert.ok(n.lastOccurred >= first.lastOccurred);
    assert.equal(n.repeatAfter, 3600);
    assert.equal(n.expireAfter, 7 * 24 * 3600);
    const raw = await rawRequest(d.socket, "GET", `/v1/notices/${rid}`);
    assert.equal((raw.json.result as Record<string, unknown>)["repeat-after"], "1h0m0s");

    // Filters: types, keys (comma-separated or repeated), after.
    const keysOf = (ns: Notice[]) => ns.map((x) => x.key);
    await c.notify("custom", "example.com/b");
    assert.deepEqual(keysOf(await c.getNotices({ types: ["custom"] })), [
      "example.com/a",
      "example.com/quiet",
      "example.com/b",
    ]);
    assert.deepEqual(keysOf(await c.getNotices({ keys: ["example.com/b", "example.com/a"] })), [
      "example.com/a",
      "example.com/b",
    ]);
    const viaComma = await rawRequest(
      d.socket,
      "GET",
      "/v1/notices?keys=example.com/a,example.com/b",
    );
    assert.equal((viaComma.json.result as unknown[]).length, 2);
    assert.deepEqual(await c.getNotices({ types: ["warning"] }), []);
    assert.deepEqual(await c.getNotices({ types: ["no-such-type"] }), [], "only unknown types");
    assert.equal((await c.getNotices({ types: ["no-such-type", "custom"] })).length, 3);
    const aRaw = (await rawRequest(d.socket, "GET", `/v1/notices/${id}`)).json.result as Record<
      string,
      string
    >;
    // `after` is exact: the notice last repeated at that instant is not included.
    const after = await c.getNotices({ types: ["custom"], after: aRaw["last-repeated"] });
    assert.deepEqual(keysOf(after), ["example.com/quiet", "example.com/b"]);
    // Notices are listed oldest last-repeated first; a repeat moves one to the end.
    await c.notify("custom", "example.com/a");
    assert.deepEqual(keysOf(await c.getNotices({ types: ["custom"] })).slice(-2), [
      "example.com/b",
      "example.com/a",
    ]);
  } finally {
    await d.stop();
  }
});

Deno.test("notices: bad keys, oversize data, bad durations and bad filters record nothing", async () => {
  const d = await startDaemon();
  try {
    const s = d.socket;
    const cases: [unknown, string][] = [
      [{ action: "add", type: "custom", key: "Example.com/x" }, 'invalid key "Example.com/x"'],
      [{ action: "add", type: "custom", key: "example/x" }, "example.com/path"],
      [{ action: "add", type: "custom", key: "example.com" }, "example.com/path"],
      [{ action: "add", type: "custom", key: "example.com/x-" }, "example.com/path"],
      [
        { action: "add", type: "custom", key: `example.com/${"x".repeat(250)}` },
        "key must be 256 bytes or less",
      ],
      [
        { action: "add", type: "custom", key: "example.com/x", data: { k: "v".repeat(4100) } },
        "total size of data must be 4096 bytes or less",
      ],
      [
        { action: "add", type: "custom", key: "example.com/x", "repeat-after": "soon" },
        'invalid repeat-after: time: invalid duration "soon"',
      ],
      [
        { action: "add", type: "custom", key: "example.com/x", data: { k: 1 } },
        "cannot decode notice data: json: cannot unmarshal number into Go value of type string",
      ],
      [
        { action: "add", type: "custom", key: "example.com/x", data: "x" },
        "cannot decode notice data: json: cannot unmarshal string",
      ],
      [{ action: "add", type: "warning", key: "example.com/x" }, 'invalid type "warning"'],
      [{ action: "remove", type: "custom", key: "example.com/x" }, 'invalid action "remove"'],
      [
        { action: 1 },
        "cannot decode request body: json: cannot unmarshal number into Go struct field .action of type string",
      ],
    ];
    for (const [body, message] of cases) {
      const r = await post(s, body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.match(
        (r.json.result as { message: string }).message,
        new RegExp(message.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")),
      );
    }
    // The data limit applies to the data as sent: the same data fits compact, not spaced.
    const entries = Object.fromEntries(
      Array.from({ length: 100 }, (_, i) => [`k${String(i).padStart(3, "0")}`, "v".repeat(30)]),
    );
    const compact = JSON.stringify(entries);
    assert.ok(compact.length <= 4096);
    const spaced = JSON.stringify(entries, null, 1);
    assert.ok(spaced.length > 4096);
    const head = '{"action": "add", "type": "custom", "key": "example.com/big", "data": ';
    const tooBig = await rawRequest(s, "POST", "/v1/notices", head + spaced + "}");
    assert.equal(tooBig.status, 400);
    assert.deepEqual(await d.client.getNotices(), [], "nothing recorded");
    const fits = await rawRequest(s, "POST", "/v1/notices", head + compact + "}");
    assert.equal(fits.status, 200);

    // Bad query parameters.
    const get = async (q: string) => {
      const r = await rawRequest(s, "GET", `/v1/notices?${q}`);
      return [r.status, (r.json.result as { message?: string }).message];
    };
    assert.deepEqual(await get("after=yesterday"), [
      400,
      'invalid "after" timestamp: parsing time "yesterday" as "2006-01-02T15:04:05Z07:00": ' +
      'cannot parse "yesterday" as "2006"',
    ]);
    assert.deepEqual(await get("after=2024-02-30T00:00:00Z"), [
      400,
      'invalid "after" timestamp: parsing time "2024-02-30T00:00:00Z": day out of range',
    ]);
    assert.deepEqual(await get("timeout=forever"), [
      400,
      'invalid timeout: time: invalid duration "forever"',
    ]);
    assert.deepEqual(await get("user-id=x"), [
      400,
      'invalid "user-id" filter: strconv.ParseInt: parsing "x": invalid syntax',
    ]);
    assert.deepEqual(await get("user-id=1,2"), [
      400,
      'invalid "user-id" filter: must only include one "user-id"',
    ]);
    assert.deepEqual(await get("users=some"), [400, 'invalid "users" filter: must be "all"']);
    assert.deepEqual(await get("users=all&user-id=0"), [
      400,
      'cannot use both "users" and "user-id" parameters',
    ]);
    const missing = await rawRequest(s, "GET", "/v1/notices/999");
    assert.equal(missing.status, 404);
    await assert.rejects(d.client.getNotice("999"), (e) => e instanceof APIError && e.code === 404);
    assert.deepEqual((await d.client.getNotices()).map((n) => n.key), ["example.com/big"]);
  } finally {
    await d.stop();
  }
});

Deno.test("notices: a long-poll wakes on a matching notice and times out empty", async () => {
  const d = await startDaemon();
  try {
    const c = d.client;
    // Times out with an empty list (not an error) when nothing matches.
    assert.deepEqual(await c.waitNotices({ keys: ["example.com/never"], timeout: 0.2 }), []);

    // A waiting long-poll returns once a matching notice occurs, and not before.
    let returned = false;
    const waiting = c.waitNotices({ keys: ["example.com/wake"], timeout: 30 }).then((ns) => {
      returned = true;
      return ns;
    });
    await c.notify("custom", "example.com/other");
    await c.getNotices(); // a round trip: the poll saw the other notice and kept waiting
    assert.equal(returned, false);
    await c.notify("custom", "example.com/wake", { data: { go: "now" } });
    const woke = await waiting;
    assert.deepEqual(woke.map((n) => [n.key, n.lastData]), [["example.com/wake", { go: "now" }]]);

    // The async iterator yields each new occurrence once, in order.
    const abort = new AbortController();
    const seen: string[] = [];
    const iterating = (async () => {
      for await (const n of c.notices({ types: ["custom"], signal: abort.signal })) {
        seen.push(`${n.key}#${n.occurrences}`);
        if (seen.length === 5) abort.abort();
      }
    })();
    // The two existing notices first, then new ones as they occur.
    await c.notify("custom", "example.com/it");
    await c.notify("custom", "example.com/it");
    await c.notify("custom", "example.com/wake");
    await iterating;
    assert.deepEqual(seen, [
      "example.com/other#1",
      "example.com/wake#1",
      "example.com/it#1",
      "example.com/it#2",
      "example.com/wake#2",
    ]);
  } finally {
    await d.stop();
  }
});

Deno.test("notices: counters, data and ids survive a daemon restart", async () => {
  const d = await startDaemon();
  let id: string;
  let before: Notice;
  try {
    id = await d.client.notify("custom", "example.com/kept", { data: { a: "1" } });
    await d.client.notify("custom", "example.com/kept", { data: { a: "2" }, repeatAfter: 60 });
    before = await d.client.getNotice(id);
  } finally {
    await d.stop();
  }
  const d2 = await startDaemon({ dir: d.dir });
  try {
    const after = await d2.client.getNotice(id);
    assert.deepEqual(after, before);
    assert.equal(after.occurrences, 2);
    assert.equal(await d2.client.notify("custom", "example.com/kept"), id);
    assert.equal((await d2.client.getNotice(id)).occurrences, 3);
    const next = await d2.client.notify("custom", "example.com/new");
    assert.equal(Number(next), Number(id) + 1, "ids keep counting");
  } finally {
    await d2.stop();
  }
});

Deno.test({
  name: "notices: a non-root user (nobody) records under its UID and sees its own and public",
  ignore: !IS_ROOT,
  fn: async () => {
    const dir = await tempDir({ prefix: "pebble-test-" });
    await Deno.chmod(dir, 0o755);
    const d = await startDaemon({ dir });
    try {
      const asNobody = async (method: string, path: string, body?: string) =>
        JSON.parse(await curlAsNobody(d.socket, method, path, { body }));
      const rootId = await d.client.notify("custom", "example.com/root");
      const added = await asNobody(
        "POST",
        "/v1/notices",
        JSON.stringify({ action: "add", type: "custom", key: "example.com/mine" }),
      );
      assert.equal(added["status-code"], 200);
      const mine = added.result.id;
      assert.equal((await d.client.getNotice(mine)).userId, 65534);

      // nobody sees its own notice and public ones, not root's.
      const list = await asNobody("GET", "/v1/notices");
      assert.equal(list["status-code"], 200);
      const ids = list.result.map((n: { id: string }) => n.id);
      assert.ok(ids.includes(mine));
      assert.ok(!ids.includes(rootId));
      for (const n of list.result) assert.ok(n["user-id"] === null || n["user-id"] === 65534);
      const denied = await asNobody("GET", `/v1/notices/${rootId}`);
      assert.equal(denied["status-code"], 403);
      assert.equal(denied.result.message, `not allowed to access notice with id "${rootId}"`);
      for (const q of ["users=all", "user-id=0"]) {
        const r = await asNobody("GET", `/v1/notices?${q}`);
        assert.equal(r["status-code"], 403);
        assert.match(r.result.message, /^only admins may use the "(users|user-id)" filter$/);
      }
      // The admin sees root's and public notices by default, everyone's with users=all,
      // and one user's (plus public) with user-id.
      const rootView = (await d.client.getNotices()).map((n) => n.id);
      assert.ok(rootView.includes(rootId) && !rootView.includes(mine));
      const all = (await d.client.getNotices({ users: "all" })).map((n) => n.id);
      assert.ok(all.includes(rootId) && all.includes(mine));
      const nobodys = (await d.client.getNotices({ userId: 65534 })).map((n) => n.id);
      assert.ok(nobodys.includes(mine) && !nobodys.includes(rootId));
      assert.equal((await d.client.getNotice(mine)).key, "example.com/mine", "admin reads any");
    } finally {
      await d.stop();
    }
  },
});
