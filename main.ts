// The `pebble` program. `pebble run` enters server mode; every other command is a client
// of a running daemon. Only the module of the command being run is loaded.

import { runCli } from "./client/cli/_main.ts";

if (import.meta.main) {
  Deno.exit(await runCli(Deno.args, { server: () => import("./server/run.ts") }));
}
