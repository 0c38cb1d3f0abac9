// `pebble start-checks` and `pebble stop-checks`.

import type { Command } from "./_context.ts";

/** The `start-checks` command. */
export const startChecks: Command = {
  spec: {
    name: "start-checks",
    summary: "Start one or more checks",
    description: `The start-checks command starts the configured health checks provided as
positional arguments. For any checks that are already active, the command
has no effect.`,
    args: [{ name: "<check>", rest: true, required: true }],
  },
  async run(ctx, args) {
    const client = await ctx.client();
    const changed = await client.startChecks(args.rest("<check>"));
    ctx.out(
      changed.length === 0
        ? "Checks already started.\n"
        : `Checks started: ${changed.join(", ")}\n`,
    );
  },
};

/** The `stop-checks` command. */
export const stopChecks: Command = {
  spec: {
    name: "stop-checks",
    summary: "Stop one or more checks",
    description: `The stop-checks command stops the configured health checks provided as
positional arguments. For any checks that are inactive, the command has
no effect.`,
    args: [{ name: "<check>", rest: true, required: true }],
  },
  async run(ctx, args) {
    const client = await ctx.client();
    const changed = await client.stopChecks(args.rest("<check>"));
    ctx.out(
      changed.length === 0
        ? "Checks already stopped.\n"
        : `Checks stopped: ${changed.join(", ")}\n`,
    );
  },
};
