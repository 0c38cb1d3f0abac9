/**
 * Notices in the daemon state (in-process): change-update notices over a change's
 * lifecycle, strictly increasing times, expiry and pruning; and the parsing helpers the
 * notices API uses to match Pebble (Go's RFC 3339 parsing, raw JSON members).
 */

import assert from "node:assert/strict";
import { startInProcess } from "./_helpers.ts";
import { State } from "../server/state/state.ts";
import { MemoryStore } from "../server/state/journal.ts";
import { formatMicros, parseMicros } from "../server/state/notices.ts";
import { parseGoRFC3339 } from "../server/api/go_time.ts";
import { parseFirstJson, rawMember } from "../server/api/notices.ts";

Deno.test("notices: a change records change-update notices over its lifecycle", async () => {
  const { daemon, client } = await startInProcess();
  try {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    daemon.runner.addHandler("test-gate", () => gate);
    const st = daemon.state;
    const change = st.newChange("demo", "Demo change", { extra: "x" });
    change.addTask(st.newTask("test-gate", "Wait for the gate"));
    const spawned = await client.getNotices({ types: ["change-update"], keys: [change.id] });
    assert.equal(spawned.length, 1);
    assert.equal(spawned[0].userId, null, "change updates are public");
    assert.deepEqual(spawned[0].lastData, { extra: "x", kind: "demo" });
    assert.equal(spawned[0].occurrences, 1);

    // Doing: a long-poll after the spawn notice wakes for the status change.
    const afterSpawn = spawned[0].lastRepeated;
    daemon.runner.ensure();
    const doing = await client.waitNotices({
      types: ["change-update"],
      keys: [change.id],
      after: afterSpawn,
      timeout: 10,
    });
    assert.equal(doing.length, 1);
    assert.equal(doing[0].occurrences, 2);
    assert.equal((await client.getChange(change.id)).status, "Doing");

    // Done.
    const waiting = client.waitNotices({
      types: ["change-update"],
      keys: [change.id],
      after: doing[0].lastRepeated,
      timeout: 10,
    });
    release();
    const done = await waiting;
    assert.equal(done[0].occurrences, 3);
    assert.equal((await client.waitChange(change.id)).status, "Done");
    assert.equal((await client.getNotice(done[0].id)).occurrences, 3, "no notice without a change");

    // A failing change: Do, Doing, Error.
    daemon.runner.addHandler("test-fail", () => Promise.reject(new Error("broken")));
    const bad = st.newChange("broken", "Broken change");
    bad.addTask(st.newTask("test-fail", "Break"));
    daemon.runner.ensure();
    assert.equal((await client.waitChange(bad.id)).status, "Error");
    const [n] = await client.getNotices({ types: ["change-update"], keys: [bad.id] });
    assert.equal(n.occurrences, 3);
    assert.deepEqual(n.lastData, { kind: "broken" });
  } finally {
    await daemon.stop();
  }
});

Deno.test("notices: occurrence times strictly increase, so `after` never skips one", () => {
  const s = new State(new MemoryStore());
  const ids: string[] = [];
  for (let i = 0; i < 50; i++) ids.push(s.addNotice(0, "custom", `example.com/k${i % 7}`));
  const list = s.noticeList();
  for (let i = 1; i < list.length; i++) assert.ok(list[i].lastRepeated > list[i - 1].lastRepeated);
  // Paging with `after` = the last one seen visits every repeat exactly once.
  let after: number | undefined;
  let seen = 0;
  for (;;) {
    const page = s.noticeList({ after });
    if (page.length === 0) break;
    after = page[0].lastRepeated;
    seen++;
  }
  assert.equal(seen, 7);
  assert.equal(ids[0], ids[7]);
});

Deno.test("notices: expired notices are hidden and pruned, the most recent 1000 kept", () => {
  const s = new State(new MemoryStore());
  const nowUs = Date.now() * 1000;
  const day = 24 * 3600 * 1e6;
  const old = s.addNotice(0, "custom", "example.com/old", { time: nowUs - 8 * day });
  s.addNotice(0, "custom", "example.com/new", { time: nowUs - day });
  assert.deepEqual(s.noticeList().map((n) => n.key), ["example.com/new"]);
  s.prune();
  assert.equal(s.notice(old), undefined);
  // Pebble keeps the notices that occurred last (not those repeated last): this one
  // repeated long ago but occurred just now.
  const quiet = { repeatAfterNs: 3 * day * 1000 };
  s.addNotice(0, "custom", "example.com/quiet", { ...quiet, time: nowUs - 2 * day });
  s.addNotice(0, "custom", "example.com/quiet", { ...quiet, time: nowUs - 10 });
  for (let i = 0; i < 1100; i++) {
    s.addNotice(0, "custom", `example.com/n${i}`, { time: nowUs - day + i });
  }
  s.prune();
  const keys = s.noticeList().map((n) => n.key);
  assert.equal(keys.length, 1000);
  assert.ok(keys.includes("example.com/quiet"), "kept: it occurred most recently");
  assert.ok(!keys.includes("example.com/new"));
  assert.ok(!keys.includes("example.com/n100"));
  assert.ok(keys.includes("example.com/n101"));
  assert.ok(keys.includes("example.com/n1099"));
});

Deno.test("notices: times format like Go's RFC3339Nano and parse back exactly", () => {
  const us = Date.UTC(2024, 4, 3, 3, 55, 49) * 1000 + 654_100;
  assert.equal(formatMicros(us), "2024-05-03T03:55:49.6541Z");
  assert.equal(formatMicros(us - 654_100), "2024-05-03T03:55:49Z");
  assert.equal(parseMicros("2024-05-03T03:55:49.6541Z"), us);
  assert.equal(parseMicros("2024-05-03T05:55:49.654100999+02:00"), us);
});

Deno.test("notices: `after` is parsed as Go's time.Parse(RFC3339) parses it", () => {
  const base = Date.UTC(2024, 0, 2, 3, 4, 5) * 1000;
  assert.equal(parseGoRFC3339("2024-01-02T03:04:05Z"), base);
  assert.equal(parseGoRFC3339("2024-01-02T03:04:05.123456789Z"), base + 123456);
  assert.equal(parseGoRFC3339("2024-01-02T03:04:05,5Z"), base + 500000);
  assert.equal(parseGoRFC3339("2024-01-02T04:04:05+01:00"), base);
  assert.equal(parseGoRFC3339("2024-01-02T3:04:05Z"), base, "Go accepts a one-digit hour");
  const err = (text: string) => {
    try {
      parseGoRFC3339(text);
    } catch (e) {
      return (e as Error).message;
    }
    return "parsed";
  };
  const layout = '"2006-01-02T15:04:05Z07:00"';
  assert.equal(err("x"), `parsing time "x" as ${layout}: cannot parse "x" as "2006"`);
  assert.equal(
    err("2024-01-02t03:04:05Z"),
    `parsing time "2024-01-02t03:04:05Z" as ${layout}: cannot parse "t03:04:05Z" as "T"`,
  );
  assert.equal(
    err("2024-01-02T03:04:05z"),
    `parsing time "2024-01-02T03:04:05z" as ${layout}: cannot parse "z" as "Z07:00"`,
  );
  assert.equal(
    err("2024-13-02T03:04:05Z"),
    'parsing time "2024-13-02T03:04:05Z": month out of range',
  );
  assert.equal(
    err("2023-02-29T03:04:05Z"),
    'parsing time "2023-02-29T03:04:05Z": day out of range',
  );
  assert.equal(err("2024-02-29T03:04:05Z"), "parsed");
  assert.equal(
    err("2024-01-02T24:00:00Z"),
    'parsing time "2024-01-02T24:00:00Z": hour out of range',
  );
  assert.equal(
    err("2024-01-02T03:04:05Zjunk"),
    'parsing time "2024-01-02T03:04:05Zjunk": extra text: "junk"',
  );
});

Deno.test("notices: raw JSON members are found as sent; trailing text is ignored like Go", () => {
  const text = '{"a": 1, "data" : { "k": "v, }" ,"n":[1,{"x":"]"}]} , "z": "data"}';
  assert.equal(rawMember(text, "data"), '{ "k": "v, }" ,"n":[1,{"x":"]"}]}');
  assert.equal(rawMember(text, "z"), '"data"');
  assert.equal(rawMember(text, "missing"), undefined);
  assert.equal(rawMember('{"data":null}', "data"), "null");
  assert.equal(rawMember('{"d\\u0061ta":"x","data":"y"}', "data"), '"y"');
  assert.deepEqual(parseFirstJson('{"a":"b"} trailing'), { a: "b" });
  assert.throws(() => parseFirstJson('{"a":}'));
});
