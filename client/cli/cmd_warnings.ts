// `pebble warnings`: list the warnings (notices of type "warning") not yet okayed.

import { PROGRAM_NAME } from "./_commands.ts";
import { CliError, type Command, extraArgsError, isZeroTime } from "./_context.ts";
import {
  formatShortDuration,
  formatWarningText,
  goDurationString,
  tabulate,
  terminalWidth,
} from "./_format.ts";
import { ABS_TIME_OPTION, FORMAT_OPTION, printStructured, UNICODE_OPTION } from "./_options.ts";
import {
  fmtRawTime,
  lastRepeatedOf,
  rawArray,
  rawNumber,
  type RawObject,
  rawObject,
  rawString,
  rawTimestamp,
} from "./_raw.ts";
import { parseDuration } from "../_time.ts";

/** A notice in the field order and shape of Go's client.Notice. */
export function goNotice(n: RawObject): Record<string, unknown> {
  const userId = n["user-id"];
  const out: Record<string, unknown> = {
    id: rawString(n, "id"),
    "user-id": typeof userId === "number" ? userId : null,
    type: rawString(n, "type"),
    key: rawString(n, "key"),
    "first-occurred": rawTimestamp(rawString(n, "first-occurred")),
    "last-occurred": rawTimestamp(rawString(n, "last-occurred")),
    "last-repeated": rawTimestamp(rawString(n, "last-repeated")),
    occurrences: rawNumber(n, "occurrences"),
  };
  const data = rawObject(n, "last-data");
  const keys = Object.keys(data).sort();
  if (keys.length > 0) {
    const sorted: Record<string, string> = {};
    for (const k of keys) sorted[k] = String(data[k]);
    out["last-data"] = sorted;
  }
  for (const key of ["repeat-after", "expire-after"]) {
    const d = rawString(n, key);
    const seconds = d === "" ? 0 : durationSeconds(d);
    if (seconds !== 0) out[key] = goDurationString(seconds);
  }
  return out;
}

function durationSeconds(text: string): number {
  try {
    return parseDuration(text);
  } catch {
    return 0;
  }
}

/** The text output of `pebble warnings`. */
export function warningsText(
  warnings: RawObject[],
  options: { absTime: boolean; verbose: boolean; now: Date; termWidth: number },
): string {
  const width = Math.min(options.termWidth, 100);
  const t = (raw: string) => fmtRawTime(raw, options.absTime, options.now);
  let out = "";
  warnings.forEach((w, i) => {
    let block = i > 0 ? "---\n" : "";
    if (options.verbose) block += `first-occurrence:\t${t(rawString(w, "first-occurred"))}\n`;
    block += `last-occurrence:\t${t(rawString(w, "last-occurred"))}\n`;
    if (options.verbose) {
      block += `last-repeated:\t${t(rawString(w, "last-repeated"))}\n`;
      block += `repeats-after:\t${
        formatShortDuration(durationSeconds(rawString(w, "repeat-after")))
      }\n`;
      block += `expires-after:\t${
        formatShortDuration(durationSeconds(rawString(w, "expire-after")))
      }\n`;
    }
    block += "warning: |\n";
    block += formatWarningText(rawString(w, "key"), width);
    out += tabulate(block);
  });
  return out;
}

/** The `warnings` command. */
export const warnings: Command = {
  spec: {
    name: "warnings",
    summary: "List warnings",
    description: `The warnings command lists the warnings that have been reported to the system.

Once warnings have been listed with '${PROGRAM_NAME} warnings', '${PROGRAM_NAME} okay' may be
used to silence them. A warning that's been silenced in this way will not be
listed again unless it happens again, _and_ a cooldown time has passed.

Warnings expire automatically, and once expired they are forgotten.`,
    options: [
      { long: "all", help: "Show all warnings" },
      ABS_TIME_OPTION,
      FORMAT_OPTION,
      UNICODE_OPTION,
      { long: "verbose", help: "Show more information (text format only)" },
    ],
  },
  async run(ctx, args) {
    if (args.extra.length > 0) throw extraArgsError();
    const all = args.bool("all");
    let state;
    let after: string | undefined;
    if (!all) {
      state = await ctx.loadCliState();
      if (!isZeroTime(state.warningsLastOkayed)) after = state.warningsLastOkayed;
    }
    let list: RawObject[];
    try {
      const client = await ctx.client();
      const resp = await client.request("GET", "/v1/notices", {
        query: { types: ["warning"], after },
      });
      list = rawArray(resp.result);
    } catch (err) {
      throw new CliError(`cannot get notices: ${(err as Error).message}`);
    }
    if (state && list.length > 0) {
      state.warningsLastListed = lastRepeatedOf(list);
      await ctx.saveCliState(state);
    }
    const format = args.string("format");
    if (format === "text") {
      if (list.length === 0) {
        if (all || !state || isZeroTime(state.warningsLastOkayed)) ctx.err("No warnings.\n");
        else ctx.err("No further warnings.\n");
        return;
      }
      ctx.out(warningsText(list, {
        absTime: args.bool("abs-time"),
        verbose: args.bool("verbose"),
        now: ctx.now(),
        termWidth: terminalWidth(),
      }));
      return;
    }
    await printStructured(ctx, format, { warnings: list.map(goNotice) });
  },
};
