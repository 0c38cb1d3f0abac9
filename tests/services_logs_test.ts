// Service logs through the API, the client, the CLI and --verbose; bounded memory.

import assert from "node:assert/strict";
import { join } from "node:path";
import { rawRequest, ROOT, runCli, startDaemon, waitFor } from "./_helpers.ts";
import { rssKiB } from "./_services_helpers.ts";

function svc(name: string, fields: string): string {
  return `  ${name}:\n    override: replace\n` +
    fields.trim().split("\n").map((l) => `    ${l.trim()}\n`).join("");
}

const LINE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z \[(\S+)\] (.*)$/;

Deno.test("logs: the last n lines across services, JSON lines, filters and bad input", async () => {
  const d = await startDaemon({
    args: ["--verbose"],
    layers: {
      "001-base.yaml": "services:\n" +
        svc(
          "five",
          `command: sh -c 'for i in 1 2 3 4 5; do echo line$i; done; printf "no newline"; exec sleep 1000'`,
        ) +
        svc("err", `command: sh -c 'echo oops >&2; exec sleep 1000'`),
    },
  });
  try {
    await d.client.startServices(["five", "err"]);
    await waitFor(
      async () => (await d.client.getLogs({ services: ["five"] })).length === 6,
      "six entries",
    );
    const three = await d.client.getLogs({ services: ["five"], n: 3 });
    assert.deepEqual(three.map((e) => e.message), ["line4", "line5", "no newline"]);
    const all = await d.client.getLogs({ n: "all" });
    assert.equal(all.length, 7);
    assert.ok(all.some((e) => e.service === "err" && e.message === "oops"));
    for (let i = 1; i < all.length; i++) assert.ok(all[i - 1].time <= all[i].time);

    const raw = await rawRequest(d.socket, "GET", "/v1/logs?services=err");
    assert.equal(raw.status, 200);
    const entry = JSON.parse(raw.text.trim());
    assert.deepEqual(Object.keys(entry), ["time", "service", "message"]);
    assert.match(entry.time, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/);
    assert.equal((await rawRequest(d.socket, "GET", "/v1/logs?n=0")).text, "");
    for (
      const [q, msg] of [
        ["n=-2", "n must be -1, 0, or a positive integer"],
        ["n=x", "n must be -1, 0, or a positive integer"],
        ["follow=yes", 'follow parameter must be "true" or "false"'],
      ]
    ) {
      const r = await rawRequest(d.socket, "GET", `/v1/logs?${q}`);
      assert.equal(r.status, 400);
      assert.equal((r.json.result as { message: string }).message, msg);
    }

    // The CLI prints Pebble's line layout.
    const cli = await runCli(["logs", "-n", "2", "five"], d.env);
    assert.equal(cli.code, 0, cli.stderr);
    const lines = cli.stdout.trimEnd().split("\n");
    assert.deepEqual(lines.map((l) => LINE.exec(l)?.slice(1)), [
      ["five", "line5"],
      ["five", "no newline"],
    ]);
    const bad = await runCli(["logs", "-n", "x"], d.env);
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr, 'error: expected n to be a non-negative integer or "all", not "x"\n');

    // --verbose copies service output to the daemon's stdout.
    await waitFor(() => /Z \[err\] oops\n/.test(d.output()), "verbose output");
  } finally {
    await d.stop();
  }
});

Deno.test("logs follow: the client iterator and `pebble logs -f` see new lines", async () => {
  const d = await startDaemon({
    layers: {
      "001-base.yaml": "services:\n" +
        svc(
          "ticker",
          `command: sh -c 'i=0; while true; do i=$((i+1)); echo tick$i; sleep 0.05; done'`,
        ),
    },
  });
  try {
    await d.client.startServices(["ticker"]);
    const controller = new AbortController();
    const seen: string[] = [];
    for await (
      const e of d.client.followLogs({ services: ["ticker"], signal: controller.signal })
    ) {
      seen.push(e.message);
      if (seen.length === 3) controller.abort();
    }
    assert.equal(seen.length, 3);
    const nums = seen.map((m) => Number(m.replace("tick", "")));
    assert.deepEqual(nums, [nums[0], nums[0] + 1, nums[0] + 2]);

    const cli = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", join(ROOT, "main.ts"), "logs", "-f", "-n", "1"],
      env: d.env,
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    let text = "";
    const reader = cli.stdout.pipeThrough(new TextDecoderStream()).getReader();
    while ((text.match(/\[ticker\] tick/g) ?? []).length < 3) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
    cli.kill("SIGINT");
    reader.releaseLock();
    await cli.stdout.cancel().catch(() => {});
    await cli.stderr.cancel();
    const status = await cli.status;
    assert.ok((text.match(/\[ticker\] tick/g) ?? []).length >= 3, text);
    assert.ok(status.code === 0 || status.signal === "SIGINT");
  } finally {
    await d.stop();
  }
});

Deno.test("a service printing 50 MB keeps the daemon's memory flat and its log bounded", async () => {
  const d = await startDaemon({
    layers: {
      "001-base.yaml": "services:\n" +
        svc("loud", "command: sleep 1000") +
        svc(
          "flood",
          `command: sh -c 'head -c 50000000 /dev/zero | tr "\\0" x | fold -w 99; echo; echo END; exec sleep 1000'`,
        ),
    },
  });
  try {
    await d.client.startServices(["loud"]);
    const before = rssKiB(d.proc.pid);
    await d.client.startServices(["flood"]);
    await waitFor(
      async () => {
        const last = await d.client.getLogs({ services: ["flood"], n: 1 });
        return last.length === 1 && last[0].message === "END";
      },
      "50 MB of output",
      60_000,
    );
    const after = rssKiB(d.proc.pid);
    assert.ok(after - before < 40 * 1024, `RSS grew from ${before} to ${after} KiB`);
    const kept = await d.client.getLogs({ services: ["flood"], n: "all" });
    const bytes = kept.reduce((n, e) => n + e.message.length + 1, 0);
    assert.ok(bytes <= 100 * 1024, `kept ${bytes} bytes`);
    assert.ok(kept.length > 700, `${kept.length} entries`);
    assert.ok(kept.slice(0, -3).every((e) => e.message === "x".repeat(99)));
  } finally {
    await d.stop();
  }
});

Deno.test("CLI: services table, start/stop/restart with --no-wait, signal, errors", async () => {
  const d = await startDaemon({
    layers: {
      "001-base.yaml": "services:\n" +
        svc("srv", "command: sleep 1000\nstartup: enabled") +
        svc("hup", `command: sh -c 'trap "echo got HUP" HUP; while true; do sleep 0.05; done'`),
    },
  });
  try {
    await waitFor(() => d.output().includes("Started default services"), "autostart");
    const table = await runCli(["services"], d.env);
    assert.equal(table.code, 0);
    const rows = table.stdout.split("\n");
    assert.match(rows[0], /^Service +Startup +Current +Since$/);
    assert.match(rows[1], /^hup +disabled +inactive +-$/);
    assert.match(rows[2], /^srv +enabled +active +today at /);
    const json = await runCli(["services", "--format", "json", "srv"], d.env);
    const parsed = JSON.parse(json.stdout);
    assert.deepEqual(Object.keys(parsed.services), ["srv"]);
    assert.equal(parsed.services.srv.current, "active");
    assert.equal((await runCli(["services", "nope"], d.env)).stderr, "No matching services.\n");

    const start = await runCli(["start", "hup"], d.env);
    assert.equal(start.code, 0, start.stderr);
    assert.equal((await runCli(["signal", "HUP", "hup"], d.env)).code, 0);
    await waitFor(
      async () =>
        (await d.client.getLogs({ services: ["hup"] })).some((e) => e.message === "got HUP"),
      "the HUP trap",
    );
    const lower = await runCli(["signal", "hup", "hup"], d.env);
    assert.equal(lower.stderr, "error: signal name must be uppercase, for example HUP\n");
    const notRunning = await runCli(["signal", "SIGTERM", "srv", "nope"], d.env);
    assert.equal(notRunning.code, 1);
    assert.equal(
      notRunning.stderr,
      'error: cannot send signal to "nope": service is not running\n',
    );

    const noWait = await runCli(["stop", "--no-wait", "hup"], d.env);
    assert.match(noWait.stdout, /^\d+\n$/);
    const change = await d.client.waitChange(noWait.stdout.trim());
    assert.equal(change.status, "Done");

    const unknown = await runCli(["start", "nope"], d.env);
    assert.equal(unknown.code, 1);
    assert.equal(unknown.stderr, 'error: cannot start services: service "nope" does not exist\n');
    const none = await runCli(["stop"], d.env);
    assert.equal(none.code, 1);

    const restart = await runCli(["restart", "srv"], d.env);
    assert.equal(restart.code, 0, restart.stderr);
    const replan = await runCli(["replan"], d.env);
    assert.equal(replan.code, 0, replan.stderr);
  } finally {
    await d.stop();
  }
});
