// `pebble version`: the client's and the daemon's versions.

import { type Command, extraArgsError } from "./_context.ts";
import { tabulate } from "./_format.ts";
import { FORMAT_OPTION, printStructured } from "./_options.ts";

/** The `version` command. */
export const version: Command = {
  spec: {
    name: "version",
    summary: "Show version details",
    description: "The version command displays the versions of the running client and server.",
    options: [
      FORMAT_OPTION,
      { long: "client", help: "Only display the client version" },
    ],
  },
  async run(ctx, args) {
    if (args.extra.length > 0) throw extraArgsError();
    const format = args.string("format");
    if (args.bool("client")) {
      if (format !== "text") return await printStructured(ctx, format, { client: ctx.version });
      ctx.out(ctx.version + "\n");
      return;
    }
    let serverVersion = "";
    let serverError: unknown;
    try {
      serverVersion = (await (await ctx.client()).getSystemInfo()).version;
    } catch (err) {
      serverError = err;
      if (format === "text") serverVersion = "-";
    }
    if (format !== "text") {
      const result: Record<string, string> = { client: ctx.version };
      if (serverVersion) result.server = serverVersion;
      await printStructured(ctx, format, result);
      if (serverError !== undefined) {
        const { CliError } = await import("./_context.ts");
        const message = serverError instanceof Error ? serverError.message : String(serverError);
        throw new CliError(`cannot obtain system details: ${message}`);
      }
      return;
    }
    ctx.out(tabulate(`client\t${ctx.version}\nserver\t${serverVersion}\n`));
  },
};
