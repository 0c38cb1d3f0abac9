// `pebble services`: the table `Service  Startup  Current  Since`, or JSON/YAML.

import { type Command, extraArgsError } from "./_context.ts";
import { tabulate } from "./_format.ts";
import { ABS_TIME_OPTION, FORMAT_OPTION, printStructured } from "./_options.ts";
import {
  fmtRawTime,
  isZeroRawTime,
  rawArray,
  rawString,
  rawTimestamp,
  warnMaintenance,
} from "./_raw.ts";

/** The `services` command. */
export const services: Command = {
  spec: {
    name: "services",
    summary: "Query the status of configured services",
    description: `The services command lists status information about the services specified, or
about all services if none are specified.`,
    options: [FORMAT_OPTION, ABS_TIME_OPTION],
    args: [{ name: "<service>", rest: true }],
  },
  async run(ctx, args) {
    if (args.extra.length > 0) throw extraArgsError();
    const names = args.rest("<service>");
    const client = await ctx.client();
    const resp = await client.request("GET", "/v1/services", {
      query: names.length > 0 ? { names: names.join(",") } : undefined,
    });
    await warnMaintenance(ctx);
    const list = rawArray(resp.result);
    const format = args.string("format");
    if (format === "text") {
      if (list.length === 0) {
        ctx.err(names.length === 0 ? "Plan has no services.\n" : "No matching services.\n");
        return;
      }
      let table = "Service\tStartup\tCurrent\tSince\n";
      for (const s of list) {
        const since = rawString(s, "current-since");
        table += [
          rawString(s, "name"),
          rawString(s, "startup"),
          rawString(s, "current"),
          isZeroRawTime(since) ? "-" : fmtRawTime(since, args.bool("abs-time"), ctx.now()),
        ].join("\t") + "\n";
      }
      ctx.out(tabulate(table));
      return;
    }
    const byName: Record<string, unknown> = {};
    for (
      const s of [...list].sort((a, b) => rawString(a, "name") < rawString(b, "name") ? -1 : 1)
    ) {
      const entry: Record<string, unknown> = {
        name: rawString(s, "name"),
        startup: rawString(s, "startup"),
        current: rawString(s, "current"),
      };
      const since = rawString(s, "current-since");
      if (!isZeroRawTime(since)) entry["current-since"] = rawTimestamp(since);
      byName[rawString(s, "name")] = entry;
    }
    await printStructured(ctx, format, { services: byName });
  },
};
