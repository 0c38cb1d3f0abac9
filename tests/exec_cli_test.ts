/**
 * `pebble exec` from the command line: exit codes, stdin and stdout, errors, and in a
 * real terminal (tmux) the remote terminal, raw mode restored, Ctrl-C.
 */

import { tempDir } from "./_tmp.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { ROOT, runCli, startDaemon, waitFor } from "./_helpers.ts";

const HAVE_TMUX = (() => {
  try {
    return new Deno.Command("tmux", { args: ["-V"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
})();

Deno.test("exec CLI: stdin and stdout wired, the remote exit code is the CLI's", async () => {
  const d = await startDaemon();
  try {
    const r = await runCli(["exec", "--", "sh", "-c", "cat; echo oops >&2; exit 4"], d.env, "in\n");
    assert.equal(r.code, 4);
    assert.equal(r.stdout, "in\n");
    assert.equal(r.stderr, "oops\n");

    const ok = await runCli(
      ["exec", "-w", "/tmp", "--env", "A=1", "--env", "B", "sh", "-c", 'pwd; echo "$A|$B|"'],
      d.env,
    );
    assert.equal(ok.code, 0);
    assert.equal(ok.stdout, "/tmp\n1||\n");

    const args = await runCli(["exec", "echo", "-n", "foo", "--bar"], d.env);
    assert.equal(args.stdout, "foo --bar");

    const timeout = await runCli(["exec", "--timeout", "200ms", "sleep", "10"], d.env);
    assert.equal(timeout.code, 1);
    assert.equal(
      timeout.stderr,
      'error: cannot perform the following tasks:\n- Execute command "sleep" (timed out after 200ms: context deadline exceeded)\n',
    );

    const missing = await runCli(["exec", "no-such-command-xyz"], d.env);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, 'error: cannot find executable "no-such-command-xyz"\n');

    const both = await runCli(["exec", "-t", "-T", "true"], d.env);
    assert.equal(both.stderr, "error: cannot use -t and -T at the same time\n");
    const both2 = await runCli(["exec", "-i", "-I", "true"], d.env);
    assert.equal(both2.stderr, "error: cannot use -i and -I at the same time\n");
    const none = await runCli(["exec"], d.env);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /the required argument `<command>` was not provided/);
  } finally {
    await d.stop();
  }
});

/** A tmux server of our own (its own socket), running one shell script in a pane. */
async function inTmux(
  script: string,
  fn: (pane: () => string, keys: (...k: string[]) => void) => Promise<void>,
): Promise<void> {
  const sock = `pebble-test-${crypto.randomUUID().slice(0, 8)}`;
  const dir = await tempDir({ prefix: "pebble-tmux-" });
  const file = join(dir, "script.sh");
  await Deno.writeTextFile(file, script + "\nexec sleep 600\n");
  const tmux = (...args: string[]) =>
    new Deno.Command("tmux", { args: ["-L", sock, "-f", "/dev/null", ...args], stderr: "piped" })
      .outputSync();
  const started = tmux("new-session", "-d", "-x", "120", "-y", "40", `sh ${file}`);
  assert.ok(started.success, new TextDecoder().decode(started.stderr));
  try {
    await fn(
      () => new TextDecoder().decode(tmux("capture-pane", "-p", "-J").stdout),
      (...k) => tmux("send-keys", ...k),
    );
  } finally {
    tmux("kill-server");
    await Deno.remove(dir, { recursive: true });
  }
}

function shellEnv(env: Record<string, string>): string {
  return Object.entries(env).map(([k, v]) => `${k}='${v}'`).join(" ");
}

Deno.test({
  name: "exec CLI: -t in a real terminal gets a remote tty of the local size, raw mode undone",
  ignore: !HAVE_TMUX,
  fn: async () => {
    const d = await startDaemon();
    const out = await tempDir({ prefix: "pebble-tty-" });
    try {
      const cli = `${shellEnv(d.env)} '${Deno.execPath()}' run -A '${join(ROOT, "main.ts")}'`;
      const script = `cd '${out}'
stty -g > before
${cli} exec -t -- sh -c 'tty; stty size; exit 3'
echo "EXIT=$?" > code
stty -g > after
echo FINISHED`;
      await inTmux(script, async (pane) => {
        await waitFor(() => pane().includes("FINISHED"), "the CLI to finish", 20_000);
        assert.equal(await Deno.readTextFile(join(out, "code")), "EXIT=3\n");
        assert.match(pane(), /\/dev\/pts\/\d+\s*\n40 120\s*\n/);
        const before = await Deno.readTextFile(join(out, "before"));
        assert.equal(await Deno.readTextFile(join(out, "after")), before);
      });
    } finally {
      await d.stop();
      await Deno.remove(out, { recursive: true });
    }
  },
});

Deno.test({
  name: "exec CLI: Ctrl-C reaches the remote process (through the terminal, or as a signal)",
  ignore: !HAVE_TMUX,
  fn: async () => {
    const d = await startDaemon();
    const out = await tempDir({ prefix: "pebble-tty-" });
    try {
      const cli = `${shellEnv(d.env)} '${Deno.execPath()}' run -A '${join(ROOT, "main.ts")}'`;
      const remote =
        `'trap "echo INTERRUPTED; exit 9" INT; echo READY$0; while :; do sleep 0.05; done'`;
      for (const [flag, tag] of [["", "A"], ["-T -I", "B"]]) {
        // The wrapper shell must survive the Ctrl-C that the local terminal sends to the
        // foreground job when it is not in raw mode (-T).
        const script = `cd '${out}'
trap 'echo wrapper-interrupted' INT
${cli} exec ${flag} -- sh -c ${remote} ${tag}
echo "EXIT=$?" > code${tag}
echo FINISHED${tag}`;
        await inTmux(script, async (pane, keys) => {
          await waitFor(() => pane().includes(`READY${tag}`), "the remote command", 20_000)
            .catch((e) => {
              throw new Error(`${e.message}; the terminal shows:\n${pane()}`);
            });
          keys("C-c");
          await waitFor(() => pane().includes(`FINISHED${tag}`), "the CLI to finish", 20_000);
          assert.match(pane(), /INTERRUPTED/);
          assert.equal(await Deno.readTextFile(join(out, `code${tag}`)), "EXIT=9\n");
        });
      }
    } finally {
      await d.stop();
      await Deno.remove(out, { recursive: true });
    }
  },
});
