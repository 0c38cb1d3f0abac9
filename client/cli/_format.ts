// Output helpers shared by the CLI commands, reproducing the layout of Canonical Pebble's
// CLI: Go's text/tabwriter columns, relative ("today at 15:04 UTC") and RFC 3339 times,
// x-go's short durations ("1d00h"), and the word wrapping of warnings and errors.

import { formatDuration } from "../../plan/duration.ts";

/**
 * Aligns tab-separated cells into columns the way Go's `text/tabwriter` does with the
 * settings Pebble uses (minwidth 5, padding 2, padded with spaces, left-aligned).
 *
 * Each tab ends a cell; the text after the last tab of a line is not aligned. A column
 * block is a run of consecutive lines that have a cell in that column, so a line without
 * tabs ends the blocks above it.
 *
 * @example
 * ```ts
 * tabulate("ID\tStatus\n1\tDone\n"); // "ID   Status\n1    Done\n"
 * ```
 */
export function tabulate(text: string, minWidth = 5, padding = 2): string {
  if (text === "") return ""; // nothing written: Go's tabwriter writes nothing
  const rawLines = text.split("\n");
  const trailingNewline = rawLines[rawLines.length - 1] === "";
  if (trailingNewline) rawLines.pop();
  const lines = rawLines.map((l) => l.split("\t"));
  const out: string[] = [];
  const widths: number[] = [];

  const writeLines = (line0: number, line1: number) => {
    for (let i = line0; i < line1; i++) {
      const cells = lines[i];
      let s = "";
      for (let j = 0; j < cells.length; j++) {
        const c = cells[j];
        if (j < widths.length && j < cells.length - 1) {
          s += c + " ".repeat(Math.max(widths[j] - runeCount(c), 0));
        } else {
          s += c;
        }
      }
      out.push(s);
    }
  };

  const format = (line0: number, line1: number) => {
    const column = widths.length;
    for (let t = line0; t < line1; t++) {
      if (column >= lines[t].length - 1) continue;
      writeLines(line0, t);
      line0 = t;
      let width = minWidth;
      for (; t < line1; t++) {
        const cells = lines[t];
        if (column >= cells.length - 1) break;
        const w = runeCount(cells[column]) + padding;
        if (w > width) width = w;
      }
      widths.push(width);
      format(line0, t);
      widths.pop();
      line0 = t;
      t--; // the loop's t++ must not skip line t
    }
    writeLines(line0, line1);
  };

  format(0, lines.length);
  return out.join("\n") + (trailingNewline ? "\n" : "");
}

function runeCount(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

// ---- times ----

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** Go's `t.Format(time.RFC3339)` for a local time: `2006-01-02T15:04:05Z07:00`. */
export function formatRFC3339(date: Date): string {
  const offsetMin = -date.getTimezoneOffset();
  const d = `${String(date.getFullYear()).padStart(4, "0")}-${pad2(date.getMonth() + 1)}-${
    pad2(date.getDate())
  }`;
  const t = `${pad2(date.getHours())}:${pad2(date.getMinutes())}:${pad2(date.getSeconds())}`;
  if (offsetMin === 0) return `${d}T${t}Z`;
  const sign = offsetMin < 0 ? "-" : "+";
  const abs = Math.abs(offsetMin);
  return `${d}T${t}${sign}${pad2(Math.floor(abs / 60))}:${pad2(abs % 60)}`;
}

/**
 * Formats a raw RFC 3339 timestamp from the API as Go's `time.RFC3339` prints a time
 * parsed from it: in the timestamp's own offset, without fractional seconds, with `Z`
 * for a zero offset.
 */
export function rawToRFC3339(raw: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}:\d{2})(?:\.\d+)?([Zz]|[-+]\d{2}:\d{2})$/.exec(
    raw,
  );
  if (!m) return raw;
  const zone = m[3] === "z" || m[3] === "Z" || m[3] === "+00:00" || m[3] === "-00:00" ? "Z" : m[3];
  return `${m[1]}T${m[2]}${zone}`;
}

interface ZoneNames {
  /** Abbreviations by UTC offset in seconds, from the zone file's types (later wins). */
  byOffset: Map<number, string>;
  /** The footer rule's standard and daylight names and offsets, when present. */
  std?: { name: string; offset: number };
  dst?: { name: string; offset: number };
}

let zoneNames: ZoneNames | null | undefined;

/** Reads the local zone's TZif file (as Go does: $TZ, else /etc/localtime). */
function loadZoneNames(): ZoneNames | null {
  const tz = Deno.env.get("TZ");
  let path = "/etc/localtime";
  if (tz !== undefined) {
    const name = tz.startsWith(":") ? tz.slice(1) : tz;
    if (name === "" || name === "UTC") return null;
    path = name.startsWith("/") ? name : `/usr/share/zoneinfo/${name}`;
  }
  let data: Uint8Array;
  try {
    data = Deno.readFileSync(path);
  } catch {
    return null;
  }
  return parseTzif(data);
}

/** Extracts the abbreviations from a TZif file (version 2 or later data when present). */
export function parseTzif(data: Uint8Array): ZoneNames | null {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const magic = new TextDecoder().decode(data.subarray(0, 4));
  if (magic !== "TZif") return null;
  const version = data[4];
  const counts = (at: number) => {
    const c = [0, 1, 2, 3, 4, 5].map((i) => view.getUint32(at + 20 + i * 4));
    return {
      isutcnt: c[0],
      isstdcnt: c[1],
      leapcnt: c[2],
      timecnt: c[3],
      typecnt: c[4],
      charcnt: c[5],
    };
  };
  let at = 0;
  let c = counts(0);
  let timeSize = 4;
  if (version >= 0x32) {
    at = 44 + c.timecnt * 5 + c.typecnt * 6 + c.charcnt + c.leapcnt * 8 + c.isstdcnt + c.isutcnt;
    c = counts(at);
    timeSize = 8;
  }
  const typesAt = at + 44 + c.timecnt * (timeSize + 1);
  const charsAt = typesAt + c.typecnt * 6;
  const chars = data.subarray(charsAt, charsAt + c.charcnt);
  const abbr = (i: number) => {
    let j = i;
    while (j < chars.length && chars[j] !== 0) j++;
    return new TextDecoder().decode(chars.subarray(i, j));
  };
  const byOffset = new Map<number, string>();
  for (let i = 0; i < c.typecnt; i++) {
    const off = view.getInt32(typesAt + i * 6);
    byOffset.set(off, abbr(data[typesAt + i * 6 + 5]));
  }
  const names: ZoneNames = { byOffset };
  if (version >= 0x32) {
    const end = charsAt + c.charcnt + c.leapcnt * 12 + c.isstdcnt + c.isutcnt;
    const footer = new TextDecoder().decode(data.subarray(end)).split("\n")[1] ?? "";
    const m =
      /^(<[^>]*>|[A-Za-z]+)([-+]?\d+(?::\d+){0,2})(?:(<[^>]*>|[A-Za-z]+)([-+]?\d+(?::\d+){0,2})?)?/
        .exec(footer);
    if (m) {
      const unquote = (n: string) => n.replace(/^<|>$/g, "");
      const seconds = (o: string) => {
        const [h, mm = "0", ss = "0"] = o.replace(/^[-+]/, "").split(":");
        const v = Number(h) * 3600 + Number(mm) * 60 + Number(ss);
        return o.startsWith("-") ? v : -v; // POSIX offsets are west-positive
      };
      names.std = { name: unquote(m[1]), offset: seconds(m[2]) };
      if (m[3]) {
        names.dst = {
          name: unquote(m[3]),
          offset: m[4] ? seconds(m[4]) : names.std.offset + 3600,
        };
      }
    }
  }
  return names;
}

/** The local time zone's abbreviation at `date`, as Go prints it with `MST`. */
export function zoneAbbreviation(date: Date): string {
  const offset = -date.getTimezoneOffset() * 60;
  if (zoneNames === undefined) zoneNames = loadZoneNames();
  let name: string | undefined;
  if (zoneNames === null) {
    if (offset === 0) return "UTC";
  } else {
    if (zoneNames.std?.offset === offset) name = zoneNames.std.name;
    else if (zoneNames.dst?.offset === offset) name = zoneNames.dst.name;
    else name = zoneNames.byOffset.get(offset);
  }
  if (name) return name;
  // Go names a zone without an abbreviation by its offset: "+03", "+0530".
  const sign = offset < 0 ? "-" : "+";
  const abs = Math.abs(offset) / 60;
  return sign + pad2(Math.floor(abs / 60)) + (abs % 60 ? pad2(abs % 60) : "");
}

function startOfDay(d: Date): Date {
  return new Date(d.getFullYear(), d.getMonth(), d.getDate());
}

/** Whole local calendar days from `now` to `then` (negative in the past). */
function dayDelta(then: Date, now: Date): number {
  if (then.getTime() > now.getTime()) return -dayDelta(now, then);
  const a = startOfDay(then);
  const b = startOfDay(now);
  // Count calendar days, robust to DST changes.
  const ua = Date.UTC(a.getFullYear(), a.getMonth(), a.getDate());
  const ub = Date.UTC(b.getFullYear(), b.getMonth(), b.getDate());
  return Math.round((ua - ub) / 86_400_000);
}

/**
 * A relative time for humans, as Pebble's `timeutil.Human` prints it: "today at 15:04
 * UTC", "yesterday at …", "3 days ago, at …", "tomorrow at …", "in 3 days, at …", and
 * "2006-01-02" beyond 60 days. Local time zone.
 */
export function humanTime(then: Date, now: Date = new Date(), cutoffDays = 60): string {
  const d = dayDelta(then, now);
  const clock = `${pad2(then.getHours())}:${pad2(then.getMinutes())} ${zoneAbbreviation(then)}`;
  if (d < -1 && d >= -cutoffDays) return `${-d} days ago, at ${clock}`;
  if (d === -1) return `yesterday at ${clock}`;
  if (d === 0) return `today at ${clock}`;
  if (d === 1) return `tomorrow at ${clock}`;
  if (d > 1 && d <= cutoffDays) return `in ${d} days, at ${clock}`;
  return `${String(then.getFullYear()).padStart(4, "0")}-${pad2(then.getMonth() + 1)}-${
    pad2(then.getDate())
  }`;
}

/** Pebble's `--abs-time` switch: RFC 3339 when set, else {@linkcode humanTime}. */
export function fmtTime(date: Date, absTime: boolean, now?: Date): string {
  return absTime ? formatRFC3339(date) : humanTime(date, now);
}

// ---- durations ----

function goFixed(x: number, digits: number): string {
  return x.toFixed(digits);
}

function divmod(a: number, b: number): [number, number] {
  const q = Math.floor(a / b);
  return [q, a - q * b];
}

/**
 * A short duration as x-go's `quantity.FormatDuration` prints it, for example
 * `"1d00h"` for a day, `"28d0h"` for four weeks, `"10.0s"`, `"1m30s"`.
 */
export function formatShortDuration(seconds: number): string {
  let dt = seconds;
  const f0 = (x: number) => goFixed(x, 0);
  const p2 = (x: number) => f0(x).padStart(2, "0");
  if (dt < 60) {
    if (dt >= 9.995) return `${goFixed(dt, 1)}s`;
    if (dt >= .9995) return `${goFixed(dt, 2)}s`;
    let prefix = "m";
    for (const p of ["m", "µ", "n"]) {
      prefix = p;
      dt *= 1000;
      if (dt >= .9995) break;
    }
    if (dt > 9.5) return `${f0(dt).padStart(3)}${prefix}s`;
    return `${goFixed(dt, 1)}${prefix}s`;
  }
  if (dt < 600) {
    const [m, s] = divmod(dt, 60);
    return `${f0(m)}m${p2(s)}s`;
  }
  dt /= 60;
  if (dt < 99.95) return `${goFixed(dt, 1).padStart(3)}m`;
  if (dt < 10 * 60) {
    const [h, m] = divmod(dt, 60);
    return `${f0(h)}h${p2(m)}m`;
  }
  if (dt < 24 * 60) {
    const [h, m] = divmod(dt, 60);
    if (m < 10) return `${f0(h)}h${f0(m)}m`;
    return `${goFixed(dt / 60, 1).padStart(3)}h`;
  }
  dt /= 60;
  if (dt < 10 * 24) {
    const [d, h] = divmod(dt, 24);
    return `${f0(d)}d${p2(h)}h`;
  }
  if (dt < 99.95 * 24) {
    const [d, h] = divmod(dt, 24);
    if (h < 10) return `${f0(d)}d${f0(h)}h`;
    return `${goFixed(dt / 24, 1).padStart(4)}d`;
  }
  dt /= 24;
  const period = 365.25;
  if (dt < 2 * period) return `${f0(dt).padStart(4)}d`;
  dt /= period;
  if (dt < 9.995) return `${goFixed(dt, 2).padStart(4)}y`;
  if (dt < 99.95) return `${goFixed(dt, 1).padStart(4)}y`;
  if (dt < 999.5) return `${f0(dt).padStart(4)}y`;
  return "ages!";
}

/** Go's `time.Duration.String()` for a number of seconds: `"24h0m0s"`, `"1.5s"`, `"0s"`. */
export function goDurationString(seconds: number): string {
  return formatDuration(Math.round(seconds * 1e9));
}

// ---- wrapping ----

function isSpace(ch: string): boolean {
  return /\s/u.test(ch);
}

/**
 * Wraps `text` to `termWidth` columns, the first line prefixed with `indent` and the
 * others with `indent2`, breaking at the last space that fits (or mid-word when none
 * does). Returns the lines, each ending in a newline. Like x-go's `wrapGeneric`.
 */
export function wrapGeneric(
  text: string,
  indent: string,
  indent2: string,
  termWidth: number,
): string {
  let runes = [...text];
  const indentWidth = [...indent].length;
  let delta = indentWidth - [...indent2].length;
  let width = termWidth - indentWidth;
  let out = "";
  while (runes.length > width) {
    let idx = -1;
    for (let k = Math.min(width, runes.length - 1); k >= 0; k--) {
      if (isSpace(runes[k])) {
        idx = k;
        break;
      }
    }
    if (idx < 0) idx = width;
    out += indent + runes.slice(0, idx).join("") + "\n";
    while (idx < runes.length && isSpace(runes[idx])) idx++;
    runes = runes.slice(idx);
    width += delta;
    indent = indent2;
    delta = 0;
  }
  return out + indent + runes.join("") + "\n";
}

/**
 * Wraps one line of a YAML block string to `termWidth`, keeping the line's own indent
 * and prefixing `pad` (Pebble's `wrapLine`).
 */
export function wrapLine(line: string, pad: string, termWidth: number): string {
  let runes = [...line.replace(/\s+$/u, "")];
  let idx = 0;
  while (idx < runes.length && isSpace(runes[idx])) idx++;
  let indent = pad + runes.slice(0, idx).join("");
  runes = runes.slice(idx);
  if (indent.length > termWidth / 2) indent = pad + "  ";
  return wrapGeneric(runes.join(""), indent, indent, termWidth);
}

/** A warning's text as Pebble prints it under `warning: |`: trimmed, indented, wrapped. */
export function formatWarningText(text: string, termWidth: number): string {
  return text.replace(/\s+$/u, "").split("\n").map((l) => wrapLine(l, "  ", termWidth)).join(
    "",
  );
}

/**
 * Pebble's `fill`: word-wraps an error message so that, after an `indent`-wide prefix
 * such as `"error: "`, it fits the terminal (at most 100 columns); continuation lines are
 * indented by `indent` spaces.
 */
export function fill(para: string, indent: number, termWidth: number): string {
  let width = Math.min(termWidth, 100) - 1 - indent;
  if (width < 1) width = 1;
  const pre = " ".repeat(indent);
  const out: string[] = [];
  for (const paragraph of para.split("\n")) {
    const words = paragraph.split(/\s+/).filter((w) => w !== "");
    let line = "";
    for (const w of words) {
      if (line === "") line = w;
      else if (line.length + 1 + w.length <= width) line += " " + w;
      else {
        out.push(line);
        line = w;
      }
    }
    out.push(line);
  }
  return out.map((l, i) => (i === 0 ? l : pre + l)).join("\n").trim();
}

/**
 * The terminal width as Pebble's `termSize` computes it: the stdout terminal's columns,
 * else `$COLUMNS`, else 80 (and 80 when narrower than 40).
 */
export function terminalWidth(): number {
  let width = 0;
  try {
    if (Deno.stdout.isTerminal()) width = Deno.consoleSize().columns;
  } catch {
    // not a terminal
  }
  if (width <= 0) width = parseInt(Deno.env.get("COLUMNS") ?? "", 10) || 0;
  if (width < 40) width = 80;
  return width;
}

// ---- structured output ----

/** Go's `json.Marshal` of a value built from JS objects in field order, plus a newline. */
export function formatJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) => typeof v === "string" ? v : v) + "\n";
}
