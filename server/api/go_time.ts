/**
 * `time.Parse(time.RFC3339, s)` as Go does it, including its error messages, for
 * query parameters such as `/v1/notices?after=`.
 *
 * @module
 */

const LAYOUT = "2006-01-02T15:04:05Z07:00";

/** A timestamp Go would not parse; the message is Go's `*time.ParseError` text. */
export class GoTimeError extends Error {
  override name = "GoTimeError";
}

function quote(s: string): string {
  let out = '"';
  for (const b of new TextEncoder().encode(s)) {
    if (b < 0x20 || b >= 0x80) out += "\\x" + b.toString(16).padStart(2, "0");
    else if (b === 0x22 || b === 0x5c) out += "\\" + String.fromCharCode(b);
    else out += String.fromCharCode(b);
  }
  return out + '"';
}

const isDigit = (s: string, i: number) => i < s.length && s[i] >= "0" && s[i] <= "9";

/** Go's getnum: one or two digits (exactly two when `fixed`); null when not a number. */
function getnum(s: string, fixed: boolean): [number, string] | null {
  if (!isDigit(s, 0)) return null;
  if (!isDigit(s, 1)) return fixed ? null : [Number(s[0]), s.slice(1)];
  return [Number(s.slice(0, 2)), s.slice(2)];
}

function daysIn(month: number, year: number): number {
  if (month === 2) return (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/**
 * Parses an RFC 3339 timestamp the way Go's `time.Parse(time.RFC3339, text)` does
 * (fractional seconds of any length, `.` or `,`, offsets `Z` or `±hh:mm`) and returns
 * microseconds since the Unix epoch, rounded down. Throws {@link GoTimeError} with Go's
 * message (`parsing time "x" as "2006-01-02T15:04:05Z07:00": cannot parse "x" as "2006"`).
 */
export function parseGoRFC3339(text: string): number {
  const cannot = (valueElem: string, layoutElem: string) =>
    new GoTimeError(
      `parsing time ${quote(text)} as ${quote(LAYOUT)}: cannot parse ${quote(valueElem)} as ${
        quote(layoutElem)
      }`,
    );
  const outOfRange = (what: string) =>
    new GoTimeError(`parsing time ${quote(text)}: ${what} out of range`);
  let v = text;
  const literal = (lit: string) => {
    if (!v.startsWith(lit)) throw cannot(v, lit);
    v = v.slice(lit.length);
  };
  const num = (elem: string, fixed: boolean, max: number, what: string, min = 0): number => {
    const r = getnum(v, fixed);
    if (!r) throw cannot(v, elem);
    if (r[0] < min || r[0] > max) {
      v = r[1];
      throw outOfRange(what);
    }
    v = r[1];
    return r[0];
  };

  if (v.length < 4 || !isDigit(v, 0) || !/^\d{4}$/.test(v.slice(0, 4))) throw cannot(v, "2006");
  const year = Number(v.slice(0, 4));
  v = v.slice(4);
  literal("-");
  const month = num("01", true, 12, "month", 1);
  literal("-");
  const day = num("02", true, 99, "day");
  literal("T");
  const hour = num("15", false, 23, "hour");
  literal(":");
  const minute = num("04", true, 59, "minute");
  literal(":");
  const second = num("05", true, 59, "second");
  let micros = 0;
  if (v.length >= 2 && (v[0] === "." || v[0] === ",") && isDigit(v, 1)) {
    let n = 2;
    while (isDigit(v, n)) n++;
    micros = Number(v.slice(1, Math.min(n, 7)).padEnd(6, "0"));
    v = v.slice(n);
  }
  let offsetSeconds = 0;
  if (v.startsWith("Z")) {
    v = v.slice(1);
  } else {
    const hold = v;
    if (v.length < 6 || v[3] !== ":") throw cannot(hold, "Z07:00");
    const hh = getnum(v.slice(1, 3), true);
    const mm = getnum(v.slice(4, 6), true);
    if (!hh || !mm || (v[0] !== "+" && v[0] !== "-")) throw cannot(hold, "Z07:00");
    v = v.slice(6);
    if (hh[0] > 24) throw outOfRange("time zone offset hour");
    if (mm[0] > 60) throw outOfRange("time zone offset minute");
    offsetSeconds = (hh[0] * 60 + mm[0]) * 60 * (hold[0] === "-" ? -1 : 1);
  }
  if (v !== "") {
    throw new GoTimeError(`parsing time ${quote(text)}: extra text: ${quote(v)}`);
  }
  if (day < 1 || day > daysIn(month, year)) throw outOfRange("day");
  const base = new Date(0);
  base.setUTCFullYear(year, month - 1, day);
  base.setUTCHours(hour, minute, second, 0);
  return (base.getTime() - offsetSeconds * 1000) * 1000 + micros;
}
