// `pebble pull`: stream a file from the daemon's system into a local file.

import { CliError, type Command, extraArgsError } from "./_context.ts";
import { osErrorText } from "./cmd_add.ts";

/** The `pull` command. */
export const pull: Command = {
  spec: {
    name: "pull",
    summary: "Retrieve a file from the remote system",
    description: "The pull command retrieves a file from the remote system.",
    args: [
      { name: "<remote-path>", required: true },
      { name: "<local-path>", required: true },
    ],
  },
  async run(ctx, args) {
    if (args.extra.length > 0) throw extraArgsError();
    const local = args.arg("<local-path>");
    let file: Deno.FsFile;
    try {
      file = await Deno.open(local, { write: true, create: true, truncate: true, mode: 0o666 });
    } catch (err) {
      throw new CliError(`open ${local}: ${osErrorText(err)}`);
    }
    try {
      const client = await ctx.client();
      const stream = await client.pull(args.arg("<remote-path>"), { encoding: null });
      await stream.pipeTo(file.writable); // closes the file
    } catch (err) {
      try {
        file.close();
      } catch { /* closed by the stream */ }
      // Discard what was written, as Pebble does.
      await Deno.remove(local).catch((e) => {
        ctx.err(`Cannot discard pulled file: ${(e as Error).message}\n`);
      });
      throw err;
    }
  },
};
