// `pebble rm`: remove a file or directory on the daemon's system.

import { type Command, extraArgsError } from "./_context.ts";

/** The `rm` command. */
export const rm: Command = {
  spec: {
    name: "rm",
    summary: "Remove a file or directory",
    description: "The rm command removes a file or directory.",
    options: [{
      long: "recursive",
      short: "r",
      shortOnly: true,
      help: "Remove all files and directories recursively in the specified path",
    }],
    args: [{ name: "<path>", required: true }],
  },
  async run(ctx, args) {
    if (args.extra.length > 0) throw extraArgsError();
    const client = await ctx.client();
    await client.removePath(args.arg("<path>"), { recursive: args.bool("recursive") });
  },
};
