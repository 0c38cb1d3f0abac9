// The files API's disk call policy (fsyncs, large reads): on the event loop while the disk
// is quick, on the pool after a slow call, for large fsyncs and while another is in flight;
// and an upload's atomic file written through either path.

import assert from "node:assert/strict";
import {
  DiskPolicy,
  SLOW_COOL_DOWN_MS,
  SLOW_MS,
  STALL_MS,
  SYNC_FSYNC_BYTES,
  type Syncable,
} from "../server/files/disk.ts";
import { AtomicFile } from "../server/files/write.ts";
import { makeDirectory } from "../server/files/dirs.ts";
import { FileError } from "../server/files/errors.ts";
import { join } from "node:path";
import { tempDir } from "./_tmp.ts";

/** A file whose fsyncs are counted by kind; each synchronous one takes `syncMs` of the clock. */
class FakeFile implements Syncable {
  syncCalls = 0;
  asyncCalls = 0;
  syncMs = 0;
  release: (() => void) | null = null;
  constructor(readonly clock: { now: number }) {}
  syncSync(): void {
    this.syncCalls++;
    this.clock.now += this.syncMs;
  }
  sync(): Promise<void> {
    this.asyncCalls++;
    return new Promise((resolve) => (this.release = resolve));
  }
}

function setup() {
  const clock = { now: 1000 };
  const policy = new DiskPolicy(() => clock.now);
  return { clock, policy, file: new FakeFile(clock) };
}

Deno.test("fsync policy: small files and directories are fsynced on the event loop", async () => {
  const { policy, file } = setup();
  await policy.fsync(file, 0);
  await policy.fsync(file, 4096);
  await policy.fsync(file, SYNC_FSYNC_BYTES);
  assert.equal(file.syncCalls, 3);
  assert.equal(file.asyncCalls, 0);
});

Deno.test("fsync policy: a large file is fsynced on the pool", async () => {
  const { policy, file } = setup();
  const done = policy.fsync(file, SYNC_FSYNC_BYTES + 1);
  assert.equal(file.asyncCalls, 1);
  file.release!();
  await done;
  assert.equal(file.syncCalls, 0);
});

Deno.test("fsync policy: a stalling fsync sends the next ones to the pool for the cool-down", async () => {
  const { clock, policy, file } = setup();
  file.syncMs = STALL_MS + 1;
  await policy.fsync(file, 10);
  assert.equal(file.syncCalls, 1);
  assert.ok(policy.cooling);

  file.syncMs = 0;
  clock.now += SLOW_COOL_DOWN_MS - 10;
  const pooled = policy.fsync(file, 10);
  assert.equal(file.asyncCalls, 1);
  file.release!();
  await pooled;
  assert.equal(file.syncCalls, 1);

  clock.now += 20;
  assert.ok(!policy.cooling);
  await policy.fsync(file, 10);
  assert.equal(file.syncCalls, 2);
});

Deno.test("fsync policy: a rare slow fsync among quick ones keeps the event-loop path", async () => {
  const { policy, file } = setup();
  file.syncMs = 0.3;
  for (let i = 0; i < 20; i++) await policy.fsync(file, 10);
  file.syncMs = SLOW_MS * 2; // 6 ms: the slowest seen in thousands on a quick disk
  await policy.fsync(file, 10);
  file.syncMs = 0.3;
  for (let i = 0; i < 20; i++) await policy.fsync(file, 10);
  assert.ok(!policy.cooling);
  assert.equal(file.syncCalls, 41);
  assert.equal(file.asyncCalls, 0);
});

Deno.test("fsync policy: a disk that is slow again and again goes to the pool after a few", async () => {
  const { policy, file } = setup();
  file.syncMs = SLOW_MS * 3;
  let n = 0;
  while (!policy.cooling && n < 100) {
    await policy.fsync(file, 10);
    n++;
  }
  assert.ok(policy.cooling);
  assert.ok(n > 1 && n <= 5, `${n} slow fsyncs before the pool`);
  const pooled = policy.fsync(file, 10);
  assert.equal(file.asyncCalls, 1);
  file.release!();
  await pooled;
});

Deno.test("fsync policy: while a pooled fsync is in flight, others go to the pool too", async () => {
  const { policy, file } = setup();
  const other = new FakeFile({ now: 0 });
  const big = policy.fsync(other, SYNC_FSYNC_BYTES * 4);
  const small = policy.fsync(file, 10);
  assert.equal(file.asyncCalls, 1);
  assert.equal(file.syncCalls, 0);
  other.release!();
  file.release!();
  await Promise.all([big, small]);
  await policy.fsync(file, 10);
  assert.equal(file.syncCalls, 1);
});

Deno.test("fsync policy: a failing fsync is reported and does not leave the pool counted", async () => {
  const { policy } = setup();
  const failing: Syncable = {
    syncSync() {
      throw new Error("EIO");
    },
    sync: () => Promise.reject(new Error("EIO on pool")),
  };
  assert.throws(() => policy.fsync(failing, 10), /EIO/);
  await assert.rejects(
    async () => await policy.fsync(failing, SYNC_FSYNC_BYTES + 1),
    /EIO on pool/,
  );
  const { file } = setup();
  await policy.fsync(file, 10);
  assert.equal(file.syncCalls, 1);
});

Deno.test("disk policy: a read's result comes back from either path; a stalling read sends the next ones to the pool", async () => {
  const clock = { now: 1000 };
  const policy = new DiskPolicy(() => clock.now);
  const calls: string[] = [];
  const read = (ms: number) =>
    policy.run(true, () => {
      calls.push("sync");
      clock.now += ms;
      return 4096;
    }, () => {
      calls.push("pool");
      return Promise.resolve(null);
    });
  assert.equal(await read(0.05), 4096);
  assert.equal(await read(STALL_MS + 1), 4096);
  assert.equal(await read(0.05), null);
  assert.deepEqual(calls, ["sync", "sync", "pool"]);
});

Deno.test("atomic file: results and promises from the event loop and the pool alike", async () => {
  const dir = await tempDir();
  const KiB = 1024;
  // A write above a chunk goes to the pool; while it is in flight, the other file's
  // calls go there too: its buffer's flush (mid-append) and both fsyncs.
  const big = AtomicFile.create(join(dir, "big"), 0o644);
  const bigData = new Uint8Array(300 * KiB).fill(1);
  const bigWritten = big.write(bigData);
  assert.ok(bigWritten instanceof Promise);
  const small = AtomicFile.create(join(dir, "small"), 0o600);
  assert.equal(small.write(new Uint8Array(10).fill(2)), undefined, "buffered at once");
  const filling = small.write(new Uint8Array(256 * KiB).fill(3));
  assert.ok(filling instanceof Promise, "the flush waits for the pool");
  await Promise.all([bigWritten, filling]);
  const prepared = [big.prepare(null), small.prepare(null)];
  assert.ok(prepared.every((p) => p instanceof Promise), "files above a chunk fsync on the pool");
  await Promise.all(prepared);
  big.commit();
  small.commit();
  assert.deepEqual(await Deno.readFile(join(dir, "big")), bigData);
  const got = await Deno.readFile(join(dir, "small"));
  assert.equal(got.length, 256 * KiB + 10);
  assert.deepEqual([got[0], got[9], got[10], got[got.length - 1]], [2, 2, 3, 3]);
  assert.equal((await Deno.stat(join(dir, "small"))).mode! & 0o777, 0o600);

  // Nothing waits for a small file on a quick disk: written, fsynced and renamed at once.
  const quick = AtomicFile.create(join(dir, "quick"), 0o644);
  assert.equal(quick.write(new TextEncoder().encode("now")), undefined);
  assert.equal(quick.prepare(null), undefined);
  quick.commit();
  assert.equal(await Deno.readTextFile(join(dir, "quick")), "now");
  assert.deepEqual((await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort(), [
    "big",
    "quick",
    "small",
  ]);
});

Deno.test("make directories: at once on a quick disk; behind a pooled fsync, in order", async () => {
  const dir = await tempDir();
  const deep = join(dir, "a/b/c");
  // While a large file's fsync is on the pool, the directories are made at once but their
  // parents' fsyncs go to the pool too: the call gives a promise, and a second call (for a
  // directory that exists by now) waits for the first.
  const big = AtomicFile.create(join(dir, "big"), 0o644);
  await big.write(new Uint8Array(300 * 1024));
  const prepared = big.prepare(null);
  assert.ok(prepared instanceof Promise);
  const first = makeDirectory(deep, 0o750, { makeParents: true });
  assert.ok(first instanceof Promise, "a parent's fsync went to the pool");
  assert.equal(Deno.statSync(deep).mode! & 0o777, 0o750, "made before any fsync ends");
  const order: string[] = [];
  const second = makeDirectory(deep, 0o755, { makeParents: true, existOk: true });
  assert.ok(second instanceof Promise, "waits for the first call's fsyncs");
  await Promise.all([
    first.then(() => order.push("first")),
    second.then(() => order.push("second")),
    prepared,
  ]);
  assert.deepEqual(order, ["first", "second"]);
  big.cancel();

  // Nothing in flight: an existing directory, or a new one, with no promise.
  assert.equal(makeDirectory(deep, 0o755, { makeParents: true, existOk: true }), undefined);
  assert.equal(makeDirectory(join(dir, "d/e"), 0o755, { makeParents: true }), undefined);
  assert.ok(Deno.statSync(join(dir, "d/e")).isDirectory);

  // Faults come at once, naming the path, with no half-made directory left.
  Deno.writeTextFileSync(join(dir, "f"), "");
  assert.throws(
    () => makeDirectory(join(dir, "f/x"), 0o755, { makeParents: true }),
    (e) => e instanceof FileError && e.message === `mkdir ${dir}/f: not a directory`,
  );
  assert.throws(
    () => makeDirectory(deep, 0o755, {}),
    (e) => e instanceof FileError && e.message === `mkdir ${deep}: file exists`,
  );
  assert.throws(
    () => makeDirectory(join(dir, "g/h"), 0o755, {}),
    (e) => e instanceof FileError && e.kind === "not-found" && e.message.includes("g/h.mkdir-new"),
  );
  assert.deepEqual((await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort(), [
    "a",
    "d",
    "f",
  ]);
});
