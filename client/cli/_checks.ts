// Helpers shared by `pebble checks` and `pebble check`: the task logs of a check's
// change, and a check in the field order of Go's client.CheckInfo.

import type { CheckInfo } from "../checks.ts";
import type { CliContext } from "./_context.ts";
import type { OptionSpec } from "./_flags.ts";

/** `--level`, shared by `checks` and `health`. */
export const LEVEL_OPTION: OptionSpec = {
  long: "level",
  kind: "string",
  choices: ["alive", "ready"],
  help: "Check level to filter for",
};

/** The log lines of the first task of a change ([] when it has none). */
export async function firstTaskLog(ctx: CliContext, changeId: string): Promise<string[]> {
  const client = await ctx.client();
  const change = await client.getChange(changeId);
  return change.tasks.length > 0 ? change.tasks[0].log : [];
}

/** A check in the field order and shape of Go's client.CheckInfo (for JSON and YAML). */
export function goCheckInfo(c: CheckInfo): Record<string, unknown> {
  const out: Record<string, unknown> = { name: c.name };
  if (c.level) out.level = c.level;
  out.startup = c.startup;
  out.status = c.status;
  if (c.successes !== null) out.successes = c.successes;
  out.failures = c.failures;
  out.threshold = c.threshold;
  if (c.changeId) out["change-id"] = c.changeId;
  if (c.prevChangeId) out["prev-change-id"] = c.prevChangeId;
  return out;
}
