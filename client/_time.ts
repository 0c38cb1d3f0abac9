// Time and duration helpers for values on Pebble's wire format (Go's encoding of
// time.Time and time.Duration). Private to the client.

import { parseDuration as parseGoDuration } from "../plan/duration.ts";

const TIMESTAMP_RE =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([-+])(\d{2}):(\d{2}))$/;

/** A parsed RFC 3339 timestamp: the `Date` (millisecond precision) and the exact instant. */

export interface PreciseTime {
  date: Date;
  /** Nanoseconds since the Unix epoch, exact to the nanosecond as Go sends them. */
  nanos: bigint;
}

/**
 * Parses an RFC 3339 timestamp as Go's encoding/json writes a `time.Time`, including
 * up to nine fractional digits and the zero time `0001-01-01T00:00:00Z`.
 * Throws a `RangeError` naming the value when it is not a timestamp.
 */
export function parsePreciseTime(text: string): PreciseTime {
  const m = TIMESTAMP_RE.exec(text);
  if (!m) throw new RangeError(`invalid timestamp ${JSON.stringify(text)}`);
  const [, y, mo, d, hh, mi, ss, frac = "", z, sign, zh, zm] = m;
  let ms = Date.UTC(0, Number(mo) - 1, Number(d), Number(hh), Number(mi), Number(ss));
  // Date.UTC maps years 0..99 to 1900..1999; set the year explicitly instead.
  const base = new Date(ms);
  base.setUTCFullYear(Number(y));
  ms = base.getTime();
  if (!z) {
    const offset = (Number(zh) * 60 + Number(zm)) * 60_000;
    ms += sign === "+" ? -offset : offset;
  }
  if (Number.isNaN(ms)) throw new RangeError(`invalid timestamp ${JSON.stringify(text)}`);
  const fracNanos = BigInt((frac + "000000000").slice(0, 9));
  const nanos = BigInt(ms) * 1_000_000n + fracNanos;
  return { date: new Date(ms + Number(fracNanos / 1_000_000n)), nanos };
}

/** Parses an RFC 3339 timestamp into a `Date` (see {@linkcode parsePreciseTime}). */
export function parseTime(text: string): Date {
  return parsePreciseTime(text).date;
}

/** Formats an exact instant as RFC 3339 in UTC with nanoseconds, as Go's RFC3339Nano does. */
export function formatPreciseTime(nanos: bigint): string {
  const ms = nanos / 1_000_000n;
  let sub = nanos % 1_000_000n;
  let msNum = Number(ms);
  if (sub < 0n) {
    sub += 1_000_000n;
    msNum -= 1;
  }
  const iso = new Date(msNum).toISOString(); // yyyy-mm-ddThh:mm:ss.sssZ
  const fraction = (iso.slice(20, 23) + sub.toString().padStart(6, "0")).replace(/0+$/, "");
  return iso.slice(0, 19) + (fraction ? "." + fraction : "") + "Z";
}

/** Converts a `Date` to nanoseconds since the epoch. */
export function dateToNanos(date: Date): bigint {
  return BigInt(date.getTime()) * 1_000_000n;
}

/**
 * Parses a Go duration string such as `"72h3m0.5s"` into seconds (plan/ parses it).
 * Throws a `RangeError` naming the value when it is not a duration.
 */
export function parseDuration(text: string): number {
  try {
    return parseGoDuration(text) / 1e9;
  } catch (err) {
    throw new RangeError((err as Error).message);
  }
}

/**
 * Formats seconds as a duration Pebble accepts (Go's time.ParseDuration), with
 * millisecond resolution, like ops does: `1.5` → `"1.500s"`.
 */
export function formatTimeout(seconds: number): string {
  return `${seconds.toFixed(3)}s`;
}
