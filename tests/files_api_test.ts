/**
 * The files API over HTTP against the real daemon: list, read, write (multipart), make
 * directories, remove; the errors Pebble reports; atomic replacement; torn uploads.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  type DaemonProcess,
  openFilesUnder,
  rawRequest,
  waitFor,
  withDaemonAndDir,
} from "./_helpers.ts";
import { MultipartReader } from "../client/_multipart.ts";

const B = "0123456789abcdef0123456789abcdef";
const MP = { "Content-Type": `multipart/form-data; boundary=${B}` };

function upload(files: unknown[], parts: [string, string][], end = true): string {
  let s = `--${B}\r\nContent-Disposition: form-data; name="request"\r\n\r\n` +
    JSON.stringify({ action: "write", files }) + "\r\n";
  for (const [path, content] of parts) {
    s += `--${B}\r\nContent-Disposition: form-data; name="files"; filename="${path}"\r\n\r\n` +
      `${content}\r\n`;
  }
  return end ? s + `--${B}--\r\n` : s;
}

async function names(dir: string): Promise<string[]> {
  const out = [];
  for await (const e of Deno.readDir(dir)) out.push(e.name);
  return out.sort();
}

const postJson = (d: DaemonProcess, body: unknown) =>
  rawRequest(d.socket, "POST", "/v1/files", JSON.stringify(body), {
    "Content-Type": "application/json",
  });

Deno.test("files api: list with Pebble's fields, patterns, itself and errors", async () => {
  await withDaemonAndDir(async (d, dir) => {
    await Deno.mkdir(join(dir, "sub"));
    await Deno.writeTextFile(join(dir, "a.txt"), "hi\n");
    await Deno.chmod(join(dir, "a.txt"), 0o640);
    await Deno.symlink("a.txt", join(dir, "ln"));
    const q = (s: string) => rawRequest(d.socket, "GET", `/v1/files?${s}`);
    let r = await q(`action=list&path=${dir}`);
    assert.equal(r.status, 200);
    const result = r.json.result as Record<string, unknown>[];
    assert.deepEqual(result.map((f) => [f.name, f.type, f.size, f.permissions]), [
      ["a.txt", "file", 3, "640"],
      ["ln", "symlink", undefined, "777"],
      ["sub", "directory", undefined, "755"],
    ]);
    assert.deepEqual(Object.keys(result[0]), [
      "path",
      "name",
      "type",
      "size",
      "permissions",
      "last-modified",
      "user-id",
      "user",
      "group-id",
      "group",
    ]);
    assert.equal(result[0].path, join(dir, "a.txt"));
    assert.equal(result[0]["user-id"], Deno.uid());
    assert.match(
      String(result[0]["last-modified"]),
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$/,
    );

    r = await q(`action=list&path=${dir}&pattern=*.txt`);
    assert.deepEqual((r.json.result as { name: string }[]).map((f) => f.name), ["a.txt"]);
    r = await q(`action=list&path=${dir}&itself=true`);
    assert.deepEqual((r.json.result as { path: string }[]).map((f) => f.path), [dir]);

    r = await q(`action=list&path=${dir}/nope`);
    assert.equal(r.status, 404);
    assert.deepEqual(r.json.result, {
      message: `stat ${dir}/nope: no such file or directory`,
      kind: "not-found",
    });
    r = await q(`action=list&path=${dir}&pattern=%5B`);
    assert.deepEqual([r.status, r.json.result], [400, {
      message: "syntax error in pattern",
      kind: "generic-file-error",
    }]);
    const bad: [string, string][] = [
      ["action=list&path=rel", `path must be absolute, got "rel"`],
      ["action=list", "must specify path"],
      [`action=list&path=${dir}&itself=yes`, `itself parameter must be "true" or "false"`],
      ["action=nope", `invalid action "nope"`],
      ["", `invalid action ""`],
      ["action=read", "must specify one or more paths"],
      [`action=read&path=${dir}/a.txt`, "must accept multipart/form-data"],
    ];
    for (const [query, message] of bad) {
      r = await q(query);
      assert.deepEqual([r.status, (r.json.result as { message: string }).message], [400, message]);
    }
  });
});

Deno.test("files api: read answers Pebble's multipart with per-path errors", async () => {
  await withDaemonAndDir(async (d, dir) => {
    await Deno.writeTextFile(join(dir, "a"), "alpha");
    // A FIFO is never opened (that would wait for a writer, holding the daemon up).
    const fifo = join(dir, "fifo");
    const made = await new Deno.Command("mkfifo", { args: [fifo] }).output();
    assert.ok(made.success, new TextDecoder().decode(made.stderr));
    const paths = [join(dir, "a"), dir, "/nope/x", "rel", fifo];
    const r = await rawRequest(
      d.socket,
      "GET",
      `/v1/files?action=read&${paths.map((p) => `path=${encodeURIComponent(p)}`).join("&")}`,
      undefined,
      { Accept: "multipart/form-data" },
    );
    assert.equal(r.status, 200);
    const boundary = /^--([0-9a-f]{60})\r\n/.exec(r.text)?.[1];
    assert.ok(boundary, r.text);
    const parts = r.text.split(`--${boundary}`);
    assert.equal(parts.length, 4); // "", file, response, "--\r\n"
    assert.equal(
      parts[1],
      `\r\nContent-Disposition: form-data; name="files"; filename="${join(dir, "a")}"\r\n` +
        "Content-Type: application/octet-stream\r\n\r\nalpha\r\n",
    );
    assert.equal(parts[3], "--\r\n");
    const meta = JSON.parse(parts[2].split("\r\n\r\n")[1]);
    assert.deepEqual(meta, {
      type: "sync",
      "status-code": 200,
      status: "OK",
      result: [
        { path: join(dir, "a") },
        {
          path: dir,
          error: { message: `can only read a regular file: "${dir}"`, kind: "generic-file-error" },
        },
        {
          path: "/nope/x",
          error: { message: "stat /nope/x: no such file or directory", kind: "not-found" },
        },
        {
          path: "rel",
          error: { message: `paths must be absolute, got "rel"`, kind: "generic-file-error" },
        },
        {
          path: fifo,
          error: { message: `can only read a regular file: "${fifo}"`, kind: "generic-file-error" },
        },
      ],
    });
  });
});

Deno.test("files api: small and large files read byte-exact in one response", async () => {
  await withDaemonAndDir(async (d, dir) => {
    const big = new Uint8Array(600 * 1024).map((_, i) => (i * 31 + (i >> 9)) & 0xff);
    const files: [string, Uint8Array][] = [
      ["small", new TextEncoder().encode("tiny")],
      ["empty", new Uint8Array(0)],
      ["big", big],
      ["exact", big.subarray(0, 256 * 1024)], // exactly one read chunk
      ["after", new TextEncoder().encode("after the big one")],
      ["naïve ✓", new TextEncoder().encode("a name in UTF-8")],
    ];
    for (const [name, data] of files) await Deno.writeFile(join(dir, name), data);
    const read = async (names: string[]) => {
      const client = Deno.createHttpClient({ proxy: { transport: "unix", path: d.socket } });
      try {
        const query = names.map((n) => `path=${encodeURIComponent(join(dir, n))}`).join("&");
        const res = await fetch(`http://localhost/v1/files?action=read&${query}`, {
          headers: { Accept: "multipart/form-data" },
          client,
        } as RequestInit);
        const boundary = /boundary=(\w+)/.exec(res.headers.get("content-type") ?? "")![1];
        const length = res.headers.get("content-length");
        const body = new Uint8Array(await res.arrayBuffer());
        if (length !== null) assert.equal(Number(length), body.length);
        const reader = new MultipartReader(ReadableStream.from([body]), boundary);
        const got = new Map<string, Uint8Array>();
        for (let p = await reader.nextPart(); p; p = await reader.nextPart()) {
          got.set(p.filename ?? p.name, await reader.readAll(1 << 30));
        }
        return { length, got };
      } finally {
        client.close();
      }
    };
    // Small files only: one write with its length given.
    const small = await read(["small", "empty", "missing", "after", "naïve ✓"]);
    assert.notEqual(small.length, null);
    assert.deepEqual([...small.got.keys()].map((k) => k.replace(dir + "/", "")), [
      "small",
      "empty",
      "after",
      "naïve ✓",
      "response",
    ]);
    assert.equal(new TextDecoder().decode(small.got.get(join(dir, "naïve ✓"))), "a name in UTF-8");
    // Small files that add up to more than 1 MiB stream too.
    const quarter = big.subarray(0, 250 * 1024);
    const quarters = ["q0", "q1", "q2", "q3", "q4"];
    for (const q of quarters) await Deno.writeFile(join(dir, q), quarter);
    const many = await read(quarters);
    assert.equal(many.length, null);
    for (const q of quarters) assert.deepEqual(many.got.get(join(dir, q)), quarter, q);
    // With large files the body streams; every file arrives intact, in order.
    const all = await read(files.map(([n]) => n));
    assert.equal(all.length, null);
    for (const [name, data] of files) {
      assert.deepEqual(all.got.get(join(dir, name)), data, name);
    }
    const meta = JSON.parse(new TextDecoder().decode(all.got.get("response")));
    assert.deepEqual(meta.result, files.map(([n]) => ({ path: join(dir, n) })));
  });
});

Deno.test("files api: multipart write, per-file results, and every malformed upload", async () => {
  await withDaemonAndDir(async (d, dir) => {
    const f1 = join(dir, "one");
    const f2 = join(dir, "two");
    const f3 = join(dir, "three");
    let r = await rawRequest(
      d.socket,
      "POST",
      "/v1/files",
      upload([{ path: f1, permissions: "600" }, { path: f2 }, { path: f3, permissions: "777" }], [
        [f1, "1"],
        [f2, "2"],
        [f3, "3"],
      ]),
      MP,
    );
    assert.deepEqual(r.json.result, [{ path: f1 }, { path: f2 }, { path: f3 }]);
    assert.equal(await Deno.readTextFile(f1), "1");
    assert.equal((await Deno.stat(f1)).mode! & 0o777, 0o600);
    assert.equal((await Deno.stat(f2)).mode! & 0o777, 0o644);
    // Bits the daemon's umask (022) would clear are set all the same.
    assert.equal((await Deno.stat(f3)).mode! & 0o7777, 0o777);
    await Deno.remove(f3);

    r = await rawRequest(
      d.socket,
      "POST",
      "/v1/files",
      upload([{ path: f1 }, { path: f2 }], [[f1, "new"]]),
      MP,
    );
    assert.deepEqual(r.json.result, [{ path: f1 }, {
      path: f2,
      error: { message: `no file content for path "${f2}"`, kind: "generic-file-error" },
    }]);

    r = await rawRequest(
      d.socket,
      "POST",
      "/v1/files",
      upload(
        [{ path: join(dir, "nodir/x") }, { path: "rel" }, { path: f2, permissions: "8" }, {
          path: f2 + "u",
          user: "no-such-user",
        }],
        [[join(dir, "nodir/x"), "x"], ["rel", "x"], [f2, "x"], [f2 + "u", "x"]],
      ),
      MP,
    );
    const errs = (r.json.result as { error: { message: string; kind: string } }[]).map((x) =>
      x.error
    );
    assert.match(
      errs[0].message,
      new RegExp(`^open ${dir}/nodir/x\\.\\d+~: no such file or directory$`),
    );
    assert.equal(errs[0].kind, "not-found");
    assert.equal(errs[1].message, `paths must be absolute, got "rel"`);
    assert.equal(errs[2].message, `permissions must be a 3-digit octal string, got "8"`);
    assert.equal(
      errs[3].message,
      "cannot look up user and group: user: unknown user no-such-user",
    );
    assert.equal(await Deno.readTextFile(f2), "2");

    // Malformed uploads: 400. As in Pebble, the files of the parts before the fault stay
    // written, the part at fault writes nothing, and no temporary file is left.
    r = await rawRequest(
      d.socket,
      "POST",
      "/v1/files",
      upload([{ path: f1 }, { path: f2 }], [[f1, "new"], [join(dir, "other"), "X"]]),
      MP,
    );
    assert.deepEqual([r.status, (r.json.result as { message: string }).message], [
      400,
      `no metadata for path "${join(dir, "other")}"`,
    ]);
    assert.equal(await Deno.readTextFile(f1), "new");
    assert.deepEqual(await names(dir), ["one", "two"]);
    r = await rawRequest(
      d.socket,
      "POST",
      "/v1/files",
      upload([{ path: f2 }, { path: f1 }], [[f2, "written"], [f1, "cut off"]]).slice(0, -40),
      MP,
    );
    assert.deepEqual([r.status, (r.json.result as { message: string }).message], [
      400,
      "cannot read file part 2: multipart: NextPart: EOF",
    ]);
    assert.equal(await Deno.readTextFile(f2), "written");
    assert.equal(await Deno.readTextFile(f1), "new", "the part cut off writes nothing");
    assert.deepEqual(await names(dir), ["one", "two"]);
    const cases: [string, string][] = [
      [
        upload([{ path: f1 }], [[f1, "X"]]).replace('name="files"', 'name="file"'),
        `field name must be "files", got "file"`,
      ],
      [
        upload([{ path: f1 }], [[f1, "X"]]).replace('name="request"', 'name="x"'),
        `metadata field name must be "request", got "x"`,
      ],
      [
        upload([{ path: f1 }], [[f1, "X"]], false),
        "cannot read file part 1: multipart: NextPart: EOF",
      ],
      [
        upload([{ path: f1 }], [[f1, "X"]]).slice(0, -40),
        "cannot read file part 1: multipart: NextPart: EOF",
      ],
      [upload([], []), "must specify one or more files"],
      [
        upload([{ path: f1 }], []).replace('"write"', '"read"'),
        `multipart action must be "write", got "read"`,
      ],
      [
        upload([{ path: 5 }], []),
        "cannot decode request metadata: json: cannot unmarshal number into Go struct field writeFilesItem.files.path of type string",
      ],
      ["", "cannot read request metadata: multipart: NextPart: EOF"],
    ];
    for (const [body, message] of cases) {
      r = await rawRequest(d.socket, "POST", "/v1/files", body, MP);
      assert.deepEqual([r.status, (r.json.result as { message: string }).message], [400, message]);
      assert.equal(await Deno.readTextFile(f1), "new");
      assert.deepEqual(await names(dir), ["one", "two"]);
    }
    const headerCases: [Record<string, string>, string][] = [
      [{ "Content-Type": "multipart/form-data; boundary=short" }, `invalid boundary "short"`],
      [{ "Content-Type": "text/plain" }, `invalid media type "text/plain"`],
      [{ "Content-Type": ";;" }, `invalid Content-Type ";;"`],
    ];
    for (const [headers, message] of headerCases) {
      r = await rawRequest(d.socket, "POST", "/v1/files", "x", headers);
      assert.deepEqual([r.status, (r.json.result as { message: string }).message], [400, message]);
    }
    r = await postJson(d, { action: "write" });
    assert.equal(
      (r.json.result as { message: string }).message,
      `must use multipart with "write" action`,
    );
  });
});

Deno.test("files api: pushes and pulls are logged as Pebble's security events", async () => {
  await withDaemonAndDir(async (d, dir) => {
    const f = join(dir, "logged");
    const pushed = await rawRequest(
      d.socket,
      "POST",
      "/v1/files",
      upload([{ path: f }], [[f, "x"]]),
      MP,
    );
    assert.equal(pushed.status, 200);
    const pulled = await rawRequest(
      d.socket,
      "GET",
      `/v1/files?action=read&path=${encodeURIComponent(f)}`,
      undefined,
      { Accept: "multipart/form-data" },
    );
    assert.equal(pulled.status, 200);
    const events = await waitFor(() => {
      const lines = d.output().split("\n").filter((l) => l.includes(`"type":"security"`));
      return lines.length >= 2 ? lines : null;
    }, "two security log lines");
    const uid = Deno.uid();
    for (
      const [line, event, description] of [
        [events[0], "push_file", `Pushing file ${f}`],
        [events[1], "pull_file", `Pulling file ${f}`],
      ]
    ) {
      const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) \[pebble\] (\{.*\})$/.exec(line);
      assert.ok(m, line);
      const record = JSON.parse(m[2]);
      assert.deepEqual(record, {
        type: "security",
        datetime: `${m[1].slice(0, 19)}Z`,
        level: "WARN",
        event: `authz_admin:${uid},${event}`,
        description,
        appid: "pebble",
      });
      assert.deepEqual(Object.keys(record), [
        "type",
        "datetime",
        "level",
        "event",
        "description",
        "appid",
      ]);
    }
  });
});

Deno.test("files api: Go's query and JSON decoding rules", async () => {
  await withDaemonAndDir(async (d, dir) => {
    // Go drops a query pair holding a ";" (and one it cannot unescape) without a word.
    let r = await rawRequest(d.socket, "GET", `/v1/files?action=list;path=${dir}`);
    assert.equal((r.json.result as { message: string }).message, 'invalid action ""');
    r = await rawRequest(d.socket, "GET", `/v1/files?action=list&path=${dir}%zz`);
    assert.equal((r.json.result as { message: string }).message, "must specify path");
    // A body of the wrong JSON type names Pebble's payload struct, as Go's decoder does.
    r = await postJson(d, []);
    assert.equal(
      (r.json.result as { message: string }).message,
      "cannot decode request body: json: cannot unmarshal array into Go value of type " +
        'struct { Action string "json:\\"action\\""; Dirs []daemon.makeDirsItem ' +
        '"json:\\"dirs\\""; Paths []daemon.removePathsItem "json:\\"paths\\"" }',
    );
    r = await rawRequest(
      d.socket,
      "POST",
      "/v1/files",
      `--${B}\r\nContent-Disposition: form-data; name="request"\r\n\r\n[]\r\n--${B}--\r\n`,
      MP,
    );
    assert.equal(
      (r.json.result as { message: string }).message,
      "cannot decode request metadata: json: cannot unmarshal array into Go value of type " +
        'struct { Action string "json:\\"action\\""; Files []daemon.writeFilesItem ' +
        '"json:\\"files\\"" }',
    );
    // Lines may end in a bare LF, as Go's multipart reader allows; a bad part header is
    // reported in Go's words.
    const f = join(dir, "lf");
    const lf = upload([{ path: f }], [[f, "line\r\nend"]]).replaceAll(`\r\n--${B}`, `\n--${B}`)
      .replaceAll(`--${B}\r\n`, `--${B}\n`).replaceAll(`"\r\n\r\n`, `"\n\n`).replace(
        `--${B}--\r\n`,
        `--${B}--\n`,
      );
    r = await rawRequest(d.socket, "POST", "/v1/files", lf, MP);
    assert.deepEqual(r.json.result, [{ path: f }], r.text);
    assert.equal(await Deno.readTextFile(f), "line\r\nend");
    r = await rawRequest(
      d.socket,
      "POST",
      "/v1/files",
      upload([{ path: f }], []).replace(`--${B}--`, `--${B}\r\nnot a header\r\n\r\nx\r\n--${B}--`),
      MP,
    );
    assert.equal(
      (r.json.result as { message: string }).message,
      'cannot read file part 0: malformed MIME header: missing colon: "not a header"',
    );
  });
});

Deno.test("files api: make-dirs and remove report per item", async () => {
  await withDaemonAndDir(async (d, dir) => {
    await Deno.writeTextFile(join(dir, "f"), "");
    await Deno.mkdir(join(dir, "full"));
    await Deno.writeTextFile(join(dir, "full/x"), "");
    let r = await postJson(d, {
      action: "make-dirs",
      dirs: [
        { path: join(dir, "a") },
        { path: join(dir, "a") },
        { path: join(dir, "b/c") },
        { path: join(dir, "b/c"), "make-parents": true, permissions: "700" },
        { path: join(dir, "f/x"), "make-parents": true },
        { path: "rel" },
        { path: join(dir, "u"), group: "root" },
      ],
    });
    const err = (m: string, kind = "generic-file-error") => ({ message: m, kind });
    assert.deepEqual(r.json.result, [
      { path: join(dir, "a") },
      { path: join(dir, "a"), error: err(`mkdir ${dir}/a: file exists`) },
      {
        path: join(dir, "b/c"),
        error: err(`mkdir ${dir}/b/c.mkdir-new: no such file or directory`, "not-found"),
      },
      { path: join(dir, "b/c") },
      { path: join(dir, "f/x"), error: err(`mkdir ${dir}/f: not a directory`) },
      { path: "rel", error: err(`paths must be absolute, got "rel"`) },
      {
        path: join(dir, "u"),
        error: err("cannot look up user and group: must specify user, not just group"),
      },
    ]);
    assert.equal((await Deno.stat(join(dir, "b"))).mode! & 0o777, 0o700);
    assert.equal((await Deno.stat(join(dir, "b/c"))).mode! & 0o777, 0o700);

    r = await postJson(d, {
      action: "remove",
      paths: [
        { path: join(dir, "full") },
        { path: join(dir, "nope") },
        { path: join(dir, "nope"), recursive: true },
        { path: join(dir, "full"), recursive: true },
        { path: join(dir, "f") },
      ],
    });
    assert.deepEqual(r.json.result, [
      { path: join(dir, "full"), error: err(`remove ${dir}/full: directory not empty`) },
      {
        path: join(dir, "nope"),
        error: err(`remove ${dir}/nope: no such file or directory`, "not-found"),
      },
      { path: join(dir, "nope") },
      { path: join(dir, "full") },
      { path: join(dir, "f") },
    ]);
    assert.deepEqual(await names(dir), ["a", "b"]);

    r = await postJson(d, { action: "remove", paths: 5 });
    assert.equal(r.status, 400);
    assert.equal(
      (r.json.result as { message: string }).message,
      "cannot decode request body: json: cannot unmarshal number into Go struct field .paths of type []daemon.removePathsItem",
    );
    r = await postJson(d, { action: "bogus" });
    assert.equal((r.json.result as { message: string }).message, `invalid action "bogus"`);
  });
});

Deno.test("files api: readers see the old or the new file, never a partial one", async () => {
  await withDaemonAndDir(async (d, dir) => {
    const path = join(dir, "config");
    const size = 512 * 1024;
    const body = (c: string) => upload([{ path }], [[path, c.repeat(size)]]);
    await rawRequest(d.socket, "POST", "/v1/files", body("a"), MP);
    let stop = false;
    let reads = 0;
    const reader = (async () => {
      while (!stop) {
        const text = await Deno.readTextFile(path);
        assert.equal(text.length, size);
        assert.ok(text === "a".repeat(size) || text === "b".repeat(size), "torn read");
        reads++;
      }
    })();
    for (let i = 0; i < 20; i++) {
      const r = await rawRequest(d.socket, "POST", "/v1/files", body(i % 2 ? "a" : "b"), MP);
      assert.deepEqual(r.json.result, [{ path }]);
    }
    stop = true;
    await reader;
    assert.ok(reads > 0);
    assert.deepEqual(await names(dir), ["config"]);
  });
});

Deno.test("files api: an upload cut short by the client's shutdown gets Go's 400, nothing written", async () => {
  await withDaemonAndDir(async (d, dir) => {
    const path = join(dir, "data");
    await Deno.writeTextFile(path, "old content");
    const whole = upload([{ path }], [[path, "x".repeat(300)]]);
    // Sends the head of the whole upload but only `body`, then shuts down its side, as
    // `nc -N` or socat do, and reads the answer.
    const send = async (body: string) => {
      const conn = await Deno.connect({ transport: "unix", path: d.socket });
      await conn.write(new TextEncoder().encode(
        `POST /v1/files HTTP/1.1\r\nHost: x\r\nContent-Type: ${MP["Content-Type"]}\r\n` +
          `Content-Length: ${whole.length}\r\n\r\n${body}`,
      ));
      await conn.closeWrite();
      const text = new TextDecoder().decode(await new Response(conn.readable).arrayBuffer());
      return JSON.parse(text.slice(text.indexOf("\r\n\r\n") + 4));
    };
    const cases: [number, string][] = [
      [whole.indexOf("xxxx") + 10, "cannot read file part 1: multipart: NextPart: unexpected EOF"],
      [whole.indexOf("form-data", 100), "cannot read file part 0: unexpected EOF"],
      [whole.indexOf("}") - 3, "cannot decode request metadata: unexpected EOF"],
      [20, "cannot read request metadata: multipart: NextPart: unexpected EOF"],
    ];
    for (const [at, message] of cases) {
      const r = await send(whole.slice(0, at));
      assert.deepEqual([r["status-code"], r.result.message], [400, message], `cut at ${at}`);
      assert.deepEqual(await names(dir), ["data"]);
      assert.equal(await Deno.readTextFile(path), "old content");
    }
    assert.deepEqual((await send(whole)).result, [{ path }]);
    assert.equal(await Deno.readTextFile(path), "x".repeat(300));
  });
});

Deno.test("files api: an upload cut off midway keeps the old file and leaves no temp", async () => {
  await withDaemonAndDir(async (d, dir) => {
    const path = join(dir, "data");
    await Deno.writeTextFile(path, "old content");
    const head = upload([{ path }], []).replace(`--${B}--\r\n`, "") +
      `--${B}\r\nContent-Disposition: form-data; name="files"; filename="${path}"\r\n\r\n`;
    const conn = await Deno.connect({ transport: "unix", path: d.socket });
    const enc = new TextEncoder();
    await conn.write(enc.encode(
      `POST /v1/files HTTP/1.1\r\nHost: x\r\nContent-Type: ${MP["Content-Type"]}\r\n` +
        `Content-Length: ${100 * 1024 * 1024}\r\n\r\n${head}`,
    ));
    const chunk = new Uint8Array(256 * 1024).fill(120);
    for (let i = 0; i < 8; i++) await conn.write(chunk);
    // The temporary file is there while the upload runs...
    await waitFor(async () => (await names(dir)).some((n) => /^data\.\d+~$/.test(n)), "temp file");
    conn.close(); // ...and the client goes away.
    await waitFor(async () => (await names(dir)).length === 1, "the temp file to go");
    assert.deepEqual(await names(dir), ["data"]);
    await waitFor(() => openFilesUnder(d.proc.pid, dir).length === 0, "the temp file closed");
    assert.equal(await Deno.readTextFile(path), "old content");
    // The daemon is still fine.
    const r = await rawRequest(
      d.socket,
      "POST",
      "/v1/files",
      upload([{ path }], [[path, "new"]]),
      MP,
    );
    assert.deepEqual(r.json.result, [{ path }]);
    assert.equal(await Deno.readTextFile(path), "new");
  });
});
