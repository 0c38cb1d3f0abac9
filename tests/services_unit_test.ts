// Unit tests of the pure parts of services: backoff and jitter, actions, statuses,
// user/group resolution, the log ring buffer and its line cutting.

import { tempDir } from "./_tmp.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { buildPlan, parseLayer } from "../plan/mod.ts";
import { actionFor, nextBackoff, stateToStatus, withJitter } from "../server/services/mod.ts";
import { formatEntry, goJsonTime, LogBuffer, LogStreamWriter } from "../server/logs/mod.ts";
import { resolveUserGroup } from "../server/process/mod.ts";

function service(yaml: string) {
  const plan = buildPlan([parseLayer(`services:\n  svc:\n${yaml}`, { label: "base" })]);
  return plan.services.svc;
}

const MS = 1e6;

Deno.test("backoff grows by the factor and is capped at the limit", () => {
  const s = service(`    override: replace
    command: x
    backoff-delay: 100ms
    backoff-factor: 3
    backoff-limit: 1s
`);
  const seen: number[] = [];
  let t = 0;
  for (let i = 0; i < 5; i++) seen.push((t = nextBackoff(s, t)) / MS);
  assert.deepEqual(seen, [100, 300, 900, 1000, 1000]);
});

Deno.test("backoff defaults: 500ms, x2, 30s", () => {
  const s = service("    override: replace\n    command: x\n");
  let t = 0;
  const seen: number[] = [];
  for (let i = 0; i < 8; i++) seen.push((t = nextBackoff(s, t)) / MS);
  assert.deepEqual(seen, [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000]);
});

Deno.test("jitter adds 0 to 10 percent", () => {
  assert.equal(withJitter(1000 * MS, 0), 1000 * MS);
  assert.equal(withJitter(1000 * MS, 0.5), 1050 * MS);
  assert.ok(withJitter(1000 * MS, 0.999999) < 1100 * MS);
  for (let i = 0; i < 100; i++) {
    const d = withJitter(200 * MS, Math.random());
    assert.ok(d >= 200 * MS && d < 220 * MS);
  }
});

Deno.test("actions default to restart; on-success and on-failure are chosen by exit", () => {
  const s = service(
    "    override: replace\n    command: x\n    on-success: ignore\n    on-failure: shutdown\n",
  );
  assert.deepEqual(actionFor(s, true), ["ignore", "on-success"]);
  assert.deepEqual(actionFor(s, false), ["shutdown", "on-failure"]);
  const d = service("    override: replace\n    command: x\n");
  assert.deepEqual(actionFor(d, true), ["restart", "on-success"]);
  assert.deepEqual(actionFor(d, false), ["restart", "on-failure"]);
});

Deno.test("states map to the API's statuses", () => {
  assert.equal(stateToStatus("starting"), "active");
  assert.equal(stateToStatus("running"), "active");
  assert.equal(stateToStatus("terminating"), "inactive");
  assert.equal(stateToStatus("killing"), "inactive");
  assert.equal(stateToStatus("stopped"), "inactive");
  assert.equal(stateToStatus("backoff"), "backoff");
  assert.equal(stateToStatus("exited"), "error");
});

Deno.test("resolveUserGroup follows Pebble's rules and messages", async () => {
  const dir = await tempDir();
  const passwd = join(dir, "passwd");
  const group = join(dir, "group");
  await Deno.writeTextFile(
    passwd,
    "root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1001::/home/alice:/bin/sh\n",
  );
  await Deno.writeTextFile(group, "root:x:0:\nstaff:x:50:\nalice:x:1001:\n");
  const files = { passwd, group };
  assert.equal(resolveUserGroup({}, files), null);
  assert.deepEqual(resolveUserGroup({ user: "alice" }, files), { uid: 1000, gid: 1001 });
  assert.deepEqual(resolveUserGroup({ userId: 1000 }, files), { uid: 1000, gid: 1001 });
  assert.deepEqual(resolveUserGroup({ user: "alice", group: "staff" }, files), {
    uid: 1000,
    gid: 50,
  });
  assert.deepEqual(resolveUserGroup({ userId: 5, groupId: 6 }, files), { uid: 5, gid: 6 });
  assert.throws(
    () => resolveUserGroup({ user: "bob" }, files),
    /^UserGroupError: user: unknown user bob$/,
  );
  assert.throws(
    () => resolveUserGroup({ group: "staff" }, files),
    /must specify user, not just group/,
  );
  assert.throws(() => resolveUserGroup({ userId: 77 }, files), /user: unknown userid 77/);
  assert.throws(
    () => resolveUserGroup({ user: "alice", userId: 1 }, files),
    /user "alice" UID \(1000\) does not match user-id \(1\)/,
  );
  assert.throws(
    () => resolveUserGroup({ user: "alice", group: "staff", groupId: 2 }, files),
    /group "staff" GID \(50\) does not match group-id \(2\)/,
  );
  assert.throws(
    () => resolveUserGroup({ user: "alice", group: "nope" }, files),
    /group: unknown group nope/,
  );
  await Deno.remove(dir, { recursive: true });
});

function collect(buffer: LogBuffer): string {
  return buffer.last(-1).map(formatEntry).join("");
}

Deno.test("log lines get Pebble's prefix; partial lines keep their start time", () => {
  let now = Date.UTC(2021, 4, 3, 3, 55, 49, 654);
  const buf = new LogBuffer("svc");
  const w = new LogStreamWriter(buf, () => now);
  const enc = new TextEncoder();
  w.write(enc.encode("first\nsec"));
  now += 1000;
  w.write(enc.encode("ond\nthird\n"));
  assert.equal(
    collect(buf),
    "2021-05-03T03:55:49.654Z [svc] first\n2021-05-03T03:55:49.654Z [svc] second\n" +
      "2021-05-03T03:55:50.654Z [svc] third\n",
  );
  assert.deepEqual(buf.last(2).map((e) => e.message), ["second\n", "third\n"]);
  w.write(enc.encode("prompt> "));
  w.flush(); // what the partial-line timer does
  w.write(enc.encode("answer\n"));
  w.close();
  assert.deepEqual(buf.last(1).map((e) => [e.message, e.continued]), [
    ["prompt> ", false],
    ["answer\n", true],
  ]);
  assert.equal(goJsonTime(Date.UTC(2021, 4, 3, 3, 55, 49, 650)), "2021-05-03T03:55:49.65Z");
  assert.equal(goJsonTime(Date.UTC(2021, 4, 3, 3, 55, 49, 0)), "2021-05-03T03:55:49Z");
});

Deno.test("stdout and stderr are cut separately; bad UTF-8 and split characters survive", () => {
  const buf = new LogBuffer("svc");
  const out = new LogStreamWriter(buf, () => 0);
  const err = new LogStreamWriter(buf, () => 0);
  out.write(new TextEncoder().encode("partial "));
  err.write(new TextEncoder().encode("error line\n"));
  out.write(new TextEncoder().encode("rest\n"));
  const euro = new TextEncoder().encode("€\n"); // 3 bytes + newline
  out.write(euro.subarray(0, 1));
  out.write(euro.subarray(1));
  out.write(new Uint8Array([0x66, 0xff, 0xfe, 0x6f, 0x0a]));
  out.close();
  err.close();
  // The partial stdout line waits for its end; stderr's line is not mixed into it.
  const messages = buf.last(-1).map((e) => [e.message, e.continued]);
  assert.deepEqual(messages, [
    ["error line\n", false],
    ["partial rest\n", false],
    ["€\n", false],
    ["f\ufffd\ufffdo\n", false],
  ]);
});

Deno.test("the ring stays within its capacity however much is written", () => {
  const buf = new LogBuffer("svc", 10 * 1024);
  const w = new LogStreamWriter(buf, () => 0);
  const line = new TextEncoder().encode("x".repeat(99) + "\n");
  for (let i = 0; i < 10_000; i++) w.write(line);
  assert.ok(buf.bytes <= 10 * 1024, `held ${buf.bytes}`);
  assert.ok(buf.last(-1).length > 50);
  assert.equal(buf.last(3).length, 3);
  // One very long line is truncated to the capacity, and later lines are intact.
  w.write(new TextEncoder().encode("y".repeat(50_000)));
  w.write(new TextEncoder().encode("\nafter\n"));
  w.close();
  assert.ok(buf.bytes <= 10 * 1024);
  assert.equal(buf.last(1)[0].message, "after\n");
});

Deno.test("followers hear each new entry", () => {
  const buf = new LogBuffer("svc");
  const got: string[] = [];
  const off = buf.subscribe((e) => got.push(e.message));
  buf.append(0, "a\n", false);
  off();
  buf.append(0, "b\n", false);
  assert.deepEqual(got, ["a\n"]);
});
