/**
 * The http, tcp and exec checkers: success, Pebble's error wording, and timeouts that
 * leave nothing behind (the connection is closed, the process group is killed).
 */

import { tempDir } from "./_tmp.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { CheckFailure, errorDetails, newChecker } from "../server/checks/checker.ts";
import { type Check, newCheck, newExecCheck } from "../plan/mod.ts";
import { waitFor } from "./_helpers.ts";

function execCheck(command: string, extra: Partial<Check["exec"]> = {}): Check {
  const c = newCheck("chk");
  c.exec = { ...newExecCheck(), command, ...extra };
  return c;
}

function httpCheck(url: string, headers: Record<string, string> = {}): Check {
  const c = newCheck("chk");
  c.http = { url, headers };
  return c;
}

function tcpCheck(port: number, host = ""): Check {
  const c = newCheck("chk");
  c.tcp = { port, host };
  return c;
}

async function failure(p: Promise<void>): Promise<string> {
  try {
    await p;
  } catch (e) {
    return errorDetails(e);
  }
  throw new Error("the check passed");
}

function alive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

Deno.test("checkers: exec success, exit status with output, environment", async () => {
  await newChecker(execCheck("true")).run(5000);
  const lines = Array.from({ length: 8 }, (_, i) => `echo line${i + 1}`).join("; ");
  assert.equal(
    await failure(newChecker(execCheck(`sh -c '${lines}; echo err >&2; exit 7'`)).run(5000)),
    "exit status 7; (...)\nline5\nline6\nline7\nline8\nerr",
  );
  assert.equal(
    await failure(newChecker(execCheck("sh -c 'exit 2'")).run(5000)),
    "exit status 2",
  );
  assert.equal(
    await failure(newChecker(execCheck("no-such-program-here")).run(5000)),
    'exec: "no-such-program-here": executable file not found in $PATH',
  );
  assert.match(
    await failure(newChecker(execCheck("sh -c 'exit 1' 'unclosed")).run(5000)),
    /^cannot parse command: /,
  );
  const dir = await tempDir();
  await newChecker(
    execCheck(`sh -c 'test "$CHK_VAR" = yes && test "$(pwd)" = ${dir}'`, {
      environment: { CHK_VAR: "yes" },
      workingDir: dir,
    }),
  ).run(5000);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("checkers: a hanging exec check is killed at its timeout, with its group", async () => {
  const dir = await tempDir();
  const pids = join(dir, "pids");
  const checker = newChecker(
    execCheck(`sh -c 'sleep 1000 & echo $! > ${pids}; echo $$ >> ${pids}; wait'`),
  );
  const err = await failure(checker.run(300));
  assert.equal(err, "check timed out after 300ms");
  const list = (await Deno.readTextFile(pids)).trim().split("\n").map(Number);
  assert.equal(list.length, 2);
  await waitFor(() => list.every((pid) => !alive(pid)), "the check's processes to die");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("checkers: http success, non-2xx with body lines, headers, errors", async () => {
  const seen: (string | null)[] = [];
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, (req) => {
    const path = new URL(req.url).pathname;
    seen.push(req.headers.get("x-probe"));
    if (path === "/ok") return new Response("fine");
    if (path === "/long") {
      return new Response(Array.from({ length: 8 }, (_, i) => `l${i}`).join("\n"), {
        status: 503,
      });
    }
    return new Response("  broken\n", { status: 500 });
  });
  const base = `http://127.0.0.1:${server.addr.port}`;
  try {
    await newChecker(httpCheck(`${base}/ok`, { "X-Probe": "yes" })).run(5000);
    assert.deepEqual(seen, ["yes"]);
    const e = await newChecker(httpCheck(`${base}/bad`)).run(5000).catch((e) => e);
    assert.ok(e instanceof CheckFailure);
    assert.equal(e.message, "non-2xx status code 500");
    assert.equal(e.details, "broken");
    assert.equal(
      await failure(newChecker(httpCheck(`${base}/long`)).run(5000)),
      "non-2xx status code 503; l0\nl1\nl2\nl3\nl4\n(...)",
    );
  } finally {
    await server.shutdown();
  }
  // A closed port (fetch's blocked ports go through node:http: same wording).
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  assert.equal(
    await failure(newChecker(httpCheck(`http://localhost:${port}/x`)).run(5000)),
    `Get "http://localhost:${port}/x": dial tcp 127.0.0.1:${port}: connect: connection refused`,
  );
  assert.equal(
    await failure(newChecker(httpCheck("http://localhost:1/health")).run(5000)),
    'Get "http://localhost:1/health": dial tcp 127.0.0.1:1: connect: connection refused',
  );
});

Deno.test("checkers: a hanging http check times out and closes its connection", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  let open = 0;
  let accepted = 0;
  const serve = (async () => {
    for await (const conn of listener) {
      accepted++;
      open++;
      (async () => {
        const buf = new Uint8Array(4096);
        try {
          while ((await conn.read(buf)) !== null) { /* never answer */ }
        } catch { /* reset */ }
        open--;
        try {
          conn.close();
        } catch { /* closed */ }
      })();
    }
  })();
  try {
    assert.equal(
      await failure(newChecker(httpCheck(`http://127.0.0.1:${port}/hang`)).run(200)),
      "check timed out after 200ms",
    );
    assert.equal(accepted, 1);
    await waitFor(() => open === 0, "the check's connection to close");
  } finally {
    listener.close();
    await serve.catch(() => {});
  }
});

Deno.test("checkers: tcp success and refusal", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const accepting = (async () => {
    for await (const conn of listener) conn.close();
  })();
  try {
    await newChecker(tcpCheck(port, "127.0.0.1")).run(5000);
    await newChecker(tcpCheck(port)).run(5000); // localhost by default
  } finally {
    listener.close();
    await accepting.catch(() => {});
  }
  assert.equal(
    await failure(newChecker(tcpCheck(port)).run(5000)),
    `dial tcp 127.0.0.1:${port}: connect: connection refused`,
  );
});
