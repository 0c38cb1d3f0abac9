// Helpers shared by the file commands (mkdir, push): Pebble's owner flags and mode flag.

import type { OptionSpec, ParsedArgs } from "./_flags.ts";
import { CliError } from "./_context.ts";

/** `-m`, `--uid`, `--user`, `--gid`, `--group` with the help texts of `what` command. */
export function ownerOptions(parentsHelp: string): OptionSpec[] {
  return [
    { long: "parents", short: "p", shortOnly: true, help: parentsHelp },
    {
      long: "mode",
      short: "m",
      shortOnly: true,
      kind: "string",
      help: "Override mode bits (3-digit octal)",
    },
    { long: "uid", kind: "string", help: "Use specified user ID" },
    { long: "user", kind: "string", help: "Use specified username" },
    { long: "gid", kind: "string", help: "Use specified group ID" },
    { long: "group", kind: "string", help: "Use specified group name" },
  ];
}

function intFlag(args: ParsedArgs, name: string): number | undefined {
  if (!args.isSet(name)) return undefined;
  const v = args.string(name);
  if (!/^[+-]?\d+$/.test(v)) {
    throw new CliError(
      `invalid argument for flag \`--${name}' (expected *int): strconv.ParseInt: parsing ${
        JSON.stringify(v)
      }: invalid syntax`,
    );
  }
  return Number(v);
}

/** The owner fields given on the command line. */
export function ownerFlags(args: ParsedArgs): {
  userId?: number;
  user?: string;
  groupId?: number;
  group?: string;
} {
  return {
    userId: intFlag(args, "uid"),
    user: args.string("user") || undefined,
    groupId: intFlag(args, "gid"),
    group: args.string("group") || undefined,
  };
}

/** `-m MODE` as Pebble parses it (any octal number; 0 means "not given"). */
export function modeFlag(args: ParsedArgs): number | undefined {
  const mode = args.string("mode");
  if (mode === "") return undefined;
  if (!/^[0-7]+$/.test(mode) || parseInt(mode, 8) > 0xffffffff) {
    throw new CliError(`invalid mode for directory: ${JSON.stringify(mode)}`);
  }
  return parseInt(mode, 8) || undefined;
}
