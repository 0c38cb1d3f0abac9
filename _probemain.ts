import "/tmp/exp/probe.js";
import { runCli } from "./client/cli/_main.ts";
Deno.exit(await runCli(Deno.args, { server: () => import("./server/run.ts") }));
