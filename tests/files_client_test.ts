/**
 * The typed client's files methods against the real daemon: round trips, owners and
 * modes, pushPath/pullPath trees, exists/isDir, and a large file in bounded memory.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { APIError, type Client, MultiPushPullError, PathError } from "../mod.ts";
import { pullBytes } from "../client/files.ts";
import { IS_ROOT, openFilesUnder, waitFor, withDaemonAndDir } from "./_helpers.ts";

async function text(stream: ReadableStream<string>): Promise<string> {
  let s = "";
  for await (const c of stream) s += c;
  return s;
}

async function bytes(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

async function tree(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  const entries = [];
  for await (const e of Deno.readDir(join(dir, prefix))) entries.push(e);
  entries.sort((a, b) => a.name < b.name ? -1 : 1);
  for (const e of entries) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory) out.push(`${rel}/`, ...await tree(dir, rel));
    else out.push(`${rel}=${await Deno.readTextFile(join(dir, rel))}`);
  }
  return out;
}

Deno.test("files client: text, binary and empty files round-trip", async () => {
  await withDaemonAndDir(async ({ client }, dir) => {
    const p = (n: string) => join(dir, n);
    await client.push(p("text"), "héllo\nwörld\n");
    assert.equal(await text(await client.pull(p("text"))), "héllo\nwörld\n");

    const all = Uint8Array.from({ length: 4096 }, (_, i) => (i * 7) % 256);
    await client.push(p("bin"), all, { permissions: 0o600 });
    assert.deepEqual(await bytes(await client.pull(p("bin"), { encoding: null })), all);
    assert.equal((await Deno.stat(p("bin"))).mode! & 0o777, 0o600);

    await client.push(p("empty"), "");
    assert.equal((await bytes(await client.pull(p("empty"), { encoding: null }))).length, 0);

    await Deno.writeFile(p("local"), all);
    {
      using f = await Deno.open(p("local"));
      await client.push(p("from-file"), f);
    }
    await client.push(p("from-stream"), ReadableStream.from(["a", "b", new Uint8Array([99])]));
    assert.deepEqual(await Deno.readFile(p("from-file")), all);
    assert.equal(await Deno.readTextFile(p("from-stream")), "abc");

    await client.push(p("deep/er/file"), "x", { makeDirs: true });
    assert.equal(await Deno.readTextFile(p("deep/er/file")), "x");

    const infos = await client.listFiles(dir, { pattern: "b*" });
    assert.equal(infos.length, 1);
    assert.equal(infos[0].name, "bin");
    assert.equal(infos[0].size, 4096);
    assert.equal(infos[0].permissions, 0o600);
    assert.ok(infos[0].lastModified instanceof Date);
  });
});

Deno.test("files client: errors are PathErrors with Pebble's kinds", async () => {
  await withDaemonAndDir(async ({ client }, dir) => {
    await assert.rejects(
      client.pull(join(dir, "nope")),
      (e) =>
        e instanceof PathError && e.kind === "not-found" &&
        e.message === `stat ${dir}/nope: no such file or directory`,
    );
    await assert.rejects(
      client.pull(dir),
      (e) => e instanceof PathError && e.kind === "generic-file-error",
    );
    await assert.rejects(
      client.push(join(dir, "a/b"), "x"),
      (e) => e instanceof PathError && e.kind === "not-found",
    );
    await assert.rejects(
      client.push("rel", "x"),
      (e) => e instanceof PathError && e.message === `paths must be absolute, got "rel"`,
    );
    await client.makeDir(join(dir, "d"));
    await assert.rejects(
      client.makeDir(join(dir, "d")),
      (e) => e instanceof PathError && /file exists/.test(e.message),
    );
    await client.push(join(dir, "d/f"), "x");
    await assert.rejects(
      client.removePath(join(dir, "d")),
      (e) => e instanceof PathError && /directory not empty/.test(e.message),
    );
    await client.removePath(join(dir, "d"), { recursive: true });
    await assert.rejects(
      client.listFiles(join(dir, "d")),
      (e) => e instanceof APIError && e.code === 404 && e.kind === "not-found",
    );
    assert.equal(await client.exists(join(dir, "d")), false);
    assert.equal(await client.exists(dir), true);
    assert.equal(await client.isDir(dir), true);
    await client.push(join(dir, "f"), "");
    assert.equal(await client.isDir(join(dir, "f")), false);
  });
});

Deno.test({
  name: "files client: modes and owners (as root)",
  ignore: !IS_ROOT,
  fn: async () => {
    await withDaemonAndDir(async ({ client }, dir) => {
      await client.push(join(dir, "n/o/f"), "x", {
        user: "nobody",
        makeDirs: true,
        permissions: 0o640,
      });
      const st = await Deno.stat(join(dir, "n/o/f"));
      assert.equal(st.uid, 65534);
      assert.equal(st.mode! & 0o777, 0o640);
      assert.equal((await Deno.stat(join(dir, "n/o"))).uid, 65534);
      assert.equal((await Deno.stat(join(dir, "n"))).mode! & 0o777, 0o755);
      await client.makeDir(join(dir, "m"), { userId: 65534, groupId: 0, permissions: 0o700 });
      const m = await Deno.stat(join(dir, "m"));
      assert.deepEqual([m.uid, m.gid, m.mode! & 0o777], [65534, 0, 0o700]);
      const [info] = await client.listFiles(join(dir, "m"), { itself: true });
      assert.equal(info.userId, 65534);
      assert.equal(info.user, "nobody");
      await assert.rejects(
        client.push(join(dir, "u"), "x", { userId: 0, user: "nobody" }),
        /user "nobody" UID \(65534\) does not match user-id \(0\)/,
      );
    });
  },
});

Deno.test("files client: pushPath and pullPath copy trees as ops does", async () => {
  await withDaemonAndDir(async ({ client }, dir) => {
    const src = join(dir, "src");
    await Deno.mkdir(join(src, "foo/bar/empty"), { recursive: true });
    await Deno.writeTextFile(join(src, "foo/bar/baz.txt"), "baz");
    await Deno.writeTextFile(join(src, "foo/foobar.txt"), "foobar");
    await Deno.writeTextFile(join(src, "quux.txt"), "quux");
    await Deno.chmod(join(src, "quux.txt"), 0o600);
    await Deno.symlink("foobar.txt", join(src, "foo/link.txt"));

    const remote = join(dir, "remote");
    await client.pushPath(join(src, "foo"), remote);
    await client.pushPath([join(src, "foo/*"), join(src, "quux.txt")], join(remote, "flat"));
    assert.deepEqual(await tree(remote), [
      "flat/",
      "flat/bar/",
      "flat/bar/baz.txt=baz",
      "flat/bar/empty/",
      "flat/foobar.txt=foobar",
      "flat/link.txt=foobar",
      "flat/quux.txt=quux",
      "foo/",
      "foo/bar/",
      "foo/bar/baz.txt=baz",
      "foo/bar/empty/",
      "foo/foobar.txt=foobar",
      "foo/link.txt=foobar",
    ]);
    assert.equal((await Deno.stat(join(remote, "flat/quux.txt"))).mode! & 0o777, 0o600);

    const back = join(dir, "back");
    await client.pullPath(join(remote, "foo"), back);
    await client.pullPath([join(remote, "flat/*")], join(back, "x"));
    assert.deepEqual(await tree(back), [
      "foo/",
      "foo/bar/",
      "foo/bar/baz.txt=baz",
      "foo/bar/empty/",
      "foo/foobar.txt=foobar",
      "foo/link.txt=foobar",
      "x/",
      "x/bar/",
      "x/bar/baz.txt=baz",
      "x/bar/empty/",
      "x/foobar.txt=foobar",
      "x/link.txt=foobar",
      "x/quux.txt=quux",
    ]);

    // Errors are collected per source; the other sources are still copied.
    const err = await client.pushPath(
      [join(src, "missing"), join(src, "quux.txt")],
      join(dir, "partial"),
    ).catch((e) => e);
    assert.ok(err instanceof MultiPushPullError);
    assert.deepEqual(err.errors.map(([p]) => p), [join(src, "missing")]);
    assert.equal(await Deno.readTextFile(join(dir, "partial/quux.txt")), "quux");
    const pullErr = await client.pullPath(
      ["/no/such", join(remote, "flat/quux.txt")],
      join(dir, "p2"),
    )
      .catch((e) => e);
    assert.ok(pullErr instanceof MultiPushPullError);
    assert.ok(pullErr.errors[0][1] instanceof APIError);
    assert.equal(await Deno.readTextFile(join(dir, "p2/quux.txt")), "quux");
  });
});

function rss(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

Deno.test("files client: a push whose source fails rejects with the source's error", async () => {
  await withDaemonAndDir(async (d, dir) => {
    const broken = new Error("the source broke");
    let sent = 0;
    const source = new ReadableStream<Uint8Array>({
      pull(ctl) {
        if (sent++ < 3) ctl.enqueue(new Uint8Array(64 * 1024).fill(1));
        else ctl.error(broken);
      },
    });
    await assert.rejects(d.client.push(join(dir, "x"), source), (e) => e === broken);
    // A directory opened as the source fails the same way, with Deno's own error.
    using file = await Deno.open(dir, { read: true });
    await assert.rejects(d.client.push(join(dir, "y"), file), Deno.errors.IsADirectory);
    // Nothing was written, no temporary file is left, and the daemon goes on serving.
    await waitFor(async () => (await Array.fromAsync(Deno.readDir(dir))).length === 0, "no files");
    await d.client.push(join(dir, "z"), "fine");
    assert.equal(await Deno.readTextFile(join(dir, "z")), "fine");
  });
});

Deno.test("files client: a pull abandoned midway leaves the daemon serving, the file closed", async () => {
  await withDaemonAndDir(async (d, dir) => {
    const path = join(dir, "big");
    const data = new Uint8Array(16 * 1024 * 1024).map((_, i) => (i * 13) & 0xff);
    await Deno.writeFile(path, data);
    for (let round = 0; round < 3; round++) {
      const reader = (await d.client.pull(path, { encoding: null })).getReader();
      const first = await reader.read();
      assert.ok(first.value && first.value.length > 0);
      assert.deepEqual(openFilesUnder(d.proc.pid, dir), [path], "read while it is pulled");
      await reader.cancel(); // the client goes away with most of the file unread
      await waitFor(() => openFilesUnder(d.proc.pid, dir).length === 0, "the file closed");
    }
    assert.deepEqual(await bytes(await d.client.pull(path, { encoding: null })), data);
  });
});

Deno.test("files client: a pull whose connection fails midway rejects with that failure", async () => {
  const B = "0123456789abcdef0123456789abcdef";
  const path = "/etc/app.conf";
  const whole = `--${B}\r\nContent-Disposition: form-data; name="files"; filename="${path}"` +
    `\r\n\r\ncontent\r\n--${B}\r\nContent-Disposition: form-data; name="response"\r\n\r\n` +
    `{"type":"sync","result":[{"path":"${path}"}]}\r\n--${B}--\r\n`;
  class Gone extends Error {}
  // The connection fails before the file's part, inside its content, and inside the
  // "response" part's headers.
  for (const upTo of [10, whole.indexOf("content") + 3, whole.indexOf('name="response"')]) {
    const failure = new Gone("connection reset");
    const client = {
      requestRaw: () =>
        Promise.resolve(
          new Response(
            new ReadableStream({
              start(c) {
                c.enqueue(new TextEncoder().encode(whole.slice(0, upTo)));
              },
              pull(c) {
                c.error(failure);
              },
            }),
            { headers: { "Content-Type": `multipart/form-data; boundary=${B}` } },
          ),
        ),
    } as unknown as Client;
    await assert.rejects(
      async () => await bytes(await pullBytes(client, path)),
      (e) => e === failure,
      `cut at ${upTo}`,
    );
  }
});

Deno.test("files client: a 256 MiB file is pushed and pulled in bounded daemon memory", async () => {
  await withDaemonAndDir(async (d, dir) => {
    const size = 256 * 1024 * 1024;
    const chunk = new Uint8Array(1024 * 1024);
    for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 31) & 0xff;
    async function* source() {
      for (let i = 0; i < size / chunk.length; i++) yield chunk;
    }
    const pid = d.proc.pid;
    const path = join(dir, "big");
    // Warm up the paths involved, so the baseline includes the code and buffers in use.
    await d.client.push(path, chunk);
    await bytes(await d.client.pull(path, { encoding: null }));

    let base = rss(pid);
    let peak = base;
    const sampler = setInterval(() => (peak = Math.max(peak, rss(pid))), 10);
    try {
      await d.client.push(path, source());
      peak = Math.max(peak, rss(pid));
      assert.equal((await Deno.stat(path)).size, size);
      const pushGrowth = peak - base;

      base = rss(pid);
      peak = base;
      let total = 0;
      let mismatch = -1;
      for await (const c of await d.client.pull(path, { encoding: null })) {
        for (let i = 0; i < c.length && mismatch < 0; i += 4099) {
          if (c[i] !== (((total + i) % chunk.length) * 31 & 0xff)) mismatch = total + i;
        }
        total += c.length;
      }
      peak = Math.max(peak, rss(pid));
      const pullGrowth = peak - base;
      assert.equal(total, size);
      assert.equal(mismatch, -1);
      const MiB = 1024 * 1024;
      // The bound; consumed upload chunks are freed at once, reads use a pool.
      assert.ok(pushGrowth < 32 * MiB, `push grew the daemon by ${pushGrowth / MiB} MiB`);
      assert.ok(pullGrowth < 32 * MiB, `pull grew the daemon by ${pullGrowth / MiB} MiB`);
    } finally {
      clearInterval(sampler);
    }
  });
});
