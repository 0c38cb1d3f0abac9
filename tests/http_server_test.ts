// The daemon's HTTP/1.1 server (server/http_server.ts), driven over a raw unix socket:
// framing both ways, keep-alive and pipelining, 100-continue, unread bodies, upgrades,
// and Go's answers to malformed requests.

import assert from "node:assert/strict";
import { join } from "node:path";
import type { Socket } from "node:net";
import { tempDir } from "./_tmp.ts";
import {
  createHttpServer,
  type HttpRequest,
  type HttpResponse,
  type RequestListener,
} from "../server/http_server.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Echoes method, URL, a header and the body it read. */
const echo: RequestListener = async (req, res) => {
  let body = "";
  try {
    for await (const chunk of req) body += dec.decode(chunk, { stream: true });
  } catch (e) {
    body = `error: ${(e as Error).message}`;
  }
  res.setHeader("content-type", "text/plain");
  res.end(`${req.method} ${req.url} x=${req.headers["x-test"] ?? ""} body=${body}`);
};

interface Upgraded {
  req: HttpRequest;
  socket: Socket;
  head: Uint8Array;
}

async function withServer(
  onRequest: RequestListener,
  fn: (connect: () => Promise<Raw>, upgrades: Upgraded[]) => Promise<void>,
): Promise<void> {
  const dir = await tempDir();
  const path = join(dir, "s.sock");
  const upgrades: Upgraded[] = [];
  const server = createHttpServer(onRequest, (req, socket, head) => {
    upgrades.push({ req, socket, head });
    socket.end("upgraded\n");
  });
  await new Promise<void>((ok) => server.listen(path, ok));
  const raws: Raw[] = [];
  try {
    await fn(async () => {
      const raw = new Raw(await Deno.connect({ transport: "unix", path }));
      raws.push(raw);
      return raw;
    }, upgrades);
  } finally {
    for (const r of raws) r.close();
    server.closeAllConnections();
    await new Promise<void>((ok) => server.close(() => ok()));
  }
}

/** A raw client connection: writes bytes, reads text until a condition or EOF. */
class Raw {
  text = "";
  eof = false;
  #reading: Promise<void>;
  constructor(readonly conn: Deno.UnixConn) {
    this.#reading = (async () => {
      const buf = new Uint8Array(64 * 1024);
      try {
        for (;;) {
          const n = await conn.read(buf);
          if (n === null) break;
          this.text += dec.decode(buf.subarray(0, n));
        }
      } catch { /* closed */ }
      this.eof = true;
    })();
  }
  async send(...pieces: (string | Uint8Array)[]): Promise<void> {
    for (const p of pieces) {
      const bytes = typeof p === "string" ? enc.encode(p) : p;
      let off = 0;
      while (off < bytes.length) off += await this.conn.write(bytes.subarray(off));
      if (pieces.length > 1) await new Promise((r) => setTimeout(r, 5));
    }
  }
  /** Waits until `text` contains `needle` `times` times, or EOF (then fails). */
  async until(needle: string, times = 1): Promise<string> {
    const deadline = Date.now() + 5000;
    while (this.text.split(needle).length - 1 < times) {
      if (this.eof) assert.fail(`EOF before ${times} x ${JSON.stringify(needle)}: ${this.text}`);
      if (Date.now() > deadline) assert.fail(`timed out waiting for ${needle}: ${this.text}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    return this.text;
  }
  async closed(): Promise<string> {
    await Promise.race([
      this.#reading,
      new Promise((_, no) => setTimeout(() => no(new Error(`not closed: ${this.text}`)), 5000)),
    ]);
    return this.text;
  }
  close(): void {
    try {
      this.conn.close();
    } catch { /* already */ }
  }
}

Deno.test("http server: keep-alive, canonical headers, Content-Length and pipelining", async () => {
  await withServer(echo, async (connect) => {
    const c = await connect();
    await c.send("GET /a?q=1 HTTP/1.1\r\nHost: x\r\nX-Test: one\r\n\r\n");
    const first = await c.until("body=");
    assert.match(first, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(first, /\r\nContent-Type: text\/plain\r\n/);
    assert.match(first, /\r\nContent-Length: 22\r\n/);
    assert.match(first, /\r\nDate: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT\r\n/);
    assert.ok(first.endsWith("GET /a?q=1 x=one body="));
    // Two requests in one write are answered in order on the same connection.
    await c.send(
      "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc" +
        "GET /c HTTP/1.1\r\nHost: x\r\nX-Test: three\r\n\r\n",
    );
    const all = await c.until("HTTP/1.1 200 OK", 3);
    await c.until("body=", 3);
    assert.ok(all.indexOf("POST /b x= body=abc") < all.indexOf("GET /c x=three body="));
    assert.equal(c.eof, false);
  });
});

Deno.test("http server: a chunked body arriving a few bytes at a time, with extensions and trailers", async () => {
  await withServer(echo, async (connect) => {
    const c = await connect();
    const request = "POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
      "5;ext=1\r\nhello\r\n1\r\n \r\n6\r\nworld!\r\n0\r\nTrailer: yes\r\n\r\n";
    const bytes = enc.encode(request);
    const pieces: Uint8Array[] = [];
    for (let i = 0; i < bytes.length; i += 7) pieces.push(bytes.subarray(i, i + 7));
    await c.send(...pieces);
    const text = await c.until("body=hello world!");
    assert.match(text, /^HTTP\/1\.1 200 OK/);
  });
});

Deno.test("http server: a body of many socket chunks arrives whole and in order", async () => {
  const size = 3 * 1024 * 1024 + 17;
  let got = 0;
  let sum = 0;
  await withServer(async (req, res) => {
    for await (const chunk of req) {
      for (const b of chunk) sum = (sum + b) % 1000003;
      got += chunk.length;
    }
    res.end("done");
  }, async (connect) => {
    const c = await connect();
    const body = new Uint8Array(size).map((_, i) => i % 251);
    let expected = 0;
    for (const b of body) expected = (expected + b) % 1000003;
    await c.send(`PUT /big HTTP/1.1\r\nContent-Length: ${size}\r\n\r\n`, body);
    await c.until("done");
    assert.equal(got, size);
    assert.equal(sum, expected);
  });
});

Deno.test("http server: streamed responses are chunked; HEAD gets no body", async () => {
  await withServer((req, res) => {
    if (req.method === "HEAD") {
      res.end("not sent");
      return;
    }
    res.write("part one, ");
    setTimeout(() => {
      res.write(enc.encode("part two"));
      res.end();
    }, 10);
  }, async (connect) => {
    const c = await connect();
    await c.send("GET /s HTTP/1.1\r\nHost: x\r\n\r\n");
    const text = await c.until("0\r\n\r\n");
    assert.match(text, /\r\nTransfer-Encoding: chunked\r\n/);
    assert.ok(text.endsWith("\r\n\r\na\r\npart one, \r\n8\r\npart two\r\n0\r\n\r\n"), text);
    const h = await connect();
    await h.send("HEAD /s HTTP/1.1\r\nHost: x\r\n\r\n");
    const head = await h.until("\r\n\r\n");
    await new Promise((r) => setTimeout(r, 50));
    assert.match(head, /\r\nContent-Length: 8\r\n/);
    assert.ok(h.text.endsWith("\r\n\r\n"), "no body after the head");
  });
});

Deno.test("http server: HTTP/1.0 closes unless keep-alive; Connection: close is honoured", async () => {
  await withServer(echo, async (connect) => {
    const a = await connect();
    await a.send("GET /old HTTP/1.0\r\n\r\n");
    const closed = await a.closed();
    assert.match(closed, /^HTTP\/1\.0 200 OK\r\n/);
    assert.match(closed, /\r\nConnection: close\r\n/);
    const b = await connect();
    await b.send("GET /old HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    assert.match(await b.until("body="), /\r\nConnection: keep-alive\r\n/);
    await b.send("GET /again HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    await b.until("GET /again");
    const c = await connect();
    await c.send("GET /bye HTTP/1.1\r\nConnection: close\r\n\r\n");
    assert.match(await c.closed(), /\r\nConnection: close\r\n[\s\S]*GET \/bye/);
  });
});

Deno.test("http server: Expect 100-continue is answered when the handler reads", async () => {
  let refuse = false;
  await withServer(async (req, res) => {
    if (refuse) {
      res.statusCode = 401;
      res.end("no");
      return;
    }
    await echo(req, res);
  }, async (connect) => {
    const c = await connect();
    await c.send("POST /e HTTP/1.1\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
    await c.until("HTTP/1.1 100 Continue\r\n\r\n");
    await c.send("data");
    assert.match(await c.until("body=data"), /100 Continue\r\n\r\nHTTP\/1\.1 200 OK/);
    // A handler that answers without reading never asks for the body: the connection
    // closes after the answer, as Go's does.
    refuse = true;
    const d = await connect();
    await d.send("POST /e HTTP/1.1\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n");
    const text = await d.closed();
    assert.doesNotMatch(text, /100 Continue/);
    assert.match(text, /^HTTP\/1\.1 401 Unauthorized\r\n/);
  });
});

Deno.test("http server: an unread body is dropped when small, and closes the connection when large", async () => {
  await withServer((req, res) => {
    res.end(`answered ${req.url}`);
  }, async (connect) => {
    const c = await connect();
    await c.send("POST /small HTTP/1.1\r\nContent-Length: 10\r\n\r\n0123456789");
    await c.send("GET /next HTTP/1.1\r\n\r\n");
    await c.until("answered /next");
    assert.equal(c.eof, false);
    const big = await connect();
    await big.send(`POST /big HTTP/1.1\r\nContent-Length: ${1024 * 1024}\r\n\r\n`);
    const text = await big.closed();
    assert.match(text, /answered \/big$/);
  });
});

Deno.test("http server: a client that goes away mid-body fails the handler's read", async () => {
  let failure = "";
  let settled: () => void;
  const done = new Promise<void>((r) => (settled = r));
  await withServer(async (req, res) => {
    try {
      for await (const _ of req) { /* read */ }
    } catch (e) {
      failure = (e as Error).message;
    }
    res.end();
    settled();
  }, async (connect) => {
    const c = await connect();
    await c.send("POST /cut HTTP/1.1\r\nContent-Length: 100\r\n\r\nonly some");
    c.close();
    await done;
  });
  assert.match(failure, /unexpected EOF/);
});

Deno.test("http server: an upgrade gets the socket and the bytes past the head", async () => {
  await withServer(echo, async (connect, upgrades) => {
    const c = await connect();
    await c.send(
      "GET /ws HTTP/1.1\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n\r\nfirst-frame",
    );
    assert.equal(await c.closed(), "upgraded\n");
    assert.equal(upgrades.length, 1);
    assert.equal(upgrades[0].req.url, "/ws");
    assert.equal(dec.decode(upgrades[0].head), "first-frame");
  });
});

Deno.test("http server: malformed requests get Go's plain-text errors and a closed connection", async () => {
  const cases: [string, RegExp][] = [
    ["NONSENSE\r\n\r\n", /^HTTP\/1\.1 400 Bad Request\r\n[\s\S]*\r\n\r\n400 Bad Request$/],
    ["GET / HTTP/2.0\r\n\r\n", /^HTTP\/1\.1 505 HTTP Version Not Supported\r\n/],
    ["GET / HTTP/1.1\r\nBad Header\r\n\r\n", /^HTTP\/1\.1 400 Bad Request\r\n/],
    [
      "POST / HTTP/1.1\r\nContent-Length: 12x\r\n\r\n",
      /\r\n\r\n400 Bad Request: bad Content-Length "12x"$/,
    ],
    [
      "POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
      /^HTTP\/1\.1 501 Not Implemented\r\n[\s\S]*Unsupported transfer encoding$/,
    ],
    [
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      /400 Bad Request$/,
    ],
    [
      `GET / HTTP/1.1\r\nX-Big: ${"a".repeat(1024 * 1024 + 8192)}\r\n\r\n`,
      /^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/,
    ],
  ];
  let handled = 0;
  await withServer((req, res) => {
    handled++;
    (async () => {
      try {
        for await (const _ of req) { /* read */ }
      } catch { /* malformed body */ }
      res.end();
    })();
  }, async (connect) => {
    for (const [request, expected] of cases) {
      const c = await connect();
      await c.send(request);
      const text = await c.closed();
      assert.match(text, expected, request.slice(0, 60));
      assert.match(text, /\r\nConnection: close\r\n/);
    }
  });
  assert.equal(handled, 1, "only the bad chunked body reached a handler");
});

Deno.test("http server: a client that goes away: the handler hears its end, and close on a write", async () => {
  let closedEarly = false;
  let settled: () => void;
  const done = new Promise<void>((r) => (settled = r));
  await withServer((req: HttpRequest, res: HttpResponse) => {
    res.once("close", () => {
      closedEarly = !res.writableEnded;
      settled();
    });
    // A FIN alone may be a half-close (the client still reading), so the handler decides
    // (the API aborts its signal); writing to a client that is gone closes the response.
    req.socket.once("end", () => setTimeout(() => res.write("late"), 10));
  }, async (connect) => {
    const c = await connect();
    await c.send("GET /wait HTTP/1.1\r\n\r\n");
    await new Promise((r) => setTimeout(r, 20));
    c.close();
    await done;
  });
  assert.ok(closedEarly);
});

Deno.test("http server: a client that shuts down its side still gets every answer", async () => {
  const slowEcho: RequestListener = async (req, res) => {
    await new Promise((r) => setTimeout(r, 20));
    await echo(req, res);
  };
  await withServer(slowEcho, async (connect) => {
    // Two pipelined requests, then the client's FIN (as `nc -N` sends), before any answer.
    const c = await connect();
    await c.send(
      "GET /one HTTP/1.1\r\n\r\nPOST /two HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc",
    );
    await c.conn.closeWrite();
    const text = await c.closed();
    assert.match(text, /GET \/one x= body=HTTP\/1\.1 200 OK\r\n/);
    assert.match(text, /POST \/two x= body=abc$/);
    // A body cut short by the FIN fails the handler's read; its answer still goes out.
    const cut = await connect();
    await cut.send("POST /cut HTTP/1.1\r\nContent-Length: 100\r\n\r\nonly some");
    await cut.conn.closeWrite();
    assert.match(await cut.closed(), /body=error: unexpected EOF$/);
    // An idle kept-alive connection, or one inside a request head, is closed.
    const idle = await connect();
    await idle.send("GET /first HTTP/1.1\r\n\r\n");
    await idle.until("body=");
    await idle.conn.closeWrite();
    assert.match(await idle.closed(), /GET \/first x= body=$/);
    const head = await connect();
    await head.send("GET /partial HTTP/1.1\r\nX-Te");
    await head.conn.closeWrite();
    assert.equal(await head.closed(), "");
  });
});
