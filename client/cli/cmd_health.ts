// `pebble health`: whether the requested checks are healthy (exit status 1 if not).

import type { CheckLevel } from "../checks.ts";
import { type Command, extraArgsError } from "./_context.ts";
import { FORMAT_OPTION, printStructured } from "./_options.ts";
import { LEVEL_OPTION } from "./_checks.ts";

/** The `health` command. */
export const health: Command = {
  spec: {
    name: "health",
    summary: "Query health of checks",
    description: `The health command queries the health of configured checks.

It returns an exit code 0 if all the requested checks are healthy, or
an exit code 1 if at least one of the requested checks are unhealthy.
If --format is passed either json or yaml, an exit code of 0 is returned for
both healthy and unhealthy requested checks.`,
    options: [
      FORMAT_OPTION,
      LEVEL_OPTION,
    ],
    args: [{ name: "<check>", rest: true }],
  },
  async run(ctx, args) {
    if (args.extra.length > 0) throw extraArgsError();
    const client = await ctx.client();
    const healthy = await client.getHealth({
      level: args.string("level") as CheckLevel,
      names: args.rest("<check>"),
    });
    const format = args.string("format");
    if (format === "text") {
      ctx.out(healthy ? "healthy\n" : "unhealthy\n");
      return healthy ? 0 : 1;
    }
    await printStructured(ctx, format, { healthy });
  },
};
