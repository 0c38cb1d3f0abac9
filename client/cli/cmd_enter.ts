// `pebble enter`: run a subcommand under a container environment (Pebble as an
// entrypoint): the daemon starts in this process, the subcommand runs against it, and its
// exit status becomes the process's.

import { CliError, type Command } from "./_context.ts";
import { COMMANDS, DISPLAY_NAME, PROGRAM_NAME } from "./_commands.ts";
import { RUN_OPTIONS, runOptionsFrom } from "./cmd_run.ts";

const SILENCE_LOGGING = 1;
const PROHIBIT_VERBOSE = 2;
const NO_SERVICE_MANAGER = 4;
const KEEP_SERVICE_MANAGER = 8;
const REQUIRE_AUTOSTART = 16;
const PROHIBIT_AUTOSTART = 32;

/** What each supported subcommand needs (Pebble's commandEnterFlags). */
const ENTER_FLAGS: Record<string, number> = {
  exec: SILENCE_LOGGING | PROHIBIT_VERBOSE,
  help: NO_SERVICE_MANAGER,
  ls: SILENCE_LOGGING | PROHIBIT_AUTOSTART,
  plan: SILENCE_LOGGING | PROHIBIT_AUTOSTART,
  services: SILENCE_LOGGING | PROHIBIT_AUTOSTART,
  version: SILENCE_LOGGING | PROHIBIT_AUTOSTART,
  start: KEEP_SERVICE_MANAGER,
  stop: KEEP_SERVICE_MANAGER | REQUIRE_AUTOSTART,
};

/** The `enter` command. */
export const enter: Command = {
  spec: {
    name: "enter",
    summary: "Run subcommand under a container environment",
    description:
      `The enter command facilitates the use of ${DISPLAY_NAME} as an entrypoint for containers.
When used without a subcommand it mimics the behavior of the run command
alone, while if used with a subcommand it runs that subcommand in the most
appropriate environment taking into account its purpose.

These subcommands are currently supported:

  help      (1)(2)
  version   (1)(2)
  plan      (1)(2)
  services  (1)(2)
  ls        (1)(2)
  exec      (1)
  start     (3)
  stop      (3)

(1) Services are not started.
(2) No logs on stdout unless -v/--verbose is used.
(3) Services continue running after the subcommand succeeds.`,
    options: [
      ...RUN_OPTIONS,
      { long: "run", help: "Start default services before executing subcommand" },
    ],
    args: [{ name: "<subcommand>", rest: true }],
    passAfterNonOption: true,
  },
  async run(ctx, args) {
    const sub = args.rest("<subcommand>");
    const options = await runOptionsFrom(ctx, args);
    if (typeof options === "number") return options;
    const { launchDaemon, runDaemon, silenceLog } = await ctx.server();
    if (sub.length === 0) return await runDaemon(options);

    const name = sub[0];
    if (!Object.hasOwn(COMMANDS, name)) {
      throw new CliError(`unknown command "${name}", see '${PROGRAM_NAME} help'`);
    }
    const flags = ENTER_FLAGS[name];
    if (flags === undefined) throw new CliError(`enter: subcommand "${name}" is not supported`);
    const run = args.bool("run");
    if (flags & REQUIRE_AUTOSTART && !run) {
      throw new CliError(`enter: must use --run before "${name}" subcommand`);
    }
    if (flags & (PROHIBIT_AUTOSTART | NO_SERVICE_MANAGER) && run) {
      throw new CliError(`enter: cannot provide --run before "${name}" subcommand`);
    }
    if (flags & PROHIBIT_VERBOSE && args.bool("verbose")) {
      throw new CliError(`enter: cannot provide -v/--verbose before "${name}" subcommand`);
    }
    const { runCli } = await import("./_main.ts");
    const subOptions = { io: ctx.io, env: ctx.env, version: ctx.version };
    if (flags & NO_SERVICE_MANAGER) return await runCli(sub, subOptions);

    options.hold = !run;
    const verbose = ctx.env("PEBBLE_VERBOSE") === "1" || args.bool("verbose");
    if (flags & SILENCE_LOGGING && !verbose) {
      silenceLog();
    }
    const running = await launchDaemon(options);
    if (typeof running === "number") return running;
    await running.ready;
    const code = await runCli(sub, subOptions);
    if (code !== 0 || !(flags & KEEP_SERVICE_MANAGER)) running.stop();
    const daemonCode = await running.exit;
    return code !== 0 ? code : daemonCode;
  },
};
