import { tempDir } from "./_tmp.ts";
import assert from "node:assert/strict";
import { createServer as createHttpServer } from "node:http";
import { createServer as createNetServer, type Server } from "node:net";
import { join } from "node:path";
import { UnixHttp } from "../client/_unix_http.ts";

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
