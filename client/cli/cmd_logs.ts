// `pebble logs [-f] [-n N|all] [--format text|json] [svc...]`.

import { CliError, type Command, extraArgsError } from "./_context.ts";

function goTime(ms: number): string {
  const iso = new Date(ms).toISOString();
  const frac = iso.slice(20, 23).replace(/0+$/, "");
  return iso.slice(0, 19) + (frac ? "." + frac : "") + "Z";
}

/** The `logs` command. */
export const logs: Command = {
  spec: {
    name: "logs",
    summary: "Fetch service logs",
    description: `The logs command fetches buffered logs from the given services (or all services
if none are specified) and displays them in chronological order.`,
    options: [
      {
        long: "follow",
        short: "f",
        help:
          "Follow (tail) logs for given services until Ctrl-C is\npressed. If no services are specified, show logs from\nall services running when the command starts.",
      },
      {
        long: "n",
        short: "n",
        shortOnly: true,
        kind: "string",
        help:
          "Number of logs to show (before following); defaults to 30.\nIf 'all', show all buffered logs.",
      },
      {
        long: "format",
        kind: "string",
        choices: ["text", "json"],
        default: "text",
        help: "Output format",
      },
    ],
    args: [{ name: "<service>", rest: true }],
  },
  async run(ctx, args) {
    if (args.extra.length > 0) throw extraArgsError();
    const nStr = args.string("n");
    let n: number;
    if (nStr === "") n = 30;
    else if (nStr === "all") n = -1;
    else {
      n = /^[+-]?\d+$/.test(nStr) ? Number(nStr) : NaN;
      if (!(n >= 0)) {
        throw new CliError(
          `expected n to be a non-negative integer or "all", not ${JSON.stringify(nStr)}`,
        );
      }
    }
    const json = args.string("format") === "json";
    const client = await ctx.client();
    const controller = new AbortController();
    const follow = args.bool("follow");
    const onInterrupt = () => controller.abort();
    if (follow) Deno.addSignalListener("SIGINT", onInterrupt);
    try {
      const opts = {
        services: args.rest("<service>"),
        n: n < 0 ? "all" as const : n,
        signal: controller.signal,
      };
      const entries = follow ? client.followLogs(opts) : (await client.getLogs(opts)).values();
      for await (const e of entries) {
        const ms = e.time.getTime();
        ctx.out(
          json
            ? `{"time":"${goTime(ms)}","service":${JSON.stringify(e.service)},"message":${
              JSON.stringify(e.message)
            }}\n`
            : `${new Date(ms).toISOString()} [${e.service}] ${e.message}\n`,
        );
      }
    } finally {
      if (follow) Deno.removeSignalListener("SIGINT", onInterrupt);
    }
  },
};
