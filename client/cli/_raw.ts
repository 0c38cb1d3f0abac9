// Helpers for API results read as raw JSON, so that the CLI can print times exactly as
// Pebble's CLI does (nanoseconds and the daemon's UTC offset kept) and build JSON/YAML
// output with Go's field order.

import { parsePreciseTime } from "../_time.ts";
import { type CliContext, CliError } from "./_context.ts";
import { humanTime, rawToRFC3339 } from "./_format.ts";
import { Timestamp } from "./_structured.ts";

/** A JSON object from the API. */
export type RawObject = Record<string, unknown>;

/** Reads a string field ("" when absent). */
export function rawString(o: RawObject, key: string): string {
  const v = o[key];
  return typeof v === "string" ? v : v === undefined || v === null ? "" : String(v);
}

/** Reads a number field (0 when absent). */
export function rawNumber(o: RawObject, key: string): number {
  const v = o[key];
  return typeof v === "number" ? v : 0;
}

/** Reads an object field ({} when absent). */
export function rawObject(o: RawObject, key: string): RawObject {
  const v = o[key];
  return typeof v === "object" && v !== null && !Array.isArray(v) ? v as RawObject : {};
}

/** Reads an array result or field. */
export function rawArray(v: unknown): RawObject[] {
  return Array.isArray(v) ? v.filter((x) => typeof x === "object" && x !== null) : [];
}

/** Whether a raw time is absent or Go's zero time. */
export function isZeroRawTime(raw: string): boolean {
  return raw === "" || raw.startsWith("0001-01-01T00:00:00");
}

/** Nanoseconds since the epoch of a raw time (0 for a missing or invalid one). */
export function rawNanos(raw: string): bigint {
  try {
    return parsePreciseTime(raw).nanos;
  } catch {
    return 0n;
  }
}

/** A raw time as a `Date`. */
export function rawDate(raw: string): Date {
  try {
    return parsePreciseTime(raw).date;
  } catch {
    return new Date(NaN);
  }
}

/**
 * A raw time as Go's `time.RFC3339Nano` prints it after parsing: the same offset (`Z`
 * for zero) and the fraction without trailing zeros.
 */
export function rawToRFC3339Nano(raw: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?([Zz]|[-+]\d{2}:\d{2})$/
    .exec(raw);
  if (!m) return raw;
  const frac = (m[3] ?? "").slice(0, 9).replace(/0+$/, "");
  const zone = /^([Zz]|[-+]00:00)$/.test(m[4]) ? "Z" : m[4];
  return `${m[1]}T${m[2]}${frac ? "." + frac : ""}${zone}`;
}

/** A raw time as a {@linkcode Timestamp} for structured output. */
export function rawTimestamp(raw: string): Timestamp {
  return new Timestamp(isZeroRawTime(raw) ? "0001-01-01T00:00:00Z" : rawToRFC3339Nano(raw));
}

/** Pebble's warnMaintenance: a pending restart is a warning, other maintenance an error. */
export async function warnMaintenance(ctx: CliContext): Promise<void> {
  const maintenance = ctx.existingClient?.maintenance;
  if (!maintenance) return;
  const { errorToMessage } = await import("./_errors.ts");
  const { message, isError } = errorToMessage(maintenance);
  if (isError) throw new CliError(message);
  ctx.err(`WARNING: ${message}\n`);
}

/** Formats a raw API time as Pebble's `--abs-time` switch asks (RFC 3339 or relative). */
export function fmtRawTime(raw: string, absTime: boolean, now: Date): string {
  return absTime ? rawToRFC3339(raw) : humanTime(rawDate(raw), now);
}

/** The `last-repeated` of the last notice listed, as the CLI state file keeps it. */
export function lastRepeatedOf(list: RawObject[]): string {
  const raw = rawString(list[list.length - 1], "last-repeated");
  return isZeroRawTime(raw) ? "0001-01-01T00:00:00Z" : rawToRFC3339Nano(raw);
}
