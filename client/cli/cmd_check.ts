// `pebble check`: the details of one health check, optionally running it first.

import { CliError, type Command, extraArgsError } from "./_context.ts";
import { FORMAT_OPTION, printStructured } from "./_options.ts";
import { firstTaskLog, goCheckInfo } from "./_checks.ts";
import type { CheckInfo } from "../checks.ts";

/** The `check` command. */
export const check: Command = {
  spec: {
    name: "check",
    summary: "Query the details of a configured health check",
    description: "The check command shows details for a single check.",
    options: [FORMAT_OPTION, { long: "refresh", help: "Run the check immediately" }],
    args: [{ name: "<check>", required: true }],
  },
  async run(ctx, args) {
    if (args.extra.length > 0) throw extraArgsError();
    const name = args.arg("<check>");
    const client = await ctx.client();
    let info: CheckInfo;
    let error = "";
    if (args.bool("refresh")) {
      const res = await client.refreshCheck(name);
      info = res.info;
      error = res.error ?? "";
    } else {
      const list = await client.getChecks({ names: [name] });
      if (list.length === 0) throw new CliError(`cannot find check ${JSON.stringify(name)}`);
      info = list[0];
    }
    let logs = "";
    if ((info.failures > 0 || error !== "") && info.changeId) {
      const read = async (id: string) => {
        try {
          return (await firstTaskLog(ctx, id)).map((l) => l + "\n").join("");
        } catch (err) {
          throw new CliError(`cannot get task logs for change ${id}: ${(err as Error).message}`);
        }
      };
      logs = await read(info.changeId);
      if (logs === "" && info.prevChangeId) logs = await read(info.prevChangeId);
    }
    const out = goCheckInfo(info);
    if (error !== "") out.error = error;
    if (logs !== "") out.logs = logs;
    // Text output is the YAML form, as in Pebble.
    await printStructured(ctx, args.string("format") === "json" ? "json" : "yaml", out);
  },
};
