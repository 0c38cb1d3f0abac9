// `pebble notify`: record a custom notice.

import { type Command, extraArgsError } from "./_context.ts";
import { UsageError } from "./_flags.ts";
import { durationFlag, formatDuration } from "./_notice_flags.ts";

/** The `notify` command. */
export const notify: Command = {
  spec: {
    name: "notify",
    summary: "Record a custom notice",
    description: `The notify command records a custom notice with the specified key and optional
data fields.`,
    options: [{
      long: "repeat-after",
      kind: "string",
      help: "Prevent notice with same type and key from reoccurring within this duration",
    }],
    args: [
      { name: "<key>", required: true },
      { name: "<name=value>", rest: true },
    ],
  },
  async run(ctx, args) {
    if (args.extra.length > 0) throw extraArgsError();
    const repeatAfter = durationFlag("repeat-after", args.string("repeat-after"));
    const data: Record<string, string> = {};
    for (const kv of args.rest("<name=value>")) {
      const eq = kv.indexOf("=");
      if (eq < 0) {
        throw new UsageError(`data args must be in "name=value" format, not ${JSON.stringify(kv)}`);
      }
      data[kv.slice(0, eq)] = kv.slice(eq + 1);
    }
    const body: Record<string, unknown> = {
      action: "add",
      type: "custom",
      key: args.arg("<key>"),
    };
    if (repeatAfter !== 0) body["repeat-after"] = formatDuration(repeatAfter);
    if (Object.keys(data).length > 0) body.data = data;
    const client = await ctx.client();
    const resp = await client.request("POST", "/v1/notices", { body });
    const result = resp.result as Record<string, unknown> | null;
    ctx.out(`Recorded notice ${String(result?.id ?? "")}\n`);
  },
};
