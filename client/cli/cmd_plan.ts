// `pebble plan`: the combined plan, as YAML exactly as the daemon sends it.

import { type Command, extraArgsError } from "./_context.ts";
import { DISPLAY_NAME } from "./_commands.ts";

/** The `plan` command. */
export const plan: Command = {
  spec: {
    name: "plan",
    summary: "Show the plan with layers combined",
    description: `The plan command prints out the effective configuration of ${DISPLAY_NAME} in YAML
format. Layers are combined according to the override rules defined in them.`,
  },
  async run(ctx, args) {
    if (args.extra.length > 0) throw extraArgsError();
    const yaml = await (await ctx.client()).getPlanYaml();
    ctx.out(yaml);
  },
};
