/**
 * Notices: things that happened, one record per (user, type, key), counted on repeat.
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

/** A notice. Durations are in nanoseconds; `userId` null means public. */
export interface Notice {
  id: string;
  userId: number | null;
  type: NoticeType;
  key: string;
  firstOccurred: Date;
  lastOccurred: Date;
  lastRepeated: Date;
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
  after?: Date;
}

/** The map key that makes a notice unique. */
export function noticeKey(userId: number | null, type: string, key: string): string {
  return `${userId ?? "public"}\u0000${type}\u0000${key}`;
}

/** Whether the notice has passed its expiry time. */
export function noticeExpired(n: Notice, now: number): boolean {
  return n.lastOccurred.getTime() + n.expireAfterNs / 1e6 < now;
}

/** Whether the notice passes the filter. */
export function noticeMatches(n: Notice, f: NoticeFilter): boolean {
  if (f.userId !== undefined && n.userId !== null && n.userId !== f.userId) return false;
  if (f.types?.length && !f.types.includes(n.type)) return false;
  if (f.keys?.length && !f.keys.includes(n.key)) return false;
  if (f.after && !(n.lastRepeated.getTime() > f.after.getTime())) return false;
  return true;
}

/** The JSON shape of `/v1/notices` (also the state-file record). */
export function noticeToJSON(n: Notice): Record<string, unknown> {
  return {
    id: n.id,
    "user-id": n.userId,
    type: n.type,
    key: n.key,
    "first-occurred": n.firstOccurred.toISOString(),
    "last-occurred": n.lastOccurred.toISOString(),
    "last-repeated": n.lastRepeated.toISOString(),
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
    firstOccurred: new Date(String(r["first-occurred"])),
    lastOccurred: new Date(String(r["last-occurred"])),
    lastRepeated: new Date(String(r["last-repeated"])),
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
