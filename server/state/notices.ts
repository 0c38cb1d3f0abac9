/**
 * Notices: things that happened, one record per (user, type, key), counted on repeat.
 *
 * Times are integers of microseconds since the Unix epoch (exact in a double). The state
 * hands out strictly increasing occurrence times, so that a client that asks for the
 * notices repeated after the last `last-repeated` it saw never misses one that occurred
 * in the same millisecond (Pebble keeps nanoseconds for the same reason).
 *
 * @module
 */

import { formatDuration } from "../../plan/duration.ts";

/** Notice types current Pebble records. */
export const NOTICE_TYPES = ["change-update", "custom", "warning"] as const;
/** A notice type. */
export type NoticeType = typeof NOTICE_TYPES[number];

/** Default lifetime of a notice after its last occurrence: 7 days, in nanoseconds. */
export const DEFAULT_EXPIRE_AFTER_NS = 7 * 24 * 3600 * 1e9;
/** How long a repeated warning stays quiet: 24 hours, in nanoseconds. */
export const WARNING_REPEAT_AFTER_NS = 24 * 3600 * 1e9;

/** A notice. Times are in microseconds since the epoch, durations in nanoseconds. */
export interface Notice {
  id: string;
  /** The UID of the user who may see it; null means public. */
  userId: number | null;
  type: NoticeType;
  key: string;
  firstOccurred: number;
  lastOccurred: number;
  lastRepeated: number;
  occurrences: number;
  lastData: Record<string, string> | null;
  repeatAfterNs: number;
  expireAfterNs: number;
}

/** Which notices a reader wants. */
export interface NoticeFilter {
  /** Only notices of this user and public ones; undefined means every user's. */
  userId?: number;
  types?: string[];
  keys?: string[];
  /** Only notices last repeated after this time (microseconds since the epoch). */
  after?: number;
}

/** The map key that makes a notice unique. */
export function noticeKey(userId: number | null, type: string, key: string): string {
  return `${userId ?? "public"}\u0000${type}\u0000${key}`;
}

/** Whether the notice has passed its expiry time (`nowUs` in microseconds). */
export function noticeExpired(n: Notice, nowUs: number): boolean {
  return n.lastOccurred + n.expireAfterNs / 1e3 < nowUs;
}

/** Whether the notice passes the filter. */
export function noticeMatches(n: Notice, f: NoticeFilter): boolean {
  if (f.userId !== undefined && n.userId !== null && n.userId !== f.userId) return false;
  if (f.types?.length && !f.types.includes(n.type)) return false;
  if (f.keys?.length && !f.keys.includes(n.key)) return false;
  if (f.after !== undefined && !(n.lastRepeated > f.after)) return false;
  return true;
}

/**
 * Formats microseconds since the epoch as Go's RFC3339Nano does in UTC: the fraction
 * without trailing zeros (`2024-05-03T03:55:49.6541Z`).
 */
export function formatMicros(us: number): string {
  const ms = Math.floor(us / 1000);
  const iso = new Date(ms).toISOString(); // yyyy-mm-ddThh:mm:ss.sssZ
  const frac = (iso.slice(20, 23) + String(us - ms * 1000).padStart(3, "0")).replace(/0+$/, "");
  return iso.slice(0, 19) + (frac ? "." + frac : "") + "Z";
}

const STORED_TIME = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/;

/** Parses an RFC 3339 time (as stored) into microseconds since the epoch; NaN if invalid. */
export function parseMicros(text: string): number {
  const m = STORED_TIME.exec(text);
  if (!m) return NaN;
  const ms = Date.parse(`${m[1]}${m[3]}`);
  return ms * 1000 + Number((m[2] ?? "").slice(0, 6).padEnd(6, "0"));
}

/** The JSON shape of `/v1/notices` (also the state-file record). */
export function noticeToJSON(n: Notice): Record<string, unknown> {
  return {
    id: n.id,
    "user-id": n.userId,
    type: n.type,
    key: n.key,
    "first-occurred": formatMicros(n.firstOccurred),
    "last-occurred": formatMicros(n.lastOccurred),
    "last-repeated": formatMicros(n.lastRepeated),
    occurrences: n.occurrences,
    "last-data": n.lastData && Object.keys(n.lastData).length ? n.lastData : undefined,
    "repeat-after": n.repeatAfterNs ? formatDuration(n.repeatAfterNs) : undefined,
    "expire-after": n.expireAfterNs ? formatDuration(n.expireAfterNs) : undefined,
  };
}

/** Rebuilds a notice from its state-file record (durations stored in ns alongside). */
export function noticeFromRecord(r: Record<string, unknown>): Notice {
  return {
    id: String(r.id),
    userId: typeof r["user-id"] === "number" ? r["user-id"] : null,
    type: r.type as NoticeType,
    key: String(r.key),
    firstOccurred: parseMicros(String(r["first-occurred"])),
    lastOccurred: parseMicros(String(r["last-occurred"])),
    lastRepeated: parseMicros(String(r["last-repeated"])),
    occurrences: Number(r.occurrences ?? 1),
    lastData: (r["last-data"] as Record<string, string>) ?? null,
    repeatAfterNs: Number(r["repeat-after-ns"] ?? 0),
    expireAfterNs: Number(r["expire-after-ns"] ?? DEFAULT_EXPIRE_AFTER_NS),
  };
}

/** The state-file record of a notice. */
export function noticeToRecord(n: Notice): Record<string, unknown> {
  return {
    ...noticeToJSON(n),
    "repeat-after-ns": n.repeatAfterNs,
    "expire-after-ns": n.expireAfterNs,
  };
}
