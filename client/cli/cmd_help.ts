// `pebble help [--all] [<command>...]`.

import { PROGRAM_NAME } from "./_commands.ts";
import { CliError, type Command, extraArgsError } from "./_context.ts";
import { longHelp, shortHelp } from "./_help.ts";

/** The `help` command. */
export const help: Command = {
  spec: {
    name: "help",
    summary: "Show help about a command",
    description: "The help command displays information about commands.",
    options: [
      { long: "all", help: "Show a short summary of all commands" },
      { long: "man", help: "Generate the manpage", hidden: true },
    ],
    args: [{ name: "<command>", rest: true }],
  },
  async run(ctx, args) {
    if (args.extra.length > 0) throw extraArgsError();
    const subs = args.rest("<command>");
    if (args.bool("man")) {
      throw new CliError(`"${PROGRAM_NAME} help --man" is not implemented yet`);
    }
    if (args.bool("all")) {
      if (subs.length > 0) throw new CliError("help accepts a command, or '--all', but not both");
      ctx.out(longHelp());
      return;
    }
    if (subs.length === 0) {
      ctx.out(shortHelp());
      return;
    }
    const { loadCommand, showCommandHelp } = await import("./_main.ts");
    // Pebble's commands have no subcommands, so any word after the first is unknown.
    const command = await loadCommand(subs[0]);
    if (subs.length > 1) {
      throw new CliError(`unknown command "${subs[1]}", see '${PROGRAM_NAME} help ${subs[0]}'`);
    }
    return await showCommandHelp(ctx, command);
  },
};
