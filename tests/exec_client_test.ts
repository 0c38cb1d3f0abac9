/**
 * Exec end to end: the real daemon (a subprocess) driven by the TypeScript client.
 */

import { tempDir } from "./_tmp.ts";
import assert from "node:assert/strict";
import { APIError, ChangeError, Client, ExecError } from "../mod.ts";
import { type DaemonProcess, IS_ROOT, startDaemon, waitFor } from "./_helpers.ts";

async function withDaemon(
  fn: (d: DaemonProcess, client: Client) => Promise<void>,
  layers?: Record<string, string>,
): Promise<void> {
  const d = await startDaemon({ layers });
  try {
    await fn(d, d.client);
  } finally {
    d.client.close();
    await d.stop();
  }
}

/** Reads text from `reader` until `pattern` appears in everything read so far. */
async function readUntil(
  reader: ReadableStreamDefaultReader<string>,
  pattern: RegExp,
  sofar = { text: "" },
): Promise<string> {
  while (!pattern.test(sofar.text)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`stream ended before ${pattern}: ${JSON.stringify(sofar.text)}`);
    sofar.text += value;
  }
  return sofar.text;
}

/** The error `p` rejects with, which must be an instance of `cls`. */
async function caught<T>(p: Promise<unknown>, cls: new (...args: never[]) => T): Promise<T> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof cls, `expected ${cls.name}, got ${err}`);
    return err;
  }
  throw new assert.AssertionError({ message: `expected ${cls.name}, got success` });
}

function processGone(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
  } catch {
    return true;
  }
}

Deno.test("exec: output, stdin given up front, exit code and the change", async () => {
  await withDaemon(async (_d, client) => {
    const p = await client.exec(["sh", "-c", "echo out; echo err >&2"]);
    assert.deepEqual(await p.waitOutput(), { stdout: "out\n", stderr: "err\n" });
    const change = await client.getChange(p.changeId);
    assert.equal(change.kind, "exec");
    assert.equal(change.status, "Done");
    assert.equal(change.tasks[0].id, p.taskId);
    assert.deepEqual(change.tasks[0].data, { "exit-code": 0 });

    const up = await client.exec(["tr", "a-z", "A-Z"], { stdin: "foo\nbar\n" });
    assert.equal((await up.waitOutput()).stdout, "FOO\nBAR\n");

    const combined = await client.exec(["sh", "-c", "echo 1; echo 2 >&2"], {
      combineStderr: true,
    });
    const out = await combined.waitOutput();
    assert.deepEqual(out.stdout.split("\n").sort(), ["", "1", "2"]);
    assert.equal(out.stderr, null);
  });
});

Deno.test("exec: stdin streams to stdout line by line", async () => {
  await withDaemon(async (_d, client) => {
    const p = await client.exec(["cat"]);
    const writer = p.stdin!.getWriter();
    const reader = p.stdout!.getReader();
    for (const line of ["one\n", "two\n", "three\n"]) {
      await writer.write(line);
      // Each line comes back before the next is sent: nothing waits for the end.
      assert.equal(await readUntil(reader, /\n$/), line);
    }
    await writer.close();
    assert.equal((await reader.read()).done, true);
    await p.wait();
  });
});

Deno.test("exec: binary data both ways, with a byte stream as stdin", async () => {
  await withDaemon(async (_d, client) => {
    const data = new Uint8Array(3 * 1024 * 1024 + 17);
    for (let i = 0; i < data.length; i++) data[i] = (i * 31 + (i >> 8)) & 0xff;
    const p = await client.exec(["cat"], { stdin: new Blob([data]).stream(), encoding: null });
    const { stdout, stderr } = await p.waitOutput();
    assert.equal(stdout.length, data.length);
    assert.deepEqual(stdout, data);
    assert.deepEqual(stderr, new Uint8Array(0));

    const q = await client.exec(["printf", "\\000\\377\\001"], { encoding: null });
    assert.deepEqual((await q.waitOutput()).stdout, new Uint8Array([0, 255, 1]));
  });
});

Deno.test("exec: waitOutput returns all the output however late it arrives", async () => {
  await withDaemon(async (_d, client) => {
    // The change can be done while the last output is still in flight: waitOutput must
    // wait for it rather than drop the connection (it used to lose the tail now and then).
    const size = 3 * 1024 * 1024 + 17;
    const runs = Array.from({ length: 4 }, async () => {
      for (let i = 0; i < 5; i++) {
        const p = await client.exec(["head", "-c", String(size), "/dev/zero"], {
          encoding: null,
        });
        assert.equal((await p.waitOutput()).stdout.length, size);
      }
    });
    await Promise.all(runs);
  });
});

Deno.test("exec: exit codes, 128+signal, sendSignal and ExecError", async () => {
  await withDaemon(async (_d, client) => {
    const p = await client.exec(["sh", "-c", "echo partial; echo oops >&2; exit 3"]);
    const err = await caught(p.waitOutput(), ExecError) as ExecError<string>;
    assert.equal(err.exitCode, 3);
    assert.equal(err.stdout, "partial\n");
    assert.equal(err.stderr, "oops\n");
    assert.deepEqual(err.command, ["sh", "-c", "echo partial; echo oops >&2; exit 3"]);
    assert.match(err.message, /^non-zero exit code 3 executing "sh", stdout="partial\\n"/);

    const killed = await client.exec(["sh", "-c", "kill -KILL $$"]);
    const e2 = await caught(killed.wait(), ExecError) as ExecError;
    assert.equal(e2.exitCode, 128 + 9);
    assert.equal(e2.stdout, null);

    const sleeper = await client.exec(["sleep", "60"]);
    await sleeper.sendSignal("SIGUSR1");
    const e3 = await caught(sleeper.wait(), ExecError) as ExecError;
    assert.equal(e3.exitCode, 128 + 10);

    const trap = await client.exec([
      "sh",
      "-c",
      "trap 'echo got TERM; exit 5' TERM; echo ready; while :; do sleep 0.05; done",
    ]);
    const reader = trap.stdout!.getReader();
    await readUntil(reader, /ready/);
    await trap.sendSignal(15);
    assert.match(await readUntil(reader, /got TERM/, { text: "" }), /got TERM/);
    reader.releaseLock();
    const e4 = await caught(trap.wait(), ExecError) as ExecError;
    assert.equal(e4.exitCode, 5);
  });
});

Deno.test("exec: a timeout kills the process group and fails the change", async () => {
  await withDaemon(async (d, client) => {
    const p = await client.exec(["sh", "-c", "sleep 60 & echo $!; wait"], { timeout: 0.5 });
    const reader = p.stdout!.getReader();
    const pid = Number((await readUntil(reader, /\n/)).trim());
    reader.releaseLock();
    const err = await caught(p.wait(), ChangeError) as ChangeError;
    assert.equal(
      err.err,
      'cannot perform the following tasks:\n- Execute command "sh" (timed out after 500ms: context deadline exceeded)',
    );
    assert.deepEqual(err.change.tasks[0].data, { "exit-code": -1 });
    // The background child was in the group: it is gone too.
    await waitFor(() => processGone(pid), `process ${pid} to be killed`);
    await waitFor(() => /timed out after 500ms/.test(d.output()), "the timeout in the log");
  });
});

Deno.test("exec: working dir, environment and defaults", async () => {
  await withDaemon(async (_d, client) => {
    const p = await client.exec(["sh", "-c", 'pwd; echo "$FOO|$LANG|$PATH"'], {
      workingDir: "/tmp",
      environment: { FOO: "bar baz" },
    });
    const [cwd, env] = (await p.waitOutput()).stdout.trim().split("\n");
    assert.equal(cwd, "/tmp");
    const [foo, lang, path] = env.split("|");
    assert.equal(foo, "bar baz");
    assert.ok(lang !== "");
    assert.ok(path !== "");
    const resp = await client.request("POST", "/v1/exec", {
      body: { command: ["true"], environment: { X: "1" }, "working-dir": "/tmp" },
    });
    const result = resp.result as { environment: Record<string, string>; "working-dir": string };
    assert.equal(result.environment.X, "1");
    assert.ok(result.environment.HOME !== undefined);
    assert.equal(result["working-dir"], "/tmp");
  });
});

Deno.test({
  name: "exec: user switching (as root): uid, gid, HOME and USER",
  ignore: !IS_ROOT,
  fn: async () => {
    await withDaemon(async (_d, client) => {
      const p = await client.exec(["sh", "-c", 'id -u; id -g; echo "$USER $HOME"'], {
        user: "nobody",
        workingDir: "/", // nobody's home (/nonexistent) would be refused, as in Pebble
      });
      const lines = (await p.waitOutput()).stdout.trim().split("\n");
      const nobody = Deno.readTextFileSync("/etc/passwd").split("\n")
        .map((l) => l.split(":")).find((f) => f[0] === "nobody")!;
      assert.deepEqual(lines, [nobody[2], nobody[3], `nobody ${nobody[5]}`]);
      const q = await client.exec(["id", "-u"], { userId: 0, groupId: 0 });
      assert.equal((await q.waitOutput()).stdout, "0\n");
    });
  },
});

Deno.test("exec: service-context inherits the service; options override it", async () => {
  const dir = await tempDir({ prefix: "pebble-ctx-" });
  const layer = `
services:
  svc:
    override: replace
    command: sleep 1000
    working-dir: ${dir}
    environment:
      A: from-service
      B: from-service
`;
  await withDaemon(async (_d, client) => {
    const p = await client.exec(["sh", "-c", 'pwd; echo "$A $B"'], {
      serviceContext: "svc",
      environment: { B: "override" },
    });
    assert.equal((await p.waitOutput()).stdout, `${dir}\nfrom-service override\n`);
    const q = await client.exec(["pwd"], { serviceContext: "svc", workingDir: "/" });
    assert.equal((await q.waitOutput()).stdout, "/\n");
    const err = await caught(client.exec(["true"], { serviceContext: "nope" }), APIError);
    assert.equal((err as unknown as APIError).message, 'context service "nope" not found');
  }, { "001-svc.yaml": layer });
  await Deno.remove(dir, { recursive: true });
});

Deno.test("exec: commands that cannot start are refused as Pebble refuses them", async () => {
  await withDaemon(async (_d, client) => {
    const cases: [Parameters<Client["exec"]>, number, string][] = [
      [[["no-such-command-xyz"]], 400, 'cannot find executable "no-such-command-xyz"'],
      [[["true"], { user: "no-such-user" }], 400, "user: unknown user no-such-user"],
      [[["true"], { group: "root" }], 400, "must specify user, not just group"],
      [
        [["true"], { workingDir: "/no/such/dir" }],
        500,
        'cannot call exec: working directory "/no/such/dir" does not exist',
      ],
      [
        [["true"], { interactive: true }],
        500,
        "cannot call exec: cannot use interactive mode without a terminal",
      ],
    ];
    for (const [args, code, message] of cases) {
      const err = await caught(client.exec(...args), APIError);
      assert.equal(err.code, code, message);
      assert.equal(err.message, message);
    }
    const empty = await caught(client.request("POST", "/v1/exec", { body: {} }), APIError);
    assert.equal((empty as unknown as APIError).message, "must specify command");
  });
});

Deno.test("exec: a slow reader holds the process back; daemon memory stays flat", async () => {
  await withDaemon(async (d, client) => {
    const p = await client.exec(["sh", "-c", "echo $$ >&2; exec cat /dev/zero"], {
      encoding: null,
    });
    const errReader = p.stderr!.getReader();
    let pidText = "";
    while (!pidText.includes("\n")) {
      pidText += new TextDecoder().decode((await errReader.read()).value);
    }
    const pid = Number(pidText.trim());
    const reader = p.stdout!.getReader();
    let got = 0;
    while (got < 8 * 1024 * 1024) got += (await reader.read()).value!.length;
    // Stop reading: cat must end up blocked writing to its pipe.
    await waitFor(() => {
      const wchan = Deno.readTextFileSync(`/proc/${pid}/wchan`);
      return /pipe/.test(wchan) && wchan;
    }, "cat to block on its pipe");
    const written = () =>
      Number(/wchar:\s*(\d+)/.exec(Deno.readTextFileSync(`/proc/${pid}/io`))![1]);
    const ahead = written() - got;
    // Only pipe, socket and one message of buffering sit between cat and the reader.
    assert.ok(ahead < 32 * 1024 * 1024, `cat got ${ahead} bytes ahead of the reader`);
    const rss = Number(
      /VmRSS:\s*(\d+)/.exec(Deno.readTextFileSync(`/proc/${d.proc.pid}/status`))![1],
    );
    assert.ok(rss < 400 * 1024, `daemon RSS ${rss} KiB`);
    await p.sendSignal("SIGKILL");
    while (!(await reader.read()).done) { /* drain what was in flight */ }
    errReader.releaseLock();
    const err = await caught(p.wait(), ExecError);
    assert.equal(err.exitCode, 137);
  });
});

Deno.test("exec: a client that disconnects midway leaves no process behind", async () => {
  await withDaemon(async (d) => {
    const script = `
      import { Client } from ${JSON.stringify(new URL("../mod.ts", import.meta.url).href)};
      const c = new Client({ socketPath: ${JSON.stringify(d.socket)} });
      const p = await c.exec(["sh", "-c", "sleep 60 & echo $! $$; wait"]);
      const r = p.stdout.getReader();
      console.log((await r.read()).value.trim());
      setInterval(() => {}, 1000);
    `;
    const child = new Deno.Command(Deno.execPath(), {
      args: ["eval", script],
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let line = "";
    while (!line.includes("\n")) line += (await reader.read()).value ?? "";
    const pids = line.trim().split(" ").map(Number);
    assert.ok(pids.every((p) => !processGone(p)));
    child.kill("SIGKILL");
    await child.status;
    reader.releaseLock();
    await child.stdout.cancel().catch(() => {});
    for (const pid of pids) await waitFor(() => processGone(pid), `process ${pid} to be killed`);
    await waitFor(async () => {
      const changes = await d.client.getChanges({ select: "all" });
      return changes.length === 1 && changes[0].ready;
    }, "the exec change to finish");
  });
});

Deno.test("exec: terminal mode reports a tty of the requested size and follows resizes", async () => {
  await withDaemon(async (_d, client) => {
    const p = await client.exec(
      [
        "sh",
        "-c",
        // The resize travels on the control WebSocket and the typed line on stdio, so the
        // line may arrive first: poll for the new size rather than racing the two.
        'tty; stty size; read line; for i in $(seq 50); do s=$(stty size); [ "$s" = "20 50" ] && break; sleep 0.1; done; echo "$s"; echo "got $line"; echo err >&2',
      ],
      { terminal: true, interactive: true, width: 100, height: 30 },
    );
    const reader = p.stdout!.getReader();
    const sofar = { text: "" };
    await readUntil(reader, /30 100/, sofar);
    assert.match(sofar.text, /^\/dev\/pts\/\d+\r\n/);
    await p.resize(50, 20);
    const writer = p.stdin!.getWriter();
    await writer.write("hello\r");
    await readUntil(reader, /got hello\r\nerr\r\n/, sofar);
    assert.match(sofar.text, /20 50\r\n/);
    while (!(await reader.read()).done) { /* to the end */ }
    await p.wait();

    // Non-interactive: input through a pipe-like stream, not echoed.
    const q = await client.exec(["sh", "-c", 'tty >/dev/null && read x && echo "[$x]"'], {
      terminal: true,
      stdin: "typed\n",
      combineStderr: true,
    });
    assert.equal((await q.waitOutput()).stdout, "[typed]\r\n");
  });
});
