/**
 * `deno task start`: runs the daemon on a local state directory (`./.pebble`, or
 * `$PEBBLE` if set) with a sample layer, so that the CLI can be tried at once:
 *
 * ```sh
 * PEBBLE=.pebble deno run -A main.ts plan
 * ```
 *
 * @module
 */

import { join } from "node:path";
import { runDaemon } from "../server/run.ts";

const root = new URL("..", import.meta.url).pathname;
const pebbleDir = Deno.env.get("PEBBLE") || join(root, ".pebble");
const socketPath = Deno.env.get("PEBBLE_SOCKET") || join(pebbleDir, ".pebble.socket");
const layers = join(pebbleDir, "layers");
await Deno.mkdir(layers, { recursive: true, mode: 0o700 });
const sample = join(layers, "001-sample.yaml");
try {
  await Deno.stat(sample);
} catch {
  await Deno.copyFile(join(root, "scripts", "sample-layer.yaml"), sample);
}
console.error(`pebble directory: ${pebbleDir}`);
console.error(`try: PEBBLE=${pebbleDir} deno run -A main.ts plan`);
Deno.exit(await runDaemon({ pebbleDir, socketPath, createDirs: true, verbose: true }));
