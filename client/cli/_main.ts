// The CLI's entry point: find the command, load only its module, parse its flags with
// go-flags semantics, run it, and turn errors into Pebble's `error: ...` and exit codes.

import { COMMANDS, PROGRAM_NAME } from "./_commands.ts";
import { CliContext, type CliContextOptions, CliError, type Command } from "./_context.ts";
import {
  argumentIsOption,
  HelpRequested,
  parseArgs,
  UsageError,
  VersionRequested,
} from "./_flags.ts";

/** Shows `pebble help` (the short command list). */
async function showShortHelp(ctx: CliContext): Promise<number> {
  const { shortHelp } = await import("./_help.ts");
  ctx.out(shortHelp());
  return 0;
}

/** Shows a command's go-flags help. */
export async function showCommandHelp(ctx: CliContext, command: Command): Promise<number> {
  const { commandHelp, helpColumns } = await import("./_help.ts");
  ctx.out(commandHelp(command.spec, helpColumns()));
  return 0;
}

/** Loads a command's module, or throws the error Pebble would print for an unknown one. */
export async function loadCommand(name: string, suggestion = `${PROGRAM_NAME} help`) {
  const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!entry) throw new CliError(`unknown command "${name}", see '${suggestion}'`);
  if (!entry.load) {
    throw new CliError(
      `command "${name}" is not implemented yet in this version of ${PROGRAM_NAME}`,
    );
  }
  return await entry.load();
}

/**
 * Runs the CLI with `args` (without the program name) and resolves to the exit status.
 * Output goes through `options.io` (the process's stdout and stderr by default).
 */
export async function runCli(
  args: readonly string[],
  options: CliContextOptions = {},
): Promise<number> {
  const ctx = new CliContext(options);
  try {
    return await dispatch(ctx, args);
  } catch (err) {
    return await reportError(ctx, err);
  } finally {
    ctx.close();
  }
}

async function dispatch(ctx: CliContext, args: readonly string[]): Promise<number> {
  // Global options before the command: -h/--help and the hidden --version.
  let i = 0;
  for (; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") {
      const rest = args.slice(i + 1);
      if (rest.length === 0) return await showShortHelp(ctx);
      throw new CliError(`unknown command "${rest[0]}", see '${PROGRAM_NAME} help'`);
    }
    if (!argumentIsOption(arg)) break;
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
      if (name === "help") return await showShortHelp(ctx);
      if (name === "version") {
        if (eq >= 0) throw new UsageError("bool flag `--version' cannot have an argument");
        ctx.out(ctx.version + "\n");
        return 0;
      }
      throw new UsageError(`unknown flag \`${name}'`);
    }
    const first = arg[1];
    if (first === "h") return await showShortHelp(ctx);
    throw new UsageError(`unknown flag \`${first}'`);
  }
  if (i >= args.length) return await showShortHelp(ctx);

  const command = await loadCommand(args[i]);
  let parsed;
  try {
    parsed = parseArgs(command.spec, args.slice(i + 1));
  } catch (err) {
    if (err instanceof HelpRequested) return await showCommandHelp(ctx, command);
    if (err instanceof VersionRequested) {
      ctx.out(ctx.version + "\n");
      return 0;
    }
    throw err;
  }
  const status = (await command.run(ctx, parsed)) ?? 0;
  if (status === 0 && command.spec.name !== "run") await maybePresentWarnings(ctx);
  return status;
}

/** Pebble's reminder after a command when the daemon reports warnings not yet listed. */
async function maybePresentWarnings(ctx: CliContext): Promise<void> {
  const latest = ctx.existingClient?.latestWarning;
  if (!latest) return;
  let state;
  try {
    state = await ctx.loadCliState();
  } catch (err) {
    throw new CliError(`cannot load CLI state: ${(err as Error).message}`);
  }
  const { isZeroTime } = await import("./_context.ts");
  const { parsePreciseTime } = await import("../_time.ts");
  if (!isZeroTime(state.warningsLastListed)) {
    let listed: bigint;
    try {
      listed = parsePreciseTime(state.warningsLastListed).nanos;
    } catch {
      listed = -1n;
    }
    if (BigInt(latest.getTime()) * 1_000_000n <= listed) return;
  }
  ctx.err(`WARNING: There are new warnings. See '${PROGRAM_NAME} warnings'.\n`);
}

async function reportError(ctx: CliContext, err: unknown): Promise<number> {
  if (err instanceof UsageError || err instanceof CliError) {
    ctx.err(`error: ${err.message}\n`);
    return 1;
  }
  const { APIError, PathError } = await import("../errors.ts");
  if (err instanceof APIError || err instanceof PathError) {
    const { errorToMessage } = await import("./_errors.ts");
    const { message, isError } = errorToMessage(err);
    if (!isError) {
      ctx.err(message + "\n");
      return 0;
    }
    ctx.err(`error: ${message}\n`);
    return 1;
  }
  const message = err instanceof Error ? err.message : String(err);
  ctx.err(`error: ${message}\n`);
  return 1;
}
