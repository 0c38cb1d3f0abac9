/**
 * Unit tests for the pure parts of the files API: the streaming multipart reader (fed
 * in every possible split), Go's glob and path rules.
 */

import assert from "node:assert/strict";
import { MultipartError, MultipartReader, parseMediaType } from "../client/_multipart.ts";
import { compileGlob } from "../server/files/glob.ts";
import { goStringOrder } from "../server/files/list.ts";
import { basePath, cleanPath, dirPath, joinPath } from "../server/files/paths.ts";

const enc = new TextEncoder();
const B = "0123456789abcdef0123456789abcdef";

function body(parts: [string, string][], final = true): Uint8Array {
  let s = "preamble\r\n";
  for (const [headers, content] of parts) s += `--${B}\r\n${headers}\r\n\r\n${content}\r\n`;
  if (final) s += `--${B}--\r\n`;
  return enc.encode(s);
}

async function* split(bytes: Uint8Array, sizes: number[]): AsyncGenerator<Uint8Array> {
  let off = 0;
  let i = 0;
  while (off < bytes.length) {
    const n = Math.max(1, sizes[i++ % sizes.length]);
    yield bytes.slice(off, off + n);
    off += n;
  }
}

async function readAll(source: AsyncIterable<Uint8Array>, releaseConsumed = false) {
  const r = new MultipartReader(source, B, { releaseConsumed });
  const out: { name: string; filename?: string; text: string }[] = [];
  for (let p = await r.nextPart(); p; p = await r.nextPart()) {
    out.push({
      name: p.name,
      filename: p.filename,
      text: new TextDecoder().decode(await r.readAll(1 << 20)),
    });
  }
  return out;
}

Deno.test("multipart: parts survive every split of the input", async () => {
  const tricky = `a\r\n--${B.slice(0, 10)}x\r\r\n-\r\n--\r\n--${B}X`;
  const bytes = body([
    ['Content-Disposition: form-data; name="request"', '{"a":1}'],
    ['Content-Disposition: form-data; name="files"; filename="/a \\"b\\".txt"', tricky],
    ['Content-Disposition: form-data; name="files"; filename="/empty"', ""],
  ]);
  const want = [
    { name: "request", filename: undefined, text: '{"a":1}' },
    { name: "files", filename: '/a "b".txt', text: tricky },
    { name: "files", filename: "/empty", text: "" },
  ];
  for (let n = 1; n <= bytes.length; n += n < 80 ? 1 : 17) {
    assert.deepEqual(await readAll(split(bytes, [n])), want, `chunks of ${n}`);
  }
  assert.deepEqual(await readAll(split(bytes, [1, 7, 3, 50, 2])), want);
});

Deno.test("multipart: releasing consumed chunks frees them and keeps every split intact", async () => {
  const content = "x".repeat(300) + `\r\n--${B.slice(0, 20)}` + "y".repeat(300);
  const bytes = body([
    ['Content-Disposition: form-data; name="request"', '{"a":1}'],
    ['Content-Disposition: form-data; name="files"; filename="/f"', content],
  ]);
  for (const n of [1, 2, 5, 31, 64, 100, 333]) {
    const chunks: Uint8Array[] = [];
    const source = async function* () {
      for await (const c of split(bytes, [n])) {
        chunks.push(c);
        yield c;
      }
    };
    const got = await readAll(source(), true);
    assert.deepEqual(got.map((p) => p.text), ['{"a":1}', content], `chunks of ${n}`);
    // Every chunk but the last one read has been detached.
    const kept = chunks.filter((c) => c.buffer.byteLength > 0);
    assert.ok(kept.length <= 1, `chunks of ${n}: ${kept.length} of ${chunks.length} kept`);
  }
  // Views into a larger buffer are never detached: the reader does not own the rest.
  const shared = new Uint8Array(bytes.length + 10);
  shared.set(bytes, 5);
  async function* views() {
    for (let off = 0; off < bytes.length; off += 64) {
      yield shared.subarray(5 + off, 5 + Math.min(off + 64, bytes.length));
    }
  }
  assert.equal((await readAll(views(), true)).length, 2);
  assert.equal(shared.buffer.byteLength, bytes.length + 10);
});

Deno.test("multipart: UTF-8 file names come through whole", async () => {
  const name = '/srv/naïve 日本 "q".txt';
  const bytes = body([
    [
      `Content-Disposition: form-data; name="files"; filename="${name.replaceAll('"', '\\"')}"`,
      "x",
    ],
  ]);
  for (const n of [1, 3, 7, 1000]) {
    assert.deepEqual((await readAll(split(bytes, [n]))).map((p) => p.filename), [name]);
  }
});

Deno.test("multipart: large chunks split near delimiters keep every byte", async () => {
  // Nearly all partial delimiters, so most chunk ends leave an unread tail that has to be
  // joined with the start of the next chunk.
  let content = "";
  for (let i = 0; content.length < 40_000; i++) {
    content += "x".repeat(1 + i % 5) + `\r\n--${B.slice(0, i % B.length)}` +
      (i % 3 === 0 ? "\r" : "");
  }
  const bytes = body([
    ['Content-Disposition: form-data; name="request"', '{"a":1}'],
    ['Content-Disposition: form-data; name="files"; filename="/big"', content],
    ['Content-Disposition: form-data; name="files"; filename="/small"', "s"],
  ]);
  const want = ['{"a":1}', content, "s"];
  for (const n of [4095, 4096, 4097, 4100, 5000, 8191, 9000, 13_001, 40_000]) {
    for (const release of [false, true]) {
      const got = await readAll(split(bytes, [n, n + 3, n - 1]), release);
      assert.deepEqual(got.map((p) => p.text), want, `chunks of ${n}, release ${release}`);
    }
  }
});

Deno.test("multipart: cancel after the closing boundary lets the source end by itself", async () => {
  const tracked = (chunks: Uint8Array[]) => {
    const state = { returned: false, ended: false };
    const source = {
      [Symbol.asyncIterator]() {
        let i = 0;
        return {
          next() {
            if (i < chunks.length) return Promise.resolve({ done: false, value: chunks[i++] });
            state.ended = true;
            return Promise.resolve({ done: true as const, value: undefined });
          },
          return() {
            state.returned = true;
            return Promise.resolve({ done: true as const, value: undefined });
          },
        };
      },
    } as AsyncIterable<Uint8Array>;
    return { source, state };
  };
  const done = body([['Content-Disposition: form-data; name="files"', "x"]]);
  // Closing boundary seen, then an epilogue in later chunks: read to the end.
  const a = tracked([done, enc.encode("epilogue"), enc.encode("more")]);
  const r = new MultipartReader(a.source, B);
  assert.equal((await r.nextPart())?.name, "files");
  assert.equal(await r.nextPart(), null);
  await r.cancel();
  assert.deepEqual(a.state, { returned: false, ended: true });
  // Stopped inside a part: the source is abandoned at once.
  const b = tracked([done.slice(0, done.length - 20), new Uint8Array(1 << 20)]);
  const s = new MultipartReader(b.source, B);
  await s.nextPart();
  await s.cancel();
  assert.deepEqual(b.state, { returned: true, ended: false });
  // A long epilogue is not read to its end.
  const c = tracked([done, ...Array.from({ length: 10 }, () => new Uint8Array(16 * 1024))]);
  const t = new MultipartReader(c.source, B);
  await t.nextPart();
  assert.equal(await t.nextPart(), null);
  await t.cancel();
  assert.deepEqual(c.state, { returned: true, ended: false });
});

Deno.test("multipart: a body cut short is EOF, as Go reports it; cut in headers, it ends", async () => {
  // Cut in a part's content (at a line end or not), before or in the first boundary line:
  // "EOF" (Go's NextPart: "multipart: NextPart: EOF").
  const cut = body([['Content-Disposition: form-data; name="files"', "data"]], false);
  const isEof = (e: unknown) => e instanceof MultipartError && e.eof === "EOF";
  await assert.rejects(readAll(split(cut, [5])), isEof);
  await assert.rejects(readAll(split(cut.slice(0, cut.length - 4), [3])), isEof);
  await assert.rejects(readAll(split(new Uint8Array(0), [1])), isEof);
  await assert.rejects(readAll(split(cut.slice(0, 5), [2])), isEof);
  // What readAll had of the part comes with the error.
  const r = new MultipartReader(split(cut.slice(0, cut.length - 4), [3]), B);
  await r.nextPart();
  await assert.rejects(
    async () => await r.readAll(100),
    (e: MultipartError) => new TextDecoder().decode(e.partial) === "da",
  );
  // Cut among a part's headers: the parts end there (Go's NextPart returns io.EOF).
  const text = new TextDecoder().decode(cut);
  for (const at of [text.indexOf("form-"), text.indexOf("\r\n\r\n") + 2]) {
    const h = new MultipartReader(split(cut.slice(0, at), [4]), B);
    assert.equal(await h.nextPart(), null, `cut at ${at}`);
  }
});

Deno.test("multipart: a header line cut off is still checked; a failing source, reported as it is", async () => {
  const text = new TextDecoder().decode(
    body([['Content-Disposition: form-data; name="files"', "data"]]),
  );
  const at = text.indexOf("-Disposition");
  // The input ends inside a header line with no colon yet: Go's textproto still checks it.
  const clean = new MultipartReader(split(enc.encode(text.slice(0, at)), [7]), B);
  await assert.rejects(async () => await clean.nextPart(), (e: MultipartError) => {
    assert.equal(e.message, 'malformed MIME header: missing colon: "Content"');
    return e.header;
  });
  // The source fails there (a connection cut short): the same check first, then the
  // source's own error, unwrapped (Go's newPart returns it as it is), kept as the cause.
  const failing = (upTo: number) =>
    (async function* () {
      yield enc.encode(text.slice(0, upTo));
      throw new Error("unexpected EOF");
    })();
  const r1 = new MultipartReader(failing(at), B);
  await assert.rejects(
    async () => await r1.nextPart(),
    (e: MultipartError) => e.message === 'malformed MIME header: missing colon: "Content"',
  );
  const r2 = new MultipartReader(failing(text.indexOf("form-")), B);
  await assert.rejects(async () => await r2.nextPart(), (e: MultipartError) => {
    assert.equal(e.message, "unexpected EOF");
    assert.ok(e.header);
    assert.equal((e.cause as Error).message, "unexpected EOF");
    return true;
  });
  // Failing while looking for a boundary, the source's error passes through.
  const r3 = new MultipartReader(failing(5), B);
  await assert.rejects(
    async () => await r3.nextPart(),
    (e: Error) => !(e instanceof MultipartError) && e.message === "unexpected EOF",
  );
});

Deno.test("multipart: large parts stream in bounded chunks", async () => {
  const size = 8 * 1024 * 1024;
  async function* source() {
    yield enc.encode(`--${B}\r\nContent-Disposition: form-data; name="files"\r\n\r\n`);
    const chunk = new Uint8Array(64 * 1024).fill(13); // all CR: the worst case for the search
    for (let i = 0; i < size / chunk.length; i++) yield chunk;
    yield enc.encode(`\r\n--${B}--\r\n`);
  }
  const r = new MultipartReader(source(), B);
  assert.equal((await r.nextPart())?.name, "files");
  let total = 0;
  let largest = 0;
  for (let c = await r.read(); c; c = await r.read()) {
    total += c.length;
    largest = Math.max(largest, c.length);
  }
  assert.equal(total, size);
  assert.ok(largest <= 64 * 1024 + 64, `chunk of ${largest} bytes`);
  assert.equal(await r.nextPart(), null);
});

Deno.test("multipart: media types parse as Go's mime package does", () => {
  const m = parseMediaType(`multipart/form-data; boundary="${B}"`);
  assert.equal(m?.type, "multipart/form-data");
  assert.equal(m?.params.get("boundary"), B);
  assert.equal(parseMediaType("Application/JSON")?.type, "application/json");
  assert.equal(parseMediaType(";;"), null);
  assert.equal(parseMediaType(""), null);
  const d = parseMediaType(
    ` form-data ;  Name = files; filename="a \\"quoted\\" \\\\ name"; size=12;`,
  );
  assert.equal(d?.type, "form-data");
  assert.deepEqual([...d!.params], [
    ["name", "files"],
    ["filename", 'a "quoted" \\ name'],
    ["size", "12"],
  ]);
  for (
    const bad of [
      "a/",
      "/b",
      "a/b/c",
      "a b",
      "form-data; name",
      "form-data; =x",
      'form-data; name="open',
      "form-data; name=a; NAME=b",
      "form-data name=a",
      "form-data; name=@",
    ]
  ) {
    assert.equal(parseMediaType(bad), null, bad);
  }
});

Deno.test("multipart: lines ending in a bare LF are read as Go reads them", async () => {
  // A first boundary line ending in a bare LF makes LF the line end of every delimiter.
  const lf = `--${B}\nContent-Disposition: form-data; name="a"\n\nbody\n--${B}\n` +
    `Content-Disposition: form-data; name="b"\n\nsecond\n--${B}--\n`;
  for (const cut of [[lf.length], [3], [lf.indexOf("body") + 5], [lf.length - 3]]) {
    const r = new MultipartReader(split(new TextEncoder().encode(lf), cut), B);
    assert.equal((await r.nextPart())?.name, "a");
    assert.equal(new TextDecoder().decode(await r.readAll(100)), "body", `cut at ${cut}`);
    assert.equal((await r.nextPart())?.name, "b");
    assert.equal(new TextDecoder().decode(await r.readAll(100)), "second");
    assert.equal(await r.nextPart(), null);
  }
  // Mixed: the CR before a later delimiter is then content, and a closing line in CRLF
  // is refused, as Go has it.
  const mixed =
    `--${B}\nContent-Disposition: form-data; name="a"\nX-Other: 1\r\n\r\nbody\r\n--${B}--\r\n`;
  const r = new MultipartReader(split(new TextEncoder().encode(mixed), [mixed.length]), B);
  const part = await r.nextPart();
  assert.equal(part?.name, "a");
  assert.equal(part?.headers.get("x-other"), "1");
  assert.equal(new TextDecoder().decode(await r.readAll(100)), "body\r");
  await assert.rejects(
    async () => await r.nextPart(),
    new MultipartError(`multipart: expecting a new Part; got line "--${B}--\\r\\n"`),
  );
});

Deno.test("multipart: the line after a delimiter is checked as Go checks it", async () => {
  const h = 'Content-Disposition: form-data; name="a"';
  const start = `--${B}\r\n${h}\r\n\r\nbody\r\n--${B}`;
  const cases: [string, string[]][] = [
    ["--", ["body", "end"]], // the input ends right after the closing "--"
    ["--  \r\n", ["body", "end"]],
    ["--\r\nepilogue", ["body", "end"]],
    [` \t\r\n${h}\r\n\r\nx\r\n--${B}--\r\n`, ["body", "x", "end"]],
    ["--\n", ["body", `multipart: expecting a new Part; got line "--${B}--\\n"`]],
    [`\n${h}\r\n\r\nx`, ["body", `multipart: expecting a new Part; got line "--${B}\\n"`]],
    [" x\r\n", ["body", `multipart: expecting a new Part; got line "--${B} x\\r\\n"`]],
    ["", ["body", "EOF"]],
  ];
  for (const [tail, want] of cases) {
    const text = start + tail;
    for (const cut of [[text.length], [1], [7]]) {
      const r = new MultipartReader(split(new TextEncoder().encode(text), cut), B);
      const got: string[] = [];
      try {
        while (await r.nextPart()) got.push(new TextDecoder().decode(await r.readAll(100)));
        got.push("end");
      } catch (e) {
        got.push((e as MultipartError).message);
      }
      assert.deepEqual(got, want, JSON.stringify(tail) + ` cut ${cut}`);
    }
  }
});

Deno.test("multipart: malformed part headers are reported in Go's words", async () => {
  const cases: [string, string][] = [
    ["not a header", 'malformed MIME header: missing colon: "not a header"'],
    [" bad initial: x", 'malformed MIME header initial line: " bad initial: x"'],
    [":novalue", 'malformed MIME header line: ":novalue"'],
  ];
  for (const [line, want] of cases) {
    for (const eol of ["\r\n", "\n"]) {
      const text = `--${B}${eol}${line}${eol}${eol}body${eol}--${B}--${eol}`;
      const r = new MultipartReader(split(new TextEncoder().encode(text), [text.length]), B);
      await assert.rejects(async () => await r.nextPart(), (e: MultipartError) => {
        assert.equal(e.message, want);
        assert.ok(e.header, "reported as a header error");
        return true;
      });
    }
  }
});

Deno.test("list order: Go's, by UTF-8 bytes", () => {
  const names = [
    "B",
    "a",
    "10",
    "2",
    "_x",
    "é",
    "ß",
    "😀",
    "ｆ",
    "\uffff",
    "\u{10000}",
    "a b",
    ".hid",
    "",
  ];
  const utf8 = (s: string) => new TextEncoder().encode(s);
  const byBytes = (x: string, y: string) => {
    const [p, q] = [utf8(x), utf8(y)];
    for (let i = 0; i < Math.min(p.length, q.length); i++) if (p[i] !== q[i]) return p[i] - q[i];
    return p.length - q.length;
  };
  assert.deepEqual([...names].sort(goStringOrder), [...names].sort(byBytes));
  assert.deepEqual(["😀", "ｆ"].sort(goStringOrder), ["ｆ", "😀"]);
});

Deno.test("glob: Go's path.Match syntax", () => {
  const m = (p: string, n: string) => compileGlob(p)(n);
  assert.ok(m("*.txt", "a.txt"));
  assert.ok(!m("*.txt", "a.txt.bak"));
  assert.ok(m("a?c", "abc"));
  assert.ok(m("[a-c]x", "bx"));
  assert.ok(!m("[^a-c]x", "bx"));
  assert.ok(m("\\*", "*"));
  assert.ok(m("*", ".hidden"));
  for (const bad of ["[", "[x", "a\\", "[]", "[z-a]"]) {
    assert.throws(() => compileGlob(bad), /syntax error in pattern/, bad);
  }
});

Deno.test("paths: Go's Clean, Dir, Base and Join", () => {
  assert.equal(cleanPath("/a//b/../c/."), "/a/c");
  // What Go's path.Clean gives, clean and unclean inputs alike (clean ones skip the loop).
  const clean: [string, string][] = [
    ["", "."],
    [".", "."],
    ["..", ".."],
    ["/", "/"],
    ["//", "/"],
    ["a/", "a"],
    ["/a/", "/a"],
    ["a/.", "a"],
    ["./a", "a"],
    ["../a", "../a"],
    ["/..", "/"],
    ["/../a", "/a"],
    ["a//b", "a/b"],
    ["a/./b", "a/b"],
    ["a/b/..", "a"],
    ["/a/b/../..", "/"],
    ["a/../..", ".."],
    ["..a", "..a"],
    [".a/b.", ".a/b."],
    ["a/..b/c..", "a/..b/c.."],
    ["/srv/app/config.yaml", "/srv/app/config.yaml"],
  ];
  for (const [input, want] of clean) assert.equal(cleanPath(input), want, input);
  assert.equal(dirPath("/a/b"), "/a");
  assert.equal(dirPath("/a/b/"), "/a/b");
  assert.equal(dirPath("/a"), "/");
  for (
    const [input, want] of [["", "."], ["a", "."], ["//b", "/"], ["/a//b", "/a"], ["a/../b", "."], [
      "/a/./b",
      "/a",
    ]]
  ) {
    assert.equal(dirPath(input), want, input);
  }
  assert.equal(basePath("/a/b/"), "b");
  assert.equal(basePath("/"), "/");
  assert.equal(joinPath("/a", "b"), "/a/b");
});
