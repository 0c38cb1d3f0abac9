/**
 * Compatibility: ops' Python `pebble.Client` (what charms use) against our daemon.
 * `.ci/run` installs ops with pip.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { ROOT, startDaemon } from "./_helpers.ts";

Deno.test("compat: ops.pebble.Client drives the daemon unchanged", async () => {
  const d = await startDaemon();
  try {
    const out = await new Deno.Command("python3", {
      args: [join(ROOT, "tests/compat/ops_client.py"), d.socket],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(out.stdout);
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, `ops client failed:\n${stdout}\n${stderr}`);
    assert.match(stdout, /^done$/m);
  } finally {
    await d.stop();
  }
});
