/**
 * The API over the real daemon (a `pebble run` subprocess): envelope, errors, access,
 * layers and plan, start-up from the layers directory, shutdown.
 */

import { tempDir } from "./_tmp.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { APIError } from "../mod.ts";
import { curlAsNobody, IS_ROOT, rawRequest, runCli, startDaemon, waitFor } from "./_helpers.ts";

const BASE = `summary: base layer
services:
  srv1:
    override: replace
    command: sleep 1000
    startup: disabled
    environment:
      A: "1"
    after: [srv2]
  srv2:
    override: replace
    command: sleep 2000
`;

Deno.test("api: envelope, errors and open endpoints", async () => {
  const d = await startDaemon();
  try {
    const info = await rawRequest(d.socket, "GET", "/v1/system-info");
    assert.equal(info.status, 200);
    assert.equal(info.json.type, "sync");
    assert.equal(info.json["status-code"], 200);
    assert.equal(info.json.status, "OK");
    const result = info.json.result as Record<string, string>;
    assert.ok(result.version);
    assert.match(result["boot-id"], /^[0-9a-f-]{36}$/);
    // Key order as Pebble sends it.
    assert.ok(info.text.startsWith('{"type":"sync","status-code":200,"status":"OK","result":'));

    const unknown = await rawRequest(d.socket, "GET", "/v1/nope");
    assert.equal(unknown.status, 404);
    assert.equal(unknown.json.type, "error");
    assert.deepEqual(unknown.json.result, { message: "invalid API endpoint requested" });

    // A pair Go cannot unescape is dropped, as Pebble's r.URL.Query() drops it.
    const badEscape = await rawRequest(d.socket, "GET", "/v1/files?action=list&path=%zz");
    assert.equal(badEscape.status, 400);
    assert.deepEqual(badEscape.json.result, { message: "must specify path" });
    const unicode = await rawRequest(d.socket, "GET", "/v1/files?action=list&path=%2Fnope%C3%A9");
    assert.deepEqual(unicode.json.result, {
      message: "stat /nope\u00e9: no such file or directory",
      kind: "not-found",
    });

    const wrongMethod = await rawRequest(d.socket, "DELETE", "/v1/plan?format=yaml");
    assert.equal(wrongMethod.status, 405);
    assert.equal(
      (wrongMethod.json.result as { message: string }).message,
      'method "DELETE" not allowed',
    );
    assert.equal((await rawRequest(d.socket, "GET", "/v1/layers")).status, 405);

    const badJson = await rawRequest(d.socket, "POST", "/v1/layers", "{not json");
    assert.equal(badJson.status, 400);
    assert.match(
      (badJson.json.result as { message: string }).message,
      /cannot decode request body/,
    );

    const emptyBody = await rawRequest(d.socket, "POST", "/v1/layers", "");
    assert.equal(emptyBody.status, 400);

    const wrongType = await rawRequest(
      d.socket,
      "POST",
      "/v1/layers",
      JSON.stringify({ action: "add", label: 5, format: "yaml", layer: "" }),
    );
    assert.equal(wrongType.status, 400);
    assert.match((wrongType.json.result as { message: string }).message, /"label"/);

    const big = "x".repeat(17 * 1024 * 1024);
    const tooBig = await rawRequest(d.socket, "POST", "/v1/layers", big);
    assert.equal(tooBig.status, 413);

    // As in Pebble, a malformed pair is dropped: the default selection applies.
    const badQuery = await rawRequest(d.socket, "GET", "/v1/changes?select=%zz");
    assert.equal(badQuery.status, 200);
    const badSelect = await rawRequest(d.socket, "GET", "/v1/changes?select=bogus");
    assert.equal(badSelect.status, 400);
    assert.equal(
      (badSelect.json.result as { message: string }).message,
      "select should be one of: all,in-progress,ready",
    );
    const badFormat = await rawRequest(d.socket, "GET", "/v1/plan?format=json");
    assert.equal(badFormat.status, 400);
    assert.equal((badFormat.json.result as { message: string }).message, 'invalid format "json"');

    const health = await rawRequest(d.socket, "GET", "/v1/health");
    assert.equal(health.status, 200);
    assert.deepEqual(health.json.result, { healthy: true });
    const badLevel = await rawRequest(d.socket, "GET", "/v1/health?level=bogus");
    assert.equal(badLevel.status, 400);

    const noChange = await rawRequest(d.socket, "GET", "/v1/changes/999");
    assert.equal(noChange.status, 404);
    assert.equal(
      (noChange.json.result as { message: string }).message,
      'cannot find change with id "999"',
    );

    // Request lines are logged the way Pebble logs them.
    await waitFor(
      () => /\[pebble\] GET \/v1\/plan\?format=json \S+ 400 \(http\+unix\)/.test(d.output()),
      "the request log line",
    );
  } finally {
    assert.equal(await d.stop(), 0);
  }
  // SIGTERM removes the socket.
  await assert.rejects(Deno.stat(d.socket), Deno.errors.NotFound);
});

Deno.test("api: a client that shuts down its side gets its answers; long polls end as in Go", async () => {
  const d = await startDaemon();
  try {
    // `printf 'GET ...' | nc -N -U socket`: the request, then the client's FIN at once.
    const ask = async (url: string) => {
      const conn = await Deno.connect({ transport: "unix", path: d.socket });
      await conn.write(new TextEncoder().encode(`GET ${url} HTTP/1.0\r\n\r\n`));
      await conn.closeWrite();
      const text = new TextDecoder().decode(await new Response(conn.readable).arrayBuffer());
      return { body: JSON.parse(text.slice(text.indexOf("\r\n\r\n") + 4)) };
    };
    const list = await ask(`/v1/files?action=list&path=${encodeURIComponent(d.dir)}&itself=true`);
    assert.equal(list.body.result[0].type, "directory");
    // Go cancels a request's context when its client's side ends; a long poll then
    // answers at once, as Pebble's does (not after its timeout, with no notices).
    const poll = await ask("/v1/notices?timeout=30s");
    assert.deepEqual([poll.body["status-code"], poll.body.result.message], [
      400,
      "request canceled",
    ]);
  } finally {
    assert.equal(await d.stop(), 0);
  }
});

Deno.test("api: layers directory at start-up, add and combine over the API", async () => {
  const d = await startDaemon({
    layers: {
      "001-base.yaml": BASE,
      "002-override.yaml": `services:
  srv1:
    override: merge
    environment:
      B: "2"
`,
    },
  });
  try {
    const plan = await d.client.getPlanYaml();
    assert.match(plan, /srv1:/);
    assert.match(plan, /A: "1"/);
    assert.match(plan, /B: "2"/);

    // Append a new layer.
    await d.client.addLayer(
      "extra",
      "services:\n  srv3:\n    override: replace\n    command: echo hi\n",
    );
    assert.match(await d.client.getPlanYaml(), /srv3:/);

    // The same label again without combine is refused, nothing changes.
    const before = await d.client.getPlanYaml();
    await assert.rejects(
      d.client.addLayer("extra", "services:\n  srv4:\n    override: replace\n    command: x\n"),
      (e: unknown) =>
        e instanceof APIError && e.code === 400 && /layer "extra" already exists/.test(e.message),
    );
    assert.equal(await d.client.getPlanYaml(), before);

    // Combine merges into the existing layer.
    await d.client.addLayer(
      "extra",
      'services:\n  srv3:\n    override: merge\n    environment:\n      C: "3"\n',
      { combine: true },
    );
    const combined = await d.client.getPlanYaml();
    assert.match(combined, /C: "3"/);
    assert.match(combined, /command: echo hi/);

    // Combine replaces with override: replace.
    await d.client.addLayer(
      "extra",
      "services:\n  srv3:\n    override: replace\n    command: echo bye\n",
      { combine: true },
    );
    const replaced = await d.client.getPlanYaml();
    assert.match(replaced, /command: echo bye/);
    assert.doesNotMatch(replaced, /C: "3"/);

    // The CLI shows the same plan.
    const cli = await runCli(["plan"], d.env);
    assert.equal(cli.code, 0, cli.stderr);
    assert.equal(cli.stdout.trimEnd(), replaced.trimEnd());
  } finally {
    await d.stop();
  }
});

Deno.test("api: every rejected layer leaves the plan unchanged", async () => {
  const d = await startDaemon({ layers: { "001-base.yaml": BASE } });
  try {
    const before = await d.client.getPlanYaml();
    const bad: [string, string, RegExp][] = [
      [
        "unknown field",
        "services:\n  s:\n    override: replace\n    command: x\n    bogus: 1\n",
        /bogus/,
      ],
      ["missing override", "services:\n  s:\n    command: x\n", /override/],
      [
        "bad duration",
        "services:\n  s:\n    override: replace\n    command: x\n    kill-delay: 5 parsecs\n",
        /kill-delay|duration/,
      ],
      [
        "bad enum",
        "services:\n  s:\n    override: replace\n    command: x\n    on-failure: sometimes\n",
        /on-failure/,
      ],
      ["wrong type", "services:\n  s:\n    override: replace\n    command: [x]\n", /command/],
      ["no command", "services:\n  s:\n    override: replace\n", /command/],
      [
        "unknown requires",
        "services:\n  s:\n    override: replace\n    command: x\n    requires: [ghost]\n",
        /ghost/,
      ],
      [
        "cycle",
        "services:\n  a:\n    override: replace\n    command: x\n    after: [b]\n  b:\n    override: replace\n    command: x\n    after: [a]\n",
        /a.*b|b.*a/,
      ],
      ["broken yaml", "services: [\n", /yaml|line/i],
      ["bad service name", "services:\n  -bad-:\n    override: replace\n    command: x\n", /-bad-/],
    ];
    for (const [what, layer, pattern] of bad) {
      const res = await rawRequest(
        d.socket,
        "POST",
        "/v1/layers",
        JSON.stringify({
          action: "add",
          label: `bad-${what.replace(/ /g, "-")}`,
          format: "yaml",
          layer,
        }),
      );
      assert.equal(res.status, 400, `${what}: ${res.text}`);
      const message = (res.json.result as { message: string }).message;
      assert.match(message, pattern, `${what}: ${message}`);
      assert.equal(await d.client.getPlanYaml(), before, `${what} changed the plan`);
    }
    const noLabel = await rawRequest(
      d.socket,
      "POST",
      "/v1/layers",
      JSON.stringify({ action: "add", format: "yaml", layer: "" }),
    );
    assert.equal((noLabel.json.result as { message: string }).message, "label must be set");
    const badAction = await rawRequest(
      d.socket,
      "POST",
      "/v1/layers",
      JSON.stringify({ action: "remove", label: "x", format: "yaml", layer: "" }),
    );
    assert.equal((badAction.json.result as { message: string }).message, 'invalid action "remove"');
  } finally {
    await d.stop();
  }
});

Deno.test("api: a broken layer in the layers directory stops start-up with a clear message", async () => {
  const d = await startDaemon({
    layers: {
      "001-base.yaml": BASE,
      "002-bad.yaml": "services:\n  x:\n    override: sideways\n    command: y\n",
    },
    expectExit: true,
  });
  const code = await d.stop();
  assert.equal(code, 1);
  assert.match(d.output(), /cannot run daemon: .*002-bad|cannot run daemon: .*bad/);
  assert.match(d.output(), /override/);
});

Deno.test("api: missing pebble directory without --create-dirs is a clear error", async () => {
  const dir = join(await tempDir(), "missing");
  const d = await startDaemon({ dir, expectExit: true });
  assert.equal(await d.stop(), 1);
  assert.match(d.output(), /cannot run daemon: .*does not exist.*--create-dirs/);
});

Deno.test("api: --create-dirs, --http serves only open endpoints, socket in use", async () => {
  const dir = join(await tempDir(), "new", "pebble");
  const port = 20000 + Math.floor(Math.random() * 20000);
  const d = await startDaemon({ dir, args: ["--create-dirs", "--http", `127.0.0.1:${port}`] });
  try {
    assert.equal((await Deno.stat(dir)).isDirectory, true);
    assert.equal((await Deno.stat(d.socket)).mode! & 0o777, 0o666);
    const info = await fetch(`http://127.0.0.1:${port}/v1/system-info`);
    const body = await info.json();
    assert.equal(info.status, 200);
    assert.equal(body.result["http-address"], `127.0.0.1:${port}`);
    const health = await fetch(`http://127.0.0.1:${port}/v1/health`);
    assert.equal(health.status, 200);
    await health.body?.cancel();
    const plan = await fetch(`http://127.0.0.1:${port}/v1/plan?format=yaml`);
    const denied = await plan.json();
    assert.equal(plan.status, 401);
    assert.deepEqual(denied.result, { message: "access denied", kind: "login-required" });
    const changes = await fetch(`http://127.0.0.1:${port}/v1/changes`);
    assert.equal(changes.status, 401);
    await changes.body?.cancel();

    // A second daemon on the same socket refuses to start.
    const second = await startDaemon({ dir, expectExit: true });
    assert.equal(await second.stop(), 1);
    assert.match(second.output(), /already in use/);
  } finally {
    await d.stop();
  }
});

Deno.test({
  name: "api: a non-admin local user (nobody) reads but cannot use admin endpoints",
  ignore: !IS_ROOT,
  fn: async () => {
    // The socket's directory must be reachable by other users, as /var/lib/pebble is.
    const dir = await tempDir({ prefix: "pebble-test-" });
    await Deno.chmod(dir, 0o755);
    const d = await startDaemon({ dir, layers: { "001-base.yaml": BASE } });
    try {
      const asNobody = async (method: string, path: string, body?: string) =>
        JSON.parse(await curlAsNobody(d.socket, method, path, { body }));
      const plan = await asNobody("GET", "/v1/plan?format=yaml");
      assert.equal(plan["status-code"], 401);
      assert.deepEqual(plan.result, { message: "access denied", kind: "login-required" });
      const layer = await asNobody(
        "POST",
        "/v1/layers",
        JSON.stringify({ action: "add", label: "x", format: "yaml", layer: "" }),
      );
      assert.equal(layer["status-code"], 401);
      const changes = await asNobody("GET", "/v1/changes?select=all");
      assert.equal(changes["status-code"], 200);
      const info = await asNobody("GET", "/v1/system-info");
      assert.equal(info["status-code"], 200);
      // Any local user may record a custom notice, under its own UID.
      const added = await asNobody(
        "POST",
        "/v1/notices",
        JSON.stringify({ action: "add", type: "custom", key: "example.com/nobody" }),
      );
      assert.equal(added["status-code"], 200);
      const notice = await d.client.getNotice(added.result.id);
      assert.equal(notice.userId, 65534);
      // The plan did not change.
      assert.doesNotMatch(await d.client.getPlanYaml(), /\bx:/);
    } finally {
      await d.stop();
    }
  },
});

Deno.test("api: run --args replaces a service's default arguments", async () => {
  const d = await startDaemon({
    layers: {
      "001-base.yaml":
        "services:\n  web:\n    override: replace\n    command: server [ --port 80 ]\n",
    },
    args: ["--args", "web", "--port", "8080", ";", "--hold"],
  });
  try {
    assert.match(await d.client.getPlanYaml(), /command: server \[ --port 8080 \]/);
  } finally {
    await d.stop();
  }
  const bad = await startDaemon({
    dir: d.dir,
    args: ["--args", "ghost", "x", ";"],
    expectExit: true,
  });
  assert.equal(await bad.stop(), 1);
  assert.match(bad.output(), /cannot run daemon: service "ghost" not found in plan/);
});

Deno.test("api: a truncated state file gives a clean start with a warning; SIGINT stops", async () => {
  const dir = await tempDir({ prefix: "pebble-test-" });
  await Deno.writeTextFile(join(dir, ".pebble.state"), '{"format":"pebble-ts-state/1","gen');
  const d = await startDaemon({ dir });
  let stopped = false;
  try {
    const warnings = await d.client.getNotices({ types: ["warning"] });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0].key, /state file .* was unreadable \(.*\); moved it to .*corrupt/);
    d.proc.kill("SIGINT");
    assert.equal((await d.proc.status).code, 0);
    await d.stop();
    stopped = true;
    assert.match(d.output(), /Exiting on interrupt signal\./);
  } finally {
    if (!stopped) await d.stop();
  }
  // The next start is clean, with the same warning kept.
  const again = await startDaemon({ dir });
  try {
    assert.equal((await again.client.getNotices({ types: ["warning"] })).length, 1);
  } finally {
    await again.stop();
  }
});

Deno.test("api: PEBBLE_PERSIST=never keeps the state in memory only", async () => {
  const d = await startDaemon({ env: { PEBBLE_PERSIST: "never" } });
  try {
    const added = await rawRequest(
      d.socket,
      "POST",
      "/v1/notices",
      JSON.stringify({ action: "add", type: "custom", key: "example.com/mem" }),
    );
    assert.equal(added.status, 200);
  } finally {
    await d.stop();
  }
  const names = [...Deno.readDirSync(d.dir)].map((e) => e.name);
  assert.deepEqual(names.filter((n) => n.startsWith(".pebble.state")), []);
});
