// `pebble push`: stream a local file to the daemon's system.

import { CliError, type Command, extraArgsError } from "./_context.ts";
import { modeFlag, ownerFlags, ownerOptions } from "./_files.ts";
import { osErrorText } from "./cmd_add.ts";

/** The `push` command. */
export const push: Command = {
  spec: {
    name: "push",
    summary: "Transfer a file to the remote system",
    description: "The push command transfers a file to the remote system.",
    options: ownerOptions("Create parent directories for the file"),
    args: [
      { name: "<local-path>", required: true },
      { name: "<remote-path>", required: true },
    ],
  },
  async run(ctx, args) {
    if (args.extra.length > 0) throw extraArgsError();
    const local = args.arg("<local-path>");
    let file: Deno.FsFile;
    try {
      file = await Deno.open(local, { read: true });
    } catch (err) {
      throw new CliError(`open ${local}: ${osErrorText(err)}`);
    }
    try {
      const info = await file.stat();
      if (info.isDirectory) {
        // Pebble's client finds out when its upload reads the file, and says so in Go's
        // HTTP client's words.
        throw new CliError(
          `cannot communicate with server: Post "http://localhost/v1/files": read ${local}: is a directory`,
        );
      }
      let permissions = modeFlag(args);
      if (args.string("mode") === "") permissions = (info.mode ?? 0) & 0o777;
      const client = await ctx.client();
      await client.push(args.arg("<remote-path>"), file, {
        makeDirs: args.bool("parents"),
        permissions: permissions || undefined,
        ...ownerFlags(args),
      });
    } finally {
      file.close();
    }
  },
};
