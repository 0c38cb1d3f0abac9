import { tempDir } from "./_tmp.ts";
import assert from "node:assert/strict";
import { createServer as createHttpServer } from "node:http";
import { createServer as createNetServer, type Server } from "node:net";
import { join } from "node:path";
import { UnixHttp } from "../client/_unix_http.ts";
import { concatBytes } from "../client/_bytes.ts";

async function listen(server: Server, path: string): Promise<void> {
  await new Promise<void>((ok) => server.listen(path, ok));
}

Deno.test("unix transport: content-length, chunked, streamed request, keep-alive reuse", async () => {
  const dir = await tempDir();
  const sock = join(dir, "s.sock");
  let connections = 0;
  const seen: string[] = [];
  const server = createHttpServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      seen.push(`${req.method} ${req.url} ${body}`);
      if (req.url === "/chunked") {
        res.write("hello ");
        setTimeout(() => res.end("world"), 5);
      } else {
        res.setHeader("content-length", 2);
        res.end("ok");
      }
    });
  });
  server.on("connection", () => connections++);
  await listen(server, sock);
  const http = new UnixHttp(sock);
  try {
    const a = await http.fetch("GET", "/plain?x=1", new Headers(), null);
    assert.equal(a.status, 200);
    assert.equal(await a.text(), "ok");
    const b = await http.fetch("GET", "/chunked", new Headers(), null);
    assert.equal(await b.text(), "hello world");
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode("part1-"));
        c.enqueue(new TextEncoder().encode("part2"));
        c.close();
      },
    });
    const c = await http.fetch("POST", "/upload", new Headers(), body);
    assert.equal(await c.text(), "ok");
    const d = await http.fetch("POST", "/json", new Headers(), '{"a":1}');
    assert.equal(await d.text(), "ok");
    assert.deepEqual(seen, [
      "GET /plain?x=1 ",
      "GET /chunked ",
      "POST /upload part1-part2",
      'POST /json {"a":1}',
    ]);
    assert.equal(connections, 1, "one keep-alive connection served every request");
  } finally {
    http.close();
    await new Promise((ok) => server.close(ok));
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("unix transport: body until close, truncated body, abort", async () => {
  const dir = await tempDir();
  const sock = join(dir, "s.sock");
  const server = createNetServer((socket) => {
    socket.once("data", (data) => {
      const path = data.toString().split(" ")[1];
      if (path === "/until-close") {
        socket.end("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nall of it");
      } else if (path === "/truncated") {
        socket.end("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort");
      } // "/hang": never answers
    });
  });
  await listen(server, sock);
  const http = new UnixHttp(sock);
  try {
    const a = await http.fetch("GET", "/until-close", new Headers(), null);
    assert.equal(await a.text(), "all of it");
    const b = await http.fetch("GET", "/truncated", new Headers(), null);
    await assert.rejects(b.text(), /connection closed before the end/);
    const controller = new AbortController();
    const pending = http.fetch("GET", "/hang", new Headers(), null, controller.signal);
    setTimeout(() => controller.abort(new Error("gave up")), 20);
    await assert.rejects(pending, /gave up/);
  } finally {
    http.close();
    await new Promise((ok) => server.close(ok));
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("unix transport: a body arriving in small pieces stays intact in every chunk handed out", async () => {
  const dir = await tempDir();
  const sock = join(dir, "s.sock");
  // 600 KiB in HTTP chunks of odd sizes, written in pieces that split heads, chunk-size
  // lines and data anywhere, so reads fill buffers part by part and roll over to new ones.
  const data = new Uint8Array(600 * 1024).map((_, i) => (i * 7 + (i >> 10)) & 0xff);
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [enc.encode("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")];
  for (let off = 0, i = 0; off < data.length; i++) {
    const n = Math.min(data.length - off, 1000 + (i * 7919) % 30_000);
    parts.push(
      enc.encode(n.toString(16) + "\r\n"),
      data.subarray(off, off + n),
      enc.encode("\r\n"),
    );
    off += n;
  }
  parts.push(enc.encode("0\r\n\r\n"));
  const wire = concatBytes(parts);
  const server = createNetServer((conn) => {
    conn.once("data", async () => {
      for (let off = 0, i = 0; off < wire.length; i++) {
        const n = 1 + (i * 104_729) % 9000;
        conn.write(wire.subarray(off, off + n));
        off += n;
        if (i % 8 === 0) await new Promise((r) => setTimeout(r, 1));
      }
    });
  });
  await listen(server, sock);
  const http = new UnixHttp(sock);
  try {
    const res = await http.fetch("GET", "/", new Headers(), null);
    const chunks: Uint8Array[] = [];
    for await (const c of res.body!) chunks.push(c);
    const got = concatBytes(chunks);
    assert.equal(got.length, data.length);
    assert.deepEqual(got, data);
  } finally {
    http.close();
    await new Promise((ok) => server.close(ok));
    await Deno.remove(dir, { recursive: true });
  }
});
