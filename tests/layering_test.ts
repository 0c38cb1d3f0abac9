/**
 * The client side (mod.ts and the CLI's commands) never loads server code: only main.ts
 * hands the CLI a loader for server mode.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { ROOT } from "./_helpers.ts";

const CLIENT_ENTRIES = ["mod.ts", "client/cli/_main.ts", "client/cli/_commands.ts"];

Deno.test("layering: the client and the CLI do not depend on server/", async () => {
  for (const entry of CLIENT_ENTRIES) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", join(ROOT, entry)],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const info = JSON.parse(new TextDecoder().decode(out.stdout));
    const server = (info.modules as { specifier: string }[])
      .map((m) => m.specifier)
      .filter((s) => s.startsWith(`file://${join(ROOT, "server")}/`));
    assert.deepEqual(server, [], `${entry} pulls in server code`);
  }
});

Deno.test("layering: `deno task start` runs the daemon with its V8 flags", async () => {
  const { DAEMON_V8_FLAGS } = await import("../server/process/v8_flags.ts");
  const config = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json")));
  assert.ok(
    (config.tasks.start as string).split(" ").includes(DAEMON_V8_FLAGS),
    `${config.tasks.start} lacks ${DAEMON_V8_FLAGS}`,
  );
});
