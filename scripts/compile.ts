/**
 * `deno task compile`: builds the single `pebble` binary into `dist/pebble`.
 *
 * `deno compile` needs the Deno runtime image (`denort`) for the target. Where Deno
 * cannot download it (closed networks), point `DENORT_BIN` at a `denort` binary of the
 * same Deno version. (The `deno` CLI binary itself is not a substitute: the result
 * would behave as the deno CLI.)
 *
 * @module
 */

import { join } from "node:path";
import { DAEMON_V8_FLAGS } from "../server/process/v8_flags.ts";

const root = new URL("..", import.meta.url).pathname;
const output = Deno.args[0] ?? join(root, "dist", "pebble");
const denort = Deno.env.get("DENORT_BIN");
if (denort) {
  try {
    await Deno.stat(denort);
  } catch {
    console.error(`error: DENORT_BIN points at ${denort}, which does not exist`);
    Deno.exit(1);
  }
  if (denort === Deno.execPath()) {
    console.error("error: DENORT_BIN must be a denort binary, not the deno CLI itself");
    Deno.exit(1);
  }
}
const cmd = new Deno.Command(Deno.execPath(), {
  args: ["compile", "-A", DAEMON_V8_FLAGS, "--output", output, join(root, "main.ts")],
  stdout: "inherit",
  stderr: "piped",
});
const out = await cmd.output();
const stderr = new TextDecoder().decode(out.stderr);
await Deno.stderr.write(out.stderr);
if (out.code !== 0) {
  if (!denort && /denort|download/i.test(stderr)) {
    console.error(
      "error: deno compile could not fetch its runtime (denort) for " +
        `deno ${Deno.version.deno}; download denort-${Deno.build.target}.zip where you can, ` +
        "unpack it, and run again with DENORT_BIN=/path/to/denort",
    );
  }
  Deno.exit(out.code);
}
console.error(`built ${output}`);
