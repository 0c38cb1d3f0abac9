// `pebble run`: parse Pebble's run flags and start the daemon (server mode).

import { DISPLAY_NAME, PROGRAM_NAME } from "./_commands.ts";
import { type CliContext, type Command, extraArgsError } from "./_context.ts";
import type { OptionSpec, ParsedArgs } from "./_flags.ts";
import type { RunOptions } from "./_daemon.ts";

/** The options `run` (and later `enter`) share, in Pebble's order. */
export const RUN_OPTIONS: readonly OptionSpec[] = [
  {
    long: "create-dirs",
    help: `Create ${DISPLAY_NAME} directory on startup if it doesn't exist`,
  },
  { long: "hold", help: "Do not start default services automatically" },
  {
    long: "http",
    kind: "string",
    help:
      `Start HTTP API listening on this address in "<address>:port" format (for example, ":4000", "192.0.2.0:4000", "[2001:db8::1]:4000")`,
  },
  {
    long: "https",
    kind: "string",
    help:
      `Start HTTPS API listening on this address in "<address>:port" format (for example, ":8443", "192.0.2.0:8443", "[2001:db8::1]:8443")`,
  },
  {
    long: "verbose",
    short: "v",
    help: "Log all output from services to stdout (also PEBBLE_VERBOSE=1)",
  },
  {
    long: "args",
    kind: "terminated",
    terminator: ";",
    help: "Provide additional arguments to a service",
  },
  {
    long: "identities",
    kind: "string",
    help: "Seed identities from file (like update-identities --replace)",
  },
];

/**
 * Turns the uses of `--args SERVICE ARGS... ;` into a map of service name to extra
 * arguments, rejecting an empty use and a service given twice (Pebble's convertArgs).
 */
export function convertServiceArgs(uses: string[][]): Record<string, string[]> {
  const mapped: Record<string, string[]> = {};
  for (const use of uses) {
    if (use.length < 1) throw new Error("--args requires a service name");
    const [name, ...rest] = use;
    if (Object.hasOwn(mapped, name)) {
      throw new Error(`--args provided more than once for ${JSON.stringify(name)} service`);
    }
    mapped[name] = rest;
  }
  return mapped;
}

/** The `run` command. */
export const run: Command = {
  spec: {
    name: "run",
    summary: "Run the service manager environment",
    description: `The run command starts ${DISPLAY_NAME} and runs the configured environment.

Additional arguments may be provided to the service command with the --args
option, which must be terminated with ";" unless there are no further program
options. These arguments are appended to the end of the service command, and
replace any default arguments defined in the service plan. For example:

${PROGRAM_NAME} run --args myservice --port 8080 \\; --hold`,
    options: RUN_OPTIONS,
  },
  async run(ctx, args) {
    if (args.extra.length > 0) throw extraArgsError();
    const options = await runOptionsFrom(ctx, args);
    if (typeof options === "number") return options;
    try {
      return await (await ctx.server()).runDaemon(options);
    } catch (err) {
      ctx.err(`cannot run daemon: ${(err as Error).message}\n`);
      return 1;
    }
  },
};

/**
 * The daemon options from the run flags `run` and `enter` share; reads the
 * `--identities` file. Returns exit status 1 (having said why) when they are wrong.
 */
export async function runOptionsFrom(
  ctx: CliContext,
  args: ParsedArgs,
): Promise<RunOptions | number> {
  let serviceArgs: Record<string, string[]> = {};
  try {
    serviceArgs = convertServiceArgs(args.terminated("args"));
  } catch (err) {
    ctx.err(`cannot run daemon: ${(err as Error).message}\n`);
    return 1;
  }
  let identities: Record<string, unknown> | undefined;
  const identitiesFile = args.string("identities");
  if (identitiesFile) {
    try {
      const { readIdentities } = await import("./cmd_identities.ts");
      const { identityToJson } = await import("../identities.ts");
      identities = {};
      for (const [name, id] of Object.entries(await readIdentities(identitiesFile))) {
        identities[name] = id === null ? null : identityToJson(id);
      }
      identities = JSON.parse(JSON.stringify(identities)); // as sent over the API (NaN: null)
    } catch (err) {
      ctx.err(`cannot run daemon: cannot read identities: ${(err as Error).message}\n`);
      return 1;
    }
  }
  return {
    pebbleDir: ctx.pebbleDir,
    socketPath: ctx.socketPath,
    createDirs: args.bool("create-dirs"),
    hold: args.bool("hold"),
    httpAddress: args.string("http") || undefined,
    httpsAddress: args.string("https") || undefined,
    verbose: args.bool("verbose") || ctx.env("PEBBLE_VERBOSE") === "1",
    args: serviceArgs,
    identities,
  };
}
