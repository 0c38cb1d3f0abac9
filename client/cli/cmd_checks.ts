// `pebble checks`: the status of the configured health checks.

import type { CheckInfo, CheckLevel } from "../checks.ts";
import { type CliContext, type Command, extraArgsError } from "./_context.ts";
import { tabulate } from "./_format.ts";
import { FORMAT_OPTION, printStructured } from "./_options.ts";
import { firstTaskLog, goCheckInfo, LEVEL_OPTION } from "./_checks.ts";

const MAX_ERROR = 70;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The last task log line of a change without its time and level, newlines escaped. */
async function lastTaskLog(ctx: CliContext, changeId: string): Promise<string> {
  const logs = await firstTaskLog(ctx, changeId);
  if (logs.length === 0) return "";
  let last = logs[logs.length - 1];
  const first = last.indexOf(" ");
  const second = first < 0 ? -1 : last.indexOf(" ", first + 1);
  if (second >= 0) last = last.slice(second + 1);
  return last.replaceAll("\n", "\\n");
}

/** The Change column: the change ID, with the last error while the check is failing. */
async function changeInfo(ctx: CliContext, check: CheckInfo): Promise<string> {
  if (!check.changeId) return "-";
  if (check.failures === 0) return check.changeId;
  let logChangeId = check.changeId;
  let log: string;
  try {
    log = await lastTaskLog(ctx, logChangeId);
    if (log === "" && check.prevChangeId) {
      logChangeId = check.prevChangeId;
      log = await lastTaskLog(ctx, logChangeId);
    }
  } catch (err) {
    return `${check.changeId} (${(err as Error).message})`;
  }
  if (log === "") return check.changeId;
  const bytes = encoder.encode(log);
  if (bytes.length > MAX_ERROR) {
    const forMore = `... run "pebble tasks ${logChangeId}" for more`;
    log = decoder.decode(bytes.subarray(0, MAX_ERROR - encoder.encode(forMore).length)) + forMore;
  }
  return `${check.changeId} (${log})`;
}

/** The text table of `pebble checks`. */
export async function checksText(ctx: CliContext, checks: CheckInfo[]): Promise<string> {
  let table = "Check\tLevel\tStartup\tStatus\tSuccesses\tFailures\tChange\n";
  for (const c of checks) {
    const inactive = c.status === "inactive";
    const successes = c.successes === null ? "?" : inactive ? "-" : String(c.successes);
    table += [
      c.name,
      c.level || "-",
      c.startup,
      c.status,
      successes,
      inactive ? "-" : `${c.failures}/${c.threshold}`,
      await changeInfo(ctx, c),
    ].join("\t") + "\n";
  }
  return tabulate(table);
}

/** The `checks` command. */
export const checks: Command = {
  spec: {
    name: "checks",
    summary: "Query the status of configured health checks",
    description: `The checks command lists status information about the configured health
checks, optionally filtered by level and check names provided as positional
arguments.`,
    options: [
      FORMAT_OPTION,
      LEVEL_OPTION,
    ],
    args: [{ name: "<check>", rest: true }],
  },
  async run(ctx, args) {
    if (args.extra.length > 0) throw extraArgsError();
    const level = args.string("level") as CheckLevel;
    const names = args.rest("<check>");
    const client = await ctx.client();
    const list = await client.getChecks({ level, names });
    const format = args.string("format");
    if (format === "text") {
      if (list.length === 0) {
        ctx.err(
          names.length === 0 && level === ""
            ? "Plan has no health checks.\n"
            : "No matching health checks.\n",
        );
        return;
      }
      ctx.out(await checksText(ctx, list));
      return;
    }
    const map: Record<string, unknown> = {};
    for (const c of [...list].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      map[c.name] = goCheckInfo(c);
    }
    await printStructured(ctx, format, { checks: map });
  },
};
