// `pebble ls`: list files on the daemon's system, in Pebble's layouts.

import { CliError, type Command, extraArgsError } from "./_context.ts";
import { ABS_TIME_OPTION, FORMAT_OPTION, printStructured } from "./_options.ts";
import { fmtTime, tabulate } from "./_format.ts";

type Raw = Record<string, unknown>;

const TYPE_LETTER: Record<string, string> = {
  file: "",
  directory: "d",
  symlink: "L",
  socket: "S",
  "named-pipe": "p",
  device: "D",
};

/** Go's `FileMode.String()` for a type and permission bits, as Pebble's client rebuilds it. */
export function modeString(type: string, permissions: number): string {
  let s = TYPE_LETTER[type] ?? "?";
  if (s === "") s = "-";
  const rwx = "rwxrwxrwx";
  for (let i = 0; i < 9; i++) s += permissions & (1 << (8 - i)) ? rwx[i] : "-";
  return s;
}

/** x-go's `quantity.FormatAmount(n, -1)`: "    3", "1.54M", "  12k". */
export function formatAmount(amount: number): string {
  const width = 5;
  if (amount <= 5000) return String(amount).padStart(width);
  let r = amount;
  let prefix = "";
  for (const p of "kMGTPEZY") {
    prefix = p;
    r /= 1000;
    if (r < 999.5) break;
  }
  let digits = 3;
  if (r < 99.5) {
    digits--;
    if (r < 9.5) {
      digits--;
      if (r < .95) digits--;
    }
  }
  const w = width - 1;
  const precision = w - digits > 1 ? w - digits - 1 : 0;
  const s = r.toFixed(precision).padStart(w) + prefix;
  return r < .95 ? s.slice(1) : s;
}

/** Splits a glob in the last element from the path, as Pebble's `parseGlob`. */
export function parseGlob(path: string): { path: string; pattern: string } {
  const trimmed = path.replace(/\/+$/, "");
  const slash = trimmed.lastIndexOf("/");
  const dir = trimmed.slice(0, slash + 1);
  const file = trimmed.slice(slash + 1);
  if (/[*?[]/.test(dir)) throw new CliError("can only use globs on the last path element");
  if (/[*?[]/.test(file)) return { path: dir, pattern: file };
  return { path, pattern: "" };
}

/** The `ls` command. */
export const ls: Command = {
  spec: {
    name: "ls",
    summary: "List path contents",
    description:
      "The ls command lists entries in the filesystem at the specified path. A glob pattern\nmay be specified for the last path element.",
    options: [
      ABS_TIME_OPTION,
      FORMAT_OPTION,
      {
        long: "directory",
        short: "d",
        shortOnly: true,
        help: "List matching entries themselves, not directory contents",
      },
      { long: "long", short: "l", shortOnly: true, help: "Use a long listing format" },
    ],
    args: [{ name: "<path>", required: true }],
  },
  async run(ctx, args) {
    if (args.extra.length > 0) throw extraArgsError();
    const { path, pattern } = parseGlob(args.arg("<path>"));
    const client = await ctx.client();
    const resp = await client.request("GET", "/v1/files", {
      query: {
        action: "list",
        path,
        pattern: pattern || undefined,
        itself: args.bool("directory") ? "true" : undefined,
      },
    });
    const files = (Array.isArray(resp.result) ? resp.result : []) as Raw[];
    const format = args.string("format");
    if (format !== "text") {
      await printStructured(ctx, format, { files: files.map(entry) });
      return;
    }
    let text = "";
    for (const f of files) {
      if (!args.bool("long")) {
        text += `${f.name}\n`;
        continue;
      }
      const size = f.type === "file" ? formatAmount(Number(f.size ?? 0)) + "B" : "-";
      const when = fmtTime(new Date(String(f["last-modified"])), false, ctx.now());
      text += [
        modeString(String(f.type), parseInt(String(f.permissions), 8)),
        f.user ?? "",
        f.group ?? "",
        size.padStart(6),
        args.bool("abs-time") ? String(f["last-modified"]) : when,
        `${f.name}\n`,
      ].join("\t");
    }
    ctx.out(tabulate(text));
  },
};

/** Pebble's `fileEntry` for JSON and YAML output (empty fields left out). */
function entry(f: Raw): Record<string, unknown> {
  const e: Record<string, unknown> = {
    path: f.path,
    name: f.name,
    type: f.type,
  };
  if (f.type === "file") e.size = f.size ?? 0;
  e.permissions = f.permissions;
  e["last-modified"] = String(f["last-modified"]);
  if (typeof f["user-id"] === "number") e["user-id"] = f["user-id"];
  if (f.user) e.user = f.user;
  if (typeof f["group-id"] === "number") e["group-id"] = f["group-id"];
  if (f.group) e.group = f.group;
  return e;
}
