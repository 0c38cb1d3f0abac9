// `pebble start`, `stop`, `restart`, `autostart` and `replan`: a service change, then
// waiting for it (Pebble's waitMixin).

import { type Command, extraArgsError } from "./_context.ts";
import { NO_WAIT_OPTION, waitForChange } from "./_wait.ts";

function action(
  name: string,
  summary: string,
  description: string,
  withNames: boolean,
): Command {
  return {
    spec: {
      name,
      summary,
      description,
      options: [NO_WAIT_OPTION],
      args: withNames ? [{ name: "<service>", required: true, rest: true }] : [],
    },
    async run(ctx, args) {
      if (args.extra.length > 0) throw extraArgsError();
      const client = await ctx.client();
      const names = withNames ? args.rest("<service>") : [];
      const resp = await client.request("POST", "/v1/services", {
        body: { action: name, services: names },
      });
      await waitForChange(ctx, args, String(resp.change ?? ""));
    },
  };
}

/** The `start` command. */
export const start: Command = action(
  "start",
  "Start a service and its dependencies",
  `The start command starts the service with the provided name and
any other services it depends on, in the correct order.`,
  true,
);

/** The `stop` command. */
export const stop: Command = action(
  "stop",
  "Stop a service and its dependents",
  `The stop command stops the service with the provided name and
any other service that depends on it, in the correct order.`,
  true,
);

/** The `restart` command. */
export const restart: Command = action(
  "restart",
  "Restart a service",
  "The restart command restarts the named service(s) in the correct order.",
  true,
);

/** The `autostart` command. */
export const autostart: Command = action(
  "autostart",
  "Start services set to start by default",
  `The autostart command starts the services that were configured
to start by default.`,
  false,
);

/** The `replan` command. */
export const replan: Command = action(
  "replan",
  "Ensure running services and checks match the current plan",
  `The replan command starts, stops, or restarts services and checks that have
changed, so that running services and checks exactly match the desired
configuration in the current plan.`,
  false,
);
