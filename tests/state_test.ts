import { tempDir } from "./_tmp.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { JournalStore, StateStore, StoredRecord } from "../server/state/journal.ts";
import { State } from "../server/state/state.ts";
import { TaskRunner } from "../server/state/task_runner.ts";
import { setLogSink } from "../server/log.ts";

setLogSink(() => {});

async function tempState(): Promise<{ dir: string; path: string }> {
  const dir = await tempDir({ prefix: "pebble-state-" });
  return { dir, path: join(dir, ".pebble.state") };
}

async function open(path: string): Promise<State> {
  const s = new State(new JournalStore(path));
  await s.load();
  return s;
}

Deno.test("state: changes, tasks and notices survive a reopen", async () => {
  const { dir, path } = await tempState();
  const s = await open(path);
  const chg = s.newChange("demo", "A demo change", { extra: "x" });
  const t = s.newTask("step", "First step");
  chg.addTask(t);
  t.logf("hello");
  t.setStatus("Done");
  s.addNotice(1000, "custom", "example.com/a", { data: { k: "v" } });
  s.warnf("something odd");
  await s.close();

  const s2 = await open(path);
  const c2 = s2.changes.get(chg.id)!;
  assert.equal(c2.kind, "demo");
  assert.equal(c2.status(), "Done");
  assert.ok(c2.readyTime);
  assert.equal(c2.tasks()[0].log.length, 1);
  assert.match(c2.tasks()[0].log[0], / INFO hello$/);
  const custom = s2.noticeList({ types: ["custom"] });
  assert.equal(custom.length, 1);
  assert.deepEqual(custom[0].lastData, { k: "v" });
  assert.equal(custom[0].userId, 1000);
  assert.equal(s2.noticeList({ types: ["warning"] })[0].key, "something odd");
  assert.ok(s2.latestWarning);
  const updates = s2.noticeList({ types: ["change-update"] });
  assert.equal(updates[0].key, chg.id);
  assert.equal(updates[0].lastData?.extra, "x");
  // Ids keep counting from where they were.
  assert.equal(s2.newChange("next", "Next").id, String(Number(chg.id) + 1));
  await s2.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("state: a torn journal tail is dropped, earlier records kept", async () => {
  const { dir, path } = await tempState();
  const s = await open(path);
  s.newChange("one", "One");
  await s.commit();
  s.newChange("two", "Two");
  await s.commit();
  await s.close();
  // Simulate a crash in the middle of an append.
  await Deno.writeTextFile(`${path}.journal`, '0badf00d {"k":"change","id":"3","v":{"id"', {
    append: true,
  });
  const s2 = await open(path);
  assert.deepEqual(s2.changeList().map((c) => c.kind), ["one", "two"]);
  assert.equal(s2.noticeList({ types: ["warning"] }).length, 0, "a torn tail is not a warning");
  await s2.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("state: a damaged record in the middle of the journal becomes a warning", async () => {
  const { dir, path } = await tempState();
  const s = await open(path);
  s.newChange("one", "One");
  await s.commit();
  s.newChange("two", "Two");
  await s.commit();
  await s.close();
  const lines = (await Deno.readTextFile(`${path}.journal`)).split("\n");
  // Flip a character inside the first record after the header: its checksum fails.
  lines[1] = lines[1].replace('"one"', '"0ne"');
  await Deno.writeTextFile(`${path}.journal`, lines.join("\n"));
  const s2 = await open(path);
  assert.deepEqual(s2.changeList().map((c) => c.kind), []);
  const warnings = s2.noticeList({ types: ["warning"] });
  assert.equal(warnings.length, 1);
  assert.match(warnings[0].key, /damaged record at line 2/);
  await s2.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("state: a corrupt state file is moved aside and the daemon starts fresh", async () => {
  const { dir, path } = await tempState();
  await Deno.writeTextFile(path, '{"format": "pebble-ts-state/1", "generation": 3, "rec');
  const s = await open(path);
  assert.equal(s.changeList().length, 0);
  const warnings = s.noticeList({ types: ["warning"] });
  assert.equal(warnings.length, 1);
  assert.match(warnings[0].key, /was unreadable/);
  const moved = [...Deno.readDirSync(dir)].filter((e) => e.name.includes(".corrupt-"));
  assert.equal(moved.length, 1);
  await s.close();
  // The next start is clean (no crash loop): the fresh state file reads fine.
  const s2 = await open(path);
  assert.equal(s2.noticeList({ types: ["warning"] }).length, 1);
  await s2.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("state: a journal from another generation is ignored", async () => {
  const { dir, path } = await tempState();
  const s = await open(path);
  s.newChange("kept", "Kept");
  await s.commit();
  await s.close();
  const oldJournal = await Deno.readTextFile(`${path}.journal`);
  // Reopen (which compacts into a new generation), then put the old journal back, as
  // if a crash happened between the snapshot rename and the journal reset.
  const s2 = await open(path);
  await s2.close();
  await Deno.writeTextFile(`${path}.journal`, oldJournal);
  const s3 = await open(path);
  assert.deepEqual(s3.changeList().map((c) => c.kind), ["kept"]);
  await s3.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("state: concurrent commits share flushes and the journal compacts", async () => {
  const writes: number[] = [];
  class CountingStore implements StateStore {
    inner: JournalStore;
    constructor(path: string) {
      this.inner = new JournalStore(path, 50);
    }
    load() {
      return this.inner.load();
    }
    write(records: StoredRecord[], all: () => StoredRecord[]) {
      writes.push(records.length);
      return this.inner.write(records, all);
    }
    close() {
      this.inner.close();
    }
  }
  const { dir, path } = await tempState();
  const s = new State(new CountingStore(path));
  await s.load();
  const commits = [];
  for (let i = 0; i < 100; i++) {
    s.addNotice(0, "custom", `example.com/n${i}`);
    commits.push(s.commit());
  }
  await Promise.all(commits);
  assert.ok(writes.length <= 3, `expected shared flushes, got ${writes.length}`);
  for (let i = 0; i < 200; i++) {
    s.addNotice(0, "custom", `example.com/m${i % 10}`);
    await s.commit();
  }
  await s.close();
  const journalLines = (await Deno.readTextFile(`${path}.journal`)).split("\n").length;
  assert.ok(journalLines < 400, `journal was compacted (${journalLines} lines)`);
  const s2 = await open(path);
  assert.equal(s2.noticeList().length, 110);
  const m0 = s2.noticeList({ keys: ["example.com/m0"] })[0];
  assert.equal(m0.occurrences, 20);
  await s2.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("state: notices repeat, count and filter like Pebble's", () => {
  const s = new State({
    load: () => Promise.resolve({ records: new Map(), problems: [] }),
    write: () => Promise.resolve(),
    close: () => {},
  });
  const t0 = (Date.now() - 3600_000) * 1000;
  const at = (sec: number) => t0 + sec * 1e6;
  const id = s.addNotice(1000, "custom", "a.com/x", { time: at(0), repeatAfterNs: 60e9 });
  assert.equal(s.addNotice(1000, "custom", "a.com/x", { time: at(10), repeatAfterNs: 60e9 }), id);
  let n = s.notice(id)!;
  assert.equal(n.occurrences, 2);
  assert.equal(n.lastRepeated, at(0), "within repeat-after: not repeated");
  assert.equal(n.lastOccurred, at(10));
  s.addNotice(1000, "custom", "a.com/x", { time: at(70), repeatAfterNs: 60e9 });
  n = s.notice(id)!;
  assert.equal(n.lastRepeated, at(70));
  // Another user's notice with the same key is another notice.
  const other = s.addNotice(2000, "custom", "a.com/x", { time: at(80) });
  assert.notEqual(other, id);
  assert.deepEqual(s.noticeList({ userId: 1000 }).map((x) => x.id), [id]);
  assert.deepEqual(s.noticeList({}).map((x) => x.id), [id, other]);
  assert.deepEqual(s.noticeList({ after: at(75) }).map((x) => x.id), [other]);
  assert.deepEqual(s.noticeList({ keys: ["a.com/y"] }), []);
});

Deno.test("task runner: runs in order, fails with Pebble's error text, undoes on abort", async () => {
  const s = new State({
    load: () => Promise.resolve({ records: new Map(), problems: [] }),
    write: () => Promise.resolve(),
    close: () => {},
  });
  const runner = new TaskRunner(s);
  const order: string[] = [];
  runner.addHandler("ok", (t) => {
    order.push(t.summary);
    return Promise.resolve();
  }, (t) => {
    order.push(`undo ${t.summary}`);
    return Promise.resolve();
  });
  runner.addHandler("fail", () => Promise.reject(new Error("boom")));
  runner.addHandler(
    "block",
    (_t, signal) =>
      new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason))),
  );

  const c1 = s.newChange("good", "Good");
  const a = s.newTask("ok", "A");
  const b = s.newTask("ok", "B");
  b.waitFor(a);
  c1.addTask(b);
  c1.addTask(a);
  runner.ensure();
  await c1.ready();
  assert.deepEqual(order, ["A", "B"]);
  assert.equal(c1.status(), "Done");
  assert.equal(c1.err(), null);

  order.length = 0;
  const c2 = s.newChange("bad", "Bad");
  const x = s.newTask("ok", "X");
  const y = s.newTask("fail", "Y");
  const z = s.newTask("ok", "Z");
  y.waitFor(x);
  z.waitFor(y);
  c2.addTask(x);
  c2.addTask(y);
  c2.addTask(z);
  runner.ensure();
  await c2.ready();
  assert.equal(c2.status(), "Error");
  assert.equal(c2.err(), "cannot perform the following tasks:\n- Y (boom)");
  assert.equal(x.status, "Undone");
  assert.equal(z.status, "Hold");
  assert.deepEqual(order, ["X", "undo X"]);

  const c3 = s.newChange("slow", "Slow");
  const w = s.newTask("block", "W");
  c3.addTask(w);
  runner.ensure();
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(w.status, "Doing");
  s.abortChange(c3);
  await c3.ready();
  assert.equal(c3.status(), "Undone");
  await runner.stop();
});
