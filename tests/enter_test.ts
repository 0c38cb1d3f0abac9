// `pebble enter` (Pebble as a container entrypoint) and the daemon's environment variables
// PEBBLE_PERSIST, PEBBLE_COPY_ONCE and PEBBLE_DEBUG.

import { tempDir } from "./_tmp.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { Client } from "../mod.ts";
import { ROOT, runCli, startDaemon, waitFor, writeLayers } from "./_helpers.ts";

const LAYER = `
services:
  svc:
    override: replace
    command: sleep 1000
    startup: enabled
`;

async function tempPebble(): Promise<{ dir: string; env: Record<string, string> }> {
  const dir = await tempDir({ prefix: "pebble-test-" });
  return { dir, env: { PEBBLE: dir, PEBBLE_SOCKET: join(dir, ".pebble.socket") } };
}

Deno.test("enter exec: the command's output and exit code, no logs, no state file", async () => {
  const { dir, env } = await tempPebble();
  await writeLayers(dir, { "001-base.yaml": LAYER });
  const r = await runCli(
    ["enter", "exec", "--", "sh", "-c", "echo out; echo err >&2; exit 7"],
    { ...env, PEBBLE_PERSIST: "never" },
  );
  assert.equal(r.code, 7);
  assert.equal(r.stdout, "out\n");
  assert.equal(r.stderr, "err\n");
  const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
  assert.deepEqual(names, ["layers"]); // no state file, no socket left behind
  const ok = await runCli(["enter", "exec", "true"], env);
  assert.equal(ok.code, 0);
  assert.equal(ok.stderr, "");
});

Deno.test("enter: Pebble's rules per subcommand", async () => {
  const { dir, env } = await tempPebble();
  await writeLayers(dir, { "001-base.yaml": LAYER });
  const cases: [string[], string][] = [
    [["enter", "changes"], `error: enter: subcommand "changes" is not supported\n`],
    [["enter", "nope"], `error: unknown command "nope", see 'pebble help'\n`],
    [["enter", "--run", "plan"], `error: enter: cannot provide --run before "plan" subcommand\n`],
    [["enter", "--run", "help"], `error: enter: cannot provide --run before "help" subcommand\n`],
    [["enter", "stop", "svc"], `error: enter: must use --run before "stop" subcommand\n`],
    [
      ["enter", "-v", "exec", "true"],
      `error: enter: cannot provide -v/--verbose before "exec" subcommand\n`,
    ],
  ];
  for (const [args, stderr] of cases) {
    const r = await runCli(args, env);
    assert.equal(r.code, 1, args.join(" "));
    assert.equal(r.stderr, stderr);
  }
  // `plan` and `services` run without starting the default services, silently.
  const plan = await runCli(["enter", "services"], env);
  assert.equal(plan.code, 0);
  assert.equal(plan.stderr, "");
  assert.match(
    plan.stdout,
    /^Service\s+Startup\s+Current\s+Since\nsvc\s+enabled\s+inactive\s+-\n$/,
  );
  const help = await runCli(["enter", "help"], env);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Pebble lets you control services/);
});

Deno.test("enter start: the daemon keeps running after the subcommand", async () => {
  const { dir, env } = await tempPebble();
  await writeLayers(dir, {
    "001-base.yaml": LAYER.replace("startup: enabled", "startup: disabled"),
  });
  const proc = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", join(ROOT, "main.ts"), "enter", "start", "svc"],
    env,
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let exited: number | null = null;
  const status = proc.status.then((s) => (exited = s.code));
  const client = new Client({ socketPath: env.PEBBLE_SOCKET });
  try {
    await waitFor(async () => {
      if (exited !== null) throw new Error(`enter exited with ${exited}`);
      const [svc] = await client.getServices(["svc"]);
      return svc?.current === "active";
    }, "the service to start");
    // The start change is done (the subcommand has returned) and the daemon still answers.
    await waitFor(async () => {
      const changes = await client.getChanges({ select: "all" });
      return changes.some((c) => c.kind === "start" && c.ready);
    }, "the start change to be ready");
    assert.equal(exited, null);
    assert.equal((await client.getServices(["svc"]))[0].current, "active");
  } finally {
    client.close();
    if (exited === null) proc.kill("SIGTERM");
    await status;
    await proc.stderr.cancel();
  }
  assert.equal(exited, 0);
});

Deno.test("env: PEBBLE_COPY_ONCE copies into an empty $PEBBLE only", async () => {
  const src = await tempDir();
  await writeLayers(src, { "001-base.yaml": LAYER });
  await Deno.writeTextFile(join(src, "run.sh"), "#!/bin/sh\n");
  await Deno.chmod(join(src, "run.sh"), 0o755);
  const { dir, env } = await tempPebble();
  const copied = await runCli(["enter", "plan"], { ...env, PEBBLE_COPY_ONCE: src });
  assert.equal(copied.code, 0, copied.stderr);
  assert.match(copied.stdout, /svc:/);
  assert.equal(Deno.statSync(join(dir, "run.sh")).mode! & 0o111, 0o111);
  // Not empty any more: a changed source is not copied again.
  await writeLayers(src, { "002-more.yaml": LAYER.replaceAll("svc", "other") });
  const again = await runCli(["enter", "plan"], { ...env, PEBBLE_COPY_ONCE: src });
  assert.doesNotMatch(again.stdout, /other:/);
  // A missing source is skipped.
  const missing = await runCli(["enter", "version"], {
    ...env,
    PEBBLE_COPY_ONCE: join(src, "missing"),
  });
  assert.equal(missing.code, 0);
});

Deno.test("env: PEBBLE_DEBUG=1 adds debug lines; PEBBLE_PERSIST=never writes no state", async () => {
  const d = await startDaemon({ env: { PEBBLE_DEBUG: "1", PEBBLE_PERSIST: "never" } });
  try {
    await d.client.notify("custom", "example.com/x");
    assert.match(d.output(), /^\S+Z \[pebble\] DEBUG activation done in \d+ms$/m);
    const names = [...Deno.readDirSync(d.dir)].map((e) => e.name);
    assert.deepEqual(names.filter((n) => n.startsWith(".pebble.state")), []);
  } finally {
    await d.stop();
  }
  const quiet = await startDaemon();
  try {
    assert.doesNotMatch(quiet.output(), /DEBUG/);
  } finally {
    await quiet.stop();
  }
});
