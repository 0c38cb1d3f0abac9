// `pebble signal SIG svc...`: send a signal to running services.

import { CliError, type Command } from "./_context.ts";

/** The `signal` command. */
export const signal: Command = {
  spec: {
    name: "signal",
    summary: "Send a signal to one or more running services",
    description: `The signal command sends a signal to one or more running services. The signal
name must be uppercase, for example:

pebble signal HUP mysql nginx`,
    args: [{ name: "<SIGNAL>", required: true }, { name: "<service>", required: true, rest: true }],
  },
  async run(ctx, args) {
    let sig = args.arg("<SIGNAL>");
    if (sig.toUpperCase() !== sig) {
      throw new CliError("signal name must be uppercase, for example HUP");
    }
    if (!sig.startsWith("SIG")) sig = "SIG" + sig;
    const client = await ctx.client();
    await client.request("POST", "/v1/signals", {
      body: { signal: sig, services: args.rest("<service>") },
    });
  },
};
