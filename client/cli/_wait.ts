// Pebble's waitMixin: `--no-wait` prints the change ID; otherwise wait for the change
// (Ctrl-C aborts it, as in Pebble) and fail with the change's error.

import { type CliContext, CliError } from "./_context.ts";
import type { OptionSpec, ParsedArgs } from "./_flags.ts";

/** `--no-wait`. */
export const NO_WAIT_OPTION: OptionSpec = {
  long: "no-wait",
  help: "Do not wait for the operation to finish but just print the change id.",
};

/** Waits for change `id` unless `--no-wait` was given. */
export async function waitForChange(
  ctx: CliContext,
  args: ParsedArgs,
  id: string,
): Promise<void> {
  if (args.bool("no-wait")) {
    ctx.out(`${id}\n`);
    return;
  }
  const client = await ctx.client();
  const onInterrupt = () => {
    client.abortChange(id).catch((e) => ctx.err(`${(e as Error).message}\n`));
  };
  let listening = false;
  try {
    Deno.addSignalListener("SIGINT", onInterrupt);
    listening = true;
  } catch {
    // No signal support (tests in some environments): just wait.
  }
  try {
    const change = await client.waitChange(id, { timeout: null });
    if (change.status === "Done") return;
    if (change.err) throw new CliError(change.err);
    throw new CliError(
      `change finished in status ${JSON.stringify(change.status)} with no error message`,
    );
  } finally {
    if (listening) Deno.removeSignalListener("SIGINT", onInterrupt);
  }
}
