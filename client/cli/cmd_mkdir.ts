// `pebble mkdir`: create a directory on the daemon's system.

import { type Command, extraArgsError } from "./_context.ts";
import { modeFlag, ownerFlags, ownerOptions } from "./_files.ts";

/** The `mkdir` command. */
export const mkdir: Command = {
  spec: {
    name: "mkdir",
    summary: "Create a directory",
    description: "The mkdir command creates the specified directory.",
    options: ownerOptions(
      "Create parent directories as needed, and don't fail if path already exists",
    ),
    args: [{ name: "<path>", required: true }],
  },
  async run(ctx, args) {
    if (args.extra.length > 0) throw extraArgsError();
    const permissions = modeFlag(args);
    const client = await ctx.client();
    await client.makeDir(args.arg("<path>"), {
      makeParents: args.bool("parents"),
      permissions,
      ...ownerFlags(args),
    });
  },
};
