/**
 * The `notify`, `notices`, `notice` and `okay` commands end to end against the real
 * daemon, with Pebble's output layout, messages, exit codes and CLI state file.
 */

import assert from "node:assert/strict";
import { runCli, startDaemon } from "./_helpers.ts";

const TIME = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/;

Deno.test("cli: notify, notices (only what is new since okay), notice, okay", async () => {
  const d = await startDaemon();
  try {
    const env = { ...d.env, XDG_CONFIG_HOME: `${d.dir}/config` };
    const cli = (...args: string[]) => runCli(args, env);
    const stateFile = `${d.dir}/config/pebble/cli.json`;

    assert.deepEqual(await cli("notify", "example.com/a", "k=v", "empty=", "eq=a=b"), {
      code: 0,
      stdout: "Recorded notice 1\n",
      stderr: "",
    });
    assert.deepEqual(await cli("notify", "--repeat-after=1h", "example.com/b"), {
      code: 0,
      stdout: "Recorded notice 2\n",
      stderr: "",
    });
    const bad = await cli("notify", "example.com/a", "novalue");
    assert.deepEqual(bad, {
      code: 1,
      stdout: "",
      stderr: 'error: data args must be in "name=value" format, not "novalue"\n',
    });
    assert.equal(
      (await cli("notify", "Example/a")).stderr,
      'error: invalid key "Example/a" (must be in "example.com/path" format)\n',
    );
    assert.equal(
      (await cli("notify", "--repeat-after=soon", "example.com/a")).stderr,
      "error: invalid argument for flag `--repeat-after' (expected time.Duration): " +
        'time: invalid duration "soon"\n',
    );

    // The table, oldest repeat first; the last one listed is remembered in cli.json.
    const listed = await cli("notices", "--abs-time");
    assert.equal(listed.code, 0, listed.stderr);
    const lines = listed.stdout.split("\n");
    assert.equal(
      lines[0],
      "ID   User  Type    Key            First                 Repeated              Occurrences",
    );
    assert.match(
      lines[1],
      new RegExp(`^1    0     custom  example.com/a  ${TIME.source}  ${TIME.source}  1$`),
    );
    assert.ok(lines[2].startsWith("2    0     custom  example.com/b  "), lines[2]);
    const raw2 = (await d.client.request("GET", "/v1/notices/2")).result as Record<string, string>;
    let state = JSON.parse(await Deno.readTextFile(stateFile)).pebble[d.socket];
    assert.equal(state["notices-last-listed"], raw2["last-repeated"]);
    assert.equal(state["notices-last-okayed"], "0001-01-01T00:00:00Z");

    // okay: later listings show only what repeated since.
    assert.deepEqual(await cli("okay"), { code: 0, stdout: "", stderr: "" });
    state = JSON.parse(await Deno.readTextFile(stateFile)).pebble[d.socket];
    assert.equal(state["notices-last-okayed"], raw2["last-repeated"]);
    assert.deepEqual(await cli("notices"), {
      code: 0,
      stdout: "",
      stderr: "No matching notices.\n",
    });
    await d.client.notify("custom", "example.com/a", { data: { k: "w" } });
    const again = await cli("notices", "--format=json");
    const parsed = JSON.parse(again.stdout);
    assert.deepEqual(parsed.notices.map((n: { id: string }) => n.id), ["1"]);
    assert.equal(parsed.notices[0].occurrences, 2);
    assert.deepEqual(parsed.notices[0]["last-data"], { k: "w" });

    // --timeout: waits, then says so.
    assert.deepEqual(await cli("notices", "--key", "example.com/none", "--timeout", "50ms"), {
      code: 0,
      stdout: "",
      stderr: "No matching notices after waiting 50ms.\n",
    });

    // notice by ID and by type and key: YAML as Go's client prints it.
    const one = await cli("notice", "2");
    assert.equal(one.code, 0, one.stderr);
    assert.match(
      one.stdout,
      new RegExp(
        '^id: "2"\nuser-id: 0\ntype: custom\nkey: example.com/b\n' +
          `first-occurred: ${TIME.source}\nlast-occurred: ${TIME.source}\n` +
          `last-repeated: ${TIME.source}\noccurrences: 1\nrepeat-after: 1h0m0s\n` +
          "expire-after: 168h0m0s\n$",
      ),
    );
    const byKey = await cli("notice", "custom", "example.com/a", "--format", "json");
    const n1 = JSON.parse(byKey.stdout);
    assert.equal(n1.id, "1");
    assert.deepEqual(Object.keys(n1), [
      "id",
      "user-id",
      "type",
      "key",
      "first-occurred",
      "last-occurred",
      "last-repeated",
      "occurrences",
      "last-data",
      "expire-after",
    ]);
    assert.deepEqual(await cli("notice", "custom", "example.com/zzz"), {
      code: 1,
      stdout: "",
      stderr: 'error: cannot find custom notice with key "example.com/zzz"\n',
    });
    assert.deepEqual(await cli("notice", "42"), {
      code: 1,
      stdout: "",
      stderr: 'error: cannot find notice with ID "42"\n',
    });
    assert.equal(
      (await cli("notice", "--uid", "0", "1")).stderr,
      "error: cannot use --uid option when looking up notice by key\n",
    );
    const uid = await cli("notice", "--uid", "0", "custom", "example.com/b");
    assert.equal(uid.code, 0, uid.stderr);
    assert.match(uid.stdout, /^id: "2"\n/);
  } finally {
    await d.stop();
  }
});
