/**
 * Unit tests of the WebSocket framing shared by the daemon and the client: masking,
 * frame sizes, fragmentation, control frames, the closing handshake and protocol errors.
 */

import assert from "node:assert/strict";
import { acceptKey, applyMask, type ByteDuplex, frameHeader, OP, WsConn } from "../client/_ws.ts";

/** Two connected in-memory byte streams; `chunk` splits every write into small reads. */
function pipePair(chunk = Infinity): [ByteDuplex, ByteDuplex] {
  const make = () => ({
    queue: [] as Uint8Array[],
    head: 0,
    ended: false,
    wake: null as null | (() => void),
  });
  const a = make(), b = make();
  const side = (inbox: typeof a, outbox: typeof a): ByteDuplex => ({
    async read() {
      while (inbox.head === inbox.queue.length) {
        if (inbox.ended) return null;
        await new Promise<void>((r) => (inbox.wake = r));
      }
      return inbox.queue[inbox.head++];
    },
    write(first, more) {
      for (const bytes of more ? [first, more] : [first]) {
        for (let i = 0; i < bytes.length; i += Math.min(chunk, bytes.length)) {
          outbox.queue.push(bytes.slice(i, i + Math.min(chunk, bytes.length)));
        }
      }
      outbox.wake?.();
      return Promise.resolve();
    },
    closeWrite() {
      outbox.ended = true;
      outbox.wake?.();
    },
    close() {
      outbox.ended = true;
      inbox.ended = true;
      outbox.wake?.();
      inbox.wake?.();
    },
  });
  return [side(a, b), side(b, a)];
}

Deno.test("ws: the accept key of RFC 6455's example", async () => {
  assert.equal(await acceptKey("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
});

Deno.test("ws: masking is its own inverse at any offset and length", () => {
  const mask = new Uint8Array([1, 2, 3, 250]);
  for (const [offset, length] of [[0, 0], [1, 3], [3, 100], [0, 4096 + 3], [2, 77]]) {
    const buf = new Uint8Array(offset + length);
    for (let i = 0; i < buf.length; i++) buf[i] = i * 7;
    const view = buf.subarray(offset);
    const orig = view.slice();
    applyMask(view, mask);
    for (let i = 0; i < length; i++) assert.equal(view[i], orig[i] ^ mask[i & 3]);
    applyMask(view, mask);
    assert.deepEqual(view, orig);
  }
});

Deno.test("ws: frame headers use 7-bit, 16-bit and 64-bit lengths", () => {
  assert.deepEqual([...frameHeader(OP.binary, 5, true, null)], [0x82, 5]);
  assert.deepEqual([...frameHeader(OP.text, 200, true, null)], [0x81, 126, 0, 200]);
  const big = frameHeader(OP.binary, 70000, false, null);
  assert.deepEqual([...big], [0x02, 127, 0, 0, 0, 0, 0, 1, 0x11, 0x70]);
  assert.equal(frameHeader(OP.binary, 1, true, new Uint8Array(4)).length, 6);
});

Deno.test("ws: messages of every size cross between client and server, split anyhow", async () => {
  for (const chunk of [1, 7, Infinity]) {
    const [c, s] = pipePair(chunk);
    const client = new WsConn(c, "client");
    const server = new WsConn(s, "server");
    const sizes = chunk === 1 ? [0, 1, 125, 126, 70_000] : [0, 1, 125, 126, 65535, 65536, 300_000];
    for (const n of sizes) {
      const data = new Uint8Array(n).map((_, i) => i % 251);
      const sent = client.sendBinary(data);
      const got = await server.receive();
      await sent;
      assert.equal(got?.type, "binary");
      assert.deepEqual(got?.data, data);
      const back = server.sendBinary(data);
      assert.deepEqual((await client.receive())?.data, data);
      await back;
    }
    await client.sendText('{"command":"end"}');
    assert.deepEqual(await server.receive(), { type: "text", data: '{"command":"end"}' });
  }
});

Deno.test("ws: consumed transport chunks are freed at once; lent ones are left alone", async () => {
  const [c, s] = pipePair(1000);
  const read: Uint8Array[] = [];
  const server = new WsConn({
    ...s,
    async read() {
      const chunk = await s.read();
      if (chunk) read.push(chunk);
      return chunk;
    },
  }, "server");
  const client = new WsConn(c, "client");
  const received: Uint8Array[] = [];
  // Large payloads are copied out of many 1000-byte reads (and their headers out of reads
  // of their own); a 985-byte frame arrives in one read and its payload is lent as a view
  // of it; a 5-byte frame is copied out.
  for (const n of [300_000, 985, 70_000, 5]) {
    const data = new Uint8Array(n).map((_, i) => (i * 7) % 253);
    const sent = client.sendBinary(data);
    const got = await server.receive();
    await sent;
    assert.deepEqual(got?.data, data, `${n} bytes`);
    received.push((got as { data: Uint8Array }).data);
  }
  const kept = read.filter((chunk) => chunk.buffer.byteLength > 0);
  assert.equal(kept.length, 1, `${kept.length} of ${read.length} chunks kept`);
  assert.equal(kept[0].buffer, received[1].buffer);
  assert.equal(received.every((r, i) => r.length === [300_000, 985, 70_000, 5][i]), true);
});

Deno.test("ws: fragmented messages are joined; pings are answered in between", async () => {
  const [c, s] = pipePair();
  const server = new WsConn(s, "server");
  const mask = new Uint8Array([9, 8, 7, 6]);
  const frame = (op: number, fin: boolean, text: string) => {
    const payload = new TextEncoder().encode(text);
    applyMask(payload, mask);
    const head = frameHeader(op, payload.length, fin, mask);
    const out = new Uint8Array(head.length + payload.length);
    out.set(head);
    out.set(payload, head.length);
    return out;
  };
  await c.write(frame(OP.text, false, "hel"));
  await c.write(frame(OP.ping, true, "p"));
  await c.write(frame(OP.cont, true, "lo"));
  assert.deepEqual(await server.receive(), { type: "text", data: "hello" });
  const pong = await c.read();
  assert.equal(pong![0], 0x80 | OP.pong);
  assert.equal(new TextDecoder().decode(pong!.subarray(2)), "p");
});

Deno.test("ws: the closing handshake reports the peer's code; EOF is 1006", async () => {
  const [c, s] = pipePair();
  const client = new WsConn(c, "client");
  const server = new WsConn(s, "server");
  const received = server.receive();
  await client.close(1000, "bye");
  assert.equal(await received, null);
  assert.deepEqual(server.closeInfo, { code: 1000, reason: "bye" });
  assert.equal(await client.receive(), null); // the echoed close frame
  assert.equal(client.closeInfo?.code, 1000);
  await assert.rejects(client.sendText("late"));

  const [c2, s2] = pipePair();
  const server2 = new WsConn(s2, "server");
  c2.close();
  assert.equal(await server2.receive(), null);
  assert.equal(server2.closeInfo?.code, 1006);
});

Deno.test("ws: unmasked client frames and reserved bits are protocol errors (1002)", async () => {
  const [c, s] = pipePair();
  const server = new WsConn(s, "server");
  await c.write(new Uint8Array([0x82, 1, 0x41]));
  assert.equal(await server.receive(), null);
  assert.equal(server.closeInfo?.code, 1002);

  const [c2, s2] = pipePair();
  const client = new WsConn(c2, "client");
  await s2.write(new Uint8Array([0xc2, 0]));
  assert.equal(await client.receive(), null);
  assert.equal(client.closeInfo?.code, 1002);
});
