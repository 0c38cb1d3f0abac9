// `pebble changes` and `pebble tasks`: recent changes, and the tasks of one change.

import { PROGRAM_NAME } from "./_commands.ts";
import { type CliContext, CliError, type Command, extraArgsError } from "./_context.ts";
import { tabulate } from "./_format.ts";
import { RawJson } from "./_structured.ts";
import { ABS_TIME_OPTION, FORMAT_OPTION, printStructured } from "./_options.ts";
import {
  fmtRawTime,
  isZeroRawTime,
  rawArray,
  rawNanos,
  rawNumber,
  type RawObject,
  rawObject,
  rawString,
  rawTimestamp,
  warnMaintenance,
} from "./_raw.ts";

async function queryChanges(ctx: CliContext, service?: string): Promise<RawObject[]> {
  const client = await ctx.client();
  const resp = await client.request("GET", "/v1/changes", {
    query: { select: "all", for: service || undefined },
  });
  await warnMaintenance(ctx);
  return rawArray(resp.result);
}

async function queryChange(ctx: CliContext, id: string): Promise<RawObject> {
  const client = await ctx.client();
  const resp = await client.request("GET", `/v1/changes/${encodeURIComponent(id)}`);
  await warnMaintenance(ctx);
  const result = resp.result;
  return typeof result === "object" && result !== null ? result as RawObject : {};
}

/** A task in the field order and shape of Go's client.Task. */
export function goTask(t: RawObject): Record<string, unknown> {
  const p = rawObject(t, "progress");
  const out: Record<string, unknown> = {
    id: rawString(t, "id"),
    kind: rawString(t, "kind"),
    summary: rawString(t, "summary"),
    status: rawString(t, "status"),
  };
  const log = Array.isArray(t.log) ? t.log.map(String) : [];
  if (log.length > 0) out.log = log;
  out.progress = {
    label: rawString(p, "label"),
    done: rawNumber(p, "done"),
    total: rawNumber(p, "total"),
  };
  out["spawn-time"] = rawTimestamp(rawString(t, "spawn-time"));
  const ready = rawString(t, "ready-time");
  if (!isZeroRawTime(ready)) out["ready-time"] = rawTimestamp(ready);
  const data = rawObject(t, "data");
  if (Object.keys(data).length > 0) {
    const sorted: Record<string, unknown> = {};
    for (const k of Object.keys(data).sort()) sorted[k] = new RawJson(data[k]);
    out.data = sorted;
  }
  return out;
}

/** A change in the field order and shape of Go's client.Change. */
export function goChange(c: RawObject): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: rawString(c, "id"),
    kind: rawString(c, "kind"),
    summary: rawString(c, "summary"),
    status: rawString(c, "status"),
  };
  const tasks = rawArray(c.tasks);
  if (tasks.length > 0) out.tasks = tasks.map(goTask);
  out.ready = c.ready === true;
  const err = rawString(c, "err");
  if (err !== "") out.err = err;
  out["spawn-time"] = rawTimestamp(rawString(c, "spawn-time"));
  const ready = rawString(c, "ready-time");
  if (!isZeroRawTime(ready)) out["ready-time"] = rawTimestamp(ready);
  return out;
}

/** The text table of `pebble changes`. */
export function changesText(changes: RawObject[], absTime: boolean, now: Date): string {
  let table = "ID\tStatus\tSpawn\tReady\tSummary\n";
  for (const c of changes) {
    const ready = rawString(c, "ready-time");
    table += [
      rawString(c, "id"),
      rawString(c, "status"),
      fmtRawTime(rawString(c, "spawn-time"), absTime, now),
      isZeroRawTime(ready) ? "-" : fmtRawTime(ready, absTime, now),
      rawString(c, "summary"),
    ].join("\t") + "\n";
  }
  return tabulate(table) + "\n";
}

const LINE = ".".repeat(70);

/** The text output of `pebble tasks`. */
export function tasksText(change: RawObject, absTime: boolean, now: Date): string {
  const tasks = rawArray(change.tasks);
  let table = "Status\tSpawn\tReady\tSummary\n";
  for (const t of tasks) {
    const ready = rawString(t, "ready-time");
    let summary = rawString(t, "summary");
    const p = rawObject(t, "progress");
    const total = rawNumber(p, "total");
    if (rawString(t, "status") === "Doing" && total > 1) {
      summary += ` (${(rawNumber(p, "done") / total * 100).toFixed(2)}%)`;
    }
    table += [
      rawString(t, "status"),
      fmtRawTime(rawString(t, "spawn-time"), absTime, now),
      isZeroRawTime(ready) ? "-" : fmtRawTime(ready, absTime, now),
      summary,
    ].join("\t") + "\n";
  }
  let out = tabulate(table);
  for (const t of tasks) {
    const log = Array.isArray(t.log) ? t.log.map(String) : [];
    if (log.length === 0) continue;
    out += `\n${LINE}\n${rawString(t, "summary")}\n\n`;
    for (const l of log) out += l + "\n";
  }
  return out + "\n";
}

/** The `changes` command. */
export const changes: Command = {
  spec: {
    name: "changes",
    summary: "List system changes",
    description: "The changes command displays a summary of system changes performed recently.",
    options: [ABS_TIME_OPTION, FORMAT_OPTION],
    args: [{ name: "<service>" }],
  },
  async run(ctx, args) {
    if (args.extra.length > 0) throw extraArgsError();
    const service = args.arg("<service>");
    if (/^[0-9]+$/.test(service)) {
      throw new CliError(
        `'${PROGRAM_NAME} changes' command expects a service name, try '${PROGRAM_NAME} tasks ${service}'`,
      );
    }
    if (service === "everything") {
      ctx.out("Yes, yes it does.\n");
      return;
    }
    const list = await queryChanges(ctx, service);
    const keyed = list.map((c) => ({ c, t: rawNanos(rawString(c, "spawn-time")) }));
    keyed.sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : 0));
    const sorted = keyed.map((k) => k.c);
    const format = args.string("format");
    if (format === "text") {
      if (sorted.length === 0) {
        ctx.err("no changes found\n");
        return;
      }
      ctx.out(changesText(sorted, args.bool("abs-time"), ctx.now()));
      return;
    }
    await printStructured(ctx, format, { changes: sorted.map(goChange) });
  },
};

/** The `tasks` command. */
export const tasks: Command = {
  spec: {
    name: "tasks",
    summary: "List a change's tasks",
    description: `The tasks command displays a summary of tasks associated with an individual
change that happened recently.`,
    options: [
      ABS_TIME_OPTION,
      FORMAT_OPTION,
      {
        long: "last",
        kind: "string",
        help:
          "Select last change of given type (install, refresh, remove, try, auto-refresh, etc.). A question mark at the end of the type means to do nothing (instead of returning an error) if no change of the given type is found. Note the question mark could need protecting from the shell.",
      },
    ],
    args: [{ name: "<change-id>", help: "Change ID" }],
  },
  async run(ctx, args) {
    const id = await changeIdFromArgs(ctx, args.arg("<change-id>"), args.string("last"));
    if (id === null) return;
    const change = await queryChange(ctx, id);
    const format = args.string("format");
    if (format === "text") {
      ctx.out(tasksText(change, args.bool("abs-time"), ctx.now()));
      return;
    }
    await printStructured(ctx, format, goChange(change));
  },
};

/**
 * Pebble's changeIDMixin: the change ID given, or the latest change of the `--last`
 * kind; `null` when `kind?` found nothing (not an error).
 */
export async function changeIdFromArgs(
  ctx: CliContext,
  changeId: string,
  last: string,
): Promise<string | null> {
  if (changeId === "" && last === "") {
    throw new CliError("please provide change ID or type with --last=<type>");
  }
  if (changeId !== "") {
    if (last !== "") throw new CliError("cannot use change ID and type together");
    return changeId;
  }
  let kind = last;
  const optional = kind.endsWith("?");
  if (optional) kind = kind.slice(0, -1);
  const list = await queryChanges(ctx);
  if (list.length === 0) {
    if (optional) return null;
    throw new CliError("no changes found");
  }
  let latest: RawObject | undefined;
  let latestTime = 0n;
  for (const c of list) {
    if (rawString(c, "kind") !== kind) continue;
    const t = rawNanos(rawString(c, "spawn-time"));
    if (latest === undefined || latestTime < t) {
      latest = c;
      latestTime = t;
    }
  }
  if (!latest) {
    if (optional) return null;
    throw new CliError(`no changes of type ${JSON.stringify(last)} found`);
  }
  return rawString(latest, "id");
}
