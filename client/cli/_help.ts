// Help output in Canonical Pebble's layout: the short and long command lists of
// cmd_help.go, and go-flags' per-command help ("Usage:", the description, and the
// "[cmd command options]" table with aligned, wrapped descriptions).

import { COMMANDS, DEFAULT_DIR, DISPLAY_NAME, HELP_CATEGORIES, PROGRAM_NAME } from "./_commands.ts";
import type { CommandSpec, OptionSpec } from "./_flags.ts";

const HELP_HEADER = `${DISPLAY_NAME} lets you control services and perform management actions on
the system that is running them.`;
const USAGE = `Usage: ${PROGRAM_NAME} <command> [<options>...]`;
const CATEGORIES_INTRO = "Commands can be classified as follows:";
const HELP_FOOTER = `Set the PEBBLE environment variable to override the configuration directory
(which defaults to ${DEFAULT_DIR}). Set PEBBLE_SOCKET to override
the unix socket used for the API (defaults to $PEBBLE/.pebble.socket).`;
const HELP_ALL_FOOTER =
  `For more information about a command, run '${PROGRAM_NAME} help <command>'.`;
const HELP_SHORT_FOOTER = `For a short summary of all commands, run '${PROGRAM_NAME} help --all'.`;

function header(): string {
  return `${HELP_HEADER}\n\n${USAGE}\n\n${CATEGORIES_INTRO}\n`;
}

/** `pebble`, `pebble help`, `pebble --help`: the categories with their commands. */
export function shortHelp(): string {
  let out = header() + "\n";
  const maxLen = Math.max(...HELP_CATEGORIES.map((c) => [...c.label].length));
  for (const c of HELP_CATEGORIES) {
    const list = c.label === "Identities" ? "identities --help" : c.commands.join(", ");
    out += `${c.label.padStart(maxLen + 2)}: ${list}\n`;
  }
  return out + `\n${HELP_FOOTER}\n\n${HELP_ALL_FOOTER}\n${HELP_SHORT_FOOTER}\n`;
}

/** `pebble help --all`: every command with its summary, by category. */
export function longHelp(): string {
  let out = header();
  const maxLen = Math.max(...HELP_CATEGORIES.flatMap((c) => c.commands.map((n) => n.length)));
  for (const c of HELP_CATEGORIES) {
    out += `\n  ${c.label} (${c.description}):\n`;
    for (const name of c.commands) {
      out += `    ${name.padEnd(maxLen)}  ${COMMANDS[name]?.summary ?? ""}\n`;
    }
  }
  return out + `\n${HELP_FOOTER}\n\n${HELP_ALL_FOOTER}\n`;
}

/** go-flags' wrapText: wraps each line of `s` at `l` bytes, continuing with `prefix`. */
export function wrapText(s: string, l: number, prefix: string): string {
  if (l < 10) l = 10;
  let ret = "";
  for (let line of s.split("\n")) {
    let retline = "";
    line = line.trim();
    while (line.length > l) {
      let suffix = "";
      let pos = line.slice(0, l).lastIndexOf(" ");
      if (pos < 0) {
        pos = l - 1;
        suffix = "-\n";
      }
      if (retline.length !== 0) retline += "\n" + prefix;
      retline += line.slice(0, pos).trim() + suffix;
      line = line.slice(pos).trim();
    }
    if (line.length > 0) {
      if (retline.length !== 0) retline += "\n" + prefix;
      retline += line;
    }
    if (ret.length > 0) {
      ret += "\n";
      if (retline.length > 0) ret += prefix;
    }
    ret += retline;
  }
  return ret;
}

function takesValue(o: OptionSpec): boolean {
  return (o.kind ?? "bool") !== "bool";
}

/**
 * The help of one command as go-flags prints it for `pebble CMD --help`, for a terminal
 * `columns` wide (80 when not a terminal).
 */
export function commandHelp(spec: CommandSpec, columns = 80): string {
  const options = (spec.options ?? []).filter((o) => !o.hidden);
  const args = spec.args ?? [];

  // Alignment, as go-flags computes it (names of a subcommand count 4 more).
  let maxLongLen = 0;
  let hasShort = false;
  for (const a of args) maxLongLen = Math.max(maxLongLen, [...a.name].length + 4);
  for (const o of options) {
    if (o.short) hasShort = true;
    if (o.shortOnly) continue;
    let l = o.long;
    if (o.choices?.length) l += "[" + o.choices.join("|") + "]";
    maxLongLen = Math.max(maxLongLen, [...l].length + 4);
  }
  let descStart = maxLongLen + 2;
  if (hasShort) descStart += 2;
  if (maxLongLen > 0) descStart += 4;
  descStart += 2; // padding before the option

  let usage = `Usage:\n  ${PROGRAM_NAME} ${spec.name}`;
  if (options.length > 0) usage += ` [${spec.name}-OPTIONS]`;
  if (args.length > 0) {
    usage += " " + args.map((a) => {
      const name = a.rest ? `${a.name}...` : a.name;
      return a.required ? name : `[${name}]`;
    }).join(" ");
  }
  let out = usage + "\n";
  if (spec.description) out += "\n" + wrapText(spec.description, columns, "") + "\n";

  if (options.length > 0) {
    out += `\n[${spec.name} command options]\n`;
    for (const o of options) {
      let line = " ".repeat(6);
      if (o.short) line += `-${o.short}`;
      else if (hasShort) line += "  ";
      if (o.shortOnly) line += "";
      else if (o.short) line += ", ";
      else if (hasShort) line += "  ";
      if (!o.shortOnly) line += `--${o.long}`;
      if (takesValue(o)) {
        line += "=";
        if (o.choices?.length) line += "[" + o.choices.join("|") + "]";
      }
      if (o.help) {
        line += " ".repeat(Math.max(descStart - line.length, 0));
        const desc = o.default ? `${o.help} (default: ${o.default})` : o.help;
        line += wrapText(desc, columns - descStart, " ".repeat(descStart));
      }
      out += line + "\n";
    }
  }

  const described = args.filter((a) => a.help);
  if (described.length > 0) {
    out += `\n[${spec.name} command arguments]\n`;
    for (const a of described) {
      const prefix = `  ${a.name}:`;
      out += prefix + " ".repeat(Math.max(descStart - prefix.length, 0)) +
        wrapText(a.help!, columns - 1 - descStart, " ".repeat(descStart)) + "\n";
    }
  }
  return out;
}

/** go-flags' terminal width: the columns of the terminal on stdin, else 80. */
export function helpColumns(): number {
  try {
    if (Deno.stdin.isTerminal()) {
      const { columns } = Deno.consoleSize();
      if (columns > 0) return columns;
    }
  } catch {
    // not a terminal
  }
  return 80;
}
