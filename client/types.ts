// Typed results of the Pebble API and their parsers from Pebble's kebab-case JSON.

import { parseDuration, parseTime } from "./_time.ts";
import { ProtocolError } from "./errors.ts";

/** Information about the daemon, from `GET /v1/system-info`. */
export interface SystemInfo {
  /** The daemon's version, for example `"v1.32.1"`. */
  version: string;
  /** A string that is unique to this boot of the machine. */
  bootId: string;
  /** The address of the HTTP listener, when the daemon was started with `--http`. */
  httpAddress?: string;
  /** The address of the HTTPS listener, when the daemon has one. */
  httpsAddress?: string;
}

/** Which changes {@linkcode Client.getChanges} returns. */
export type ChangeState = "all" | "in-progress" | "ready";

/**
 * The status of a change or task as Pebble names it: `Hold`, `Do`, `Doing`, `Done`,
 * `Abort`, `Undo`, `Undoing`, `Error` or `Wait`.
 */
export type ChangeStatus =
  | "Hold"
  | "Do"
  | "Doing"
  | "Done"
  | "Abort"
  | "Undo"
  | "Undoing"
  | "Error"
  | "Wait";

/** Progress of a task: `done` out of `total`, with a label. */
export interface TaskProgress {
  /** What is being counted, possibly empty. */
  label: string;
  /** Units done so far. */
  done: number;
  /** Units in all. */
  total: number;
}

/** One step of a {@linkcode Change}. */
export interface Task {
  /** The task's ID. */
  id: string;
  /** The kind of task, for example `"start"` or `"exec"`. */
  kind: string;
  /** A human-readable summary. */
  summary: string;
  /** The task's status (see {@linkcode ChangeStatus}). */
  status: ChangeStatus | string;
  /** Log lines the task recorded (empty when it has none). */
  log: string[];
  /** The task's progress. */
  progress: TaskProgress;
  /** When the task was created. */
  spawnTime: Date;
  /** When the task became ready, or `null` while it is not. */
  readyTime: Date | null;
  /** Data the task exposes to API clients (for example an exec task's websocket IDs). */
  data: Record<string, unknown>;
}

/** A change: a set of tasks the daemon carries out for a request that takes time. */
export interface Change {
  /** The change's ID. */
  id: string;
  /** The kind of change, for example `"start"`, `"replan"`, `"exec"`. */
  kind: string;
  /** A human-readable summary. */
  summary: string;
  /** The change's status (see {@linkcode ChangeStatus}). */
  status: ChangeStatus | string;
  /** The change's tasks. */
  tasks: Task[];
  /** Whether the change has finished (successfully or not). */
  ready: boolean;
  /** The change's error message when it failed, else `null`. */
  err: string | null;
  /** When the change was created. */
  spawnTime: Date;
  /** When the change became ready, or `null` while it is not. */
  readyTime: Date | null;
  /** Data the change exposes to API clients. */
  data: Record<string, unknown>;
}

/** The notice types Pebble records. Other strings may appear from newer daemons. */
export type NoticeType = "custom" | "change-update" | "warning";

/** A notice: an aggregated record of occurrences of something (a type and a key). */
export interface Notice {
  /** The notice's server-generated ID. */
  id: string;
  /** The UID of the user who may see it, or `null` for a public notice. */
  userId: number | null;
  /** The notice type (see {@linkcode NoticeType}). */
  type: NoticeType | string;
  /** The key that tells apart notices of one type (for warnings, the message). */
  key: string;
  /** When this type and key first occurred. */
  firstOccurred: Date;
  /** When it last occurred. */
  lastOccurred: Date;
  /** When it was last repeated (shown anew to clients). */
  lastRepeated: Date;
  /** How many times it occurred. */
  occurrences: number;
  /** Data recorded with the last occurrence. */
  lastData: Record<string, string>;
  /** Seconds after a repeat before another occurrence repeats it, if set. */
  repeatAfter?: number;
  /** Seconds after the last occurrence before the notice expires, if set. */
  expireAfter?: number;
}

/** Which warnings {@linkcode Client.getWarnings} returns. */
export type WarningState = "all" | "pending";

/**
 * A warning, in the shape of ops' `pebble.Warning`.
 *
 * Current Pebble records warnings as notices of type `"warning"` whose key is the
 * message; this object is built from such a notice.
 */
export interface Warning {
  /** The warning text (the notice's key). */
  message: string;
  /** When the warning first occurred (the notice's `firstOccurred`). */
  firstAdded: Date;
  /** When it last occurred (the notice's `lastOccurred`). */
  lastAdded: Date;
  /**
   * When it was last shown. Pebble no longer tracks this on the server, so it is always
   * `null`; see `lastRepeated` instead.
   */
  lastShown: Date | null;
  /** When the warning was last repeated (the notice's `lastRepeated`). */
  lastRepeated: Date;
  /** Go duration after which the warning expires, for example `"168h0m0s"` (or `""`). */
  expireAfter: string;
  /** Go duration before the warning is repeated (or `""`). */
  repeatAfter: string;
}

// ---- parsers (not part of the public surface) ----

type JsonObject = Record<string, unknown>;

function fail(what: string, detail: string): never {
  throw new ProtocolError(`cannot parse ${what} from Pebble: ${detail}`);
}

function obj(value: unknown, what: string): JsonObject {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    fail(what, `expected an object, got ${JSON.stringify(value)}`);
  }
  return value as JsonObject;
}

/** Reads an array result, failing with a ProtocolError naming `what`. */
export function parseArray<T>(value: unknown, what: string, each: (v: unknown) => T): T[] {
  if (value === null) return [];
  if (!Array.isArray(value)) fail(what, `expected an array, got ${JSON.stringify(value)}`);
  return value.map(each);
}

function str(o: JsonObject, key: string, what: string, fallback?: string): string {
  const v = o[key];
  if (typeof v === "string") return v;
  if (v === undefined && fallback !== undefined) return fallback;
  fail(what, `field "${key}" should be a string, got ${JSON.stringify(v)}`);
}

function num(o: JsonObject, key: string, what: string, fallback?: number): number {
  const v = o[key];
  if (typeof v === "number") return v;
  if (v === undefined && fallback !== undefined) return fallback;
  fail(what, `field "${key}" should be a number, got ${JSON.stringify(v)}`);
}

function time(o: JsonObject, key: string, what: string): Date {
  const v = str(o, key, what);
  try {
    return parseTime(v);
  } catch (err) {
    fail(what, `field "${key}": ${(err as Error).message}`);
  }
}

function optionalTime(o: JsonObject, key: string, what: string): Date | null {
  return o[key] === undefined || o[key] === null || o[key] === "" ? null : time(o, key, what);
}

function optionalDuration(o: JsonObject, key: string, what: string): number | undefined {
  const v = o[key];
  if (v === undefined || v === null || v === "") return undefined;
  if (typeof v !== "string") fail(what, `field "${key}" should be a duration string`);
  try {
    return parseDuration(v);
  } catch (err) {
    fail(what, `field "${key}": ${(err as Error).message}`);
  }
}

function data(o: JsonObject, key: string, what: string): Record<string, unknown> {
  const v = o[key];
  return v === undefined || v === null ? {} : obj(v, `${what} ${key}`);
}

/** Parses a `system-info` result. */
export function parseSystemInfo(value: unknown): SystemInfo {
  const what = "system info";
  const o = obj(value, what);
  const info: SystemInfo = {
    version: str(o, "version", what),
    bootId: str(o, "boot-id", what, ""),
  };
  if (typeof o["http-address"] === "string") info.httpAddress = o["http-address"];
  if (typeof o["https-address"] === "string") info.httpsAddress = o["https-address"];
  return info;
}

/** Parses one task of a change. */
export function parseTask(value: unknown): Task {
  const what = "task";
  const o = obj(value, what);
  const p = o.progress === undefined ? {} : obj(o.progress, "task progress");
  const log = o.log === undefined || o.log === null
    ? []
    : parseArray(o.log, "task log", (l) => typeof l === "string" ? l : String(l));
  return {
    id: str(o, "id", what),
    kind: str(o, "kind", what),
    summary: str(o, "summary", what, ""),
    status: str(o, "status", what),
    log,
    progress: {
      label: str(p, "label", "task progress", ""),
      done: num(p, "done", "task progress", 0),
      total: num(p, "total", "task progress", 0),
    },
    spawnTime: time(o, "spawn-time", what),
    readyTime: optionalTime(o, "ready-time", what),
    data: data(o, "data", what),
  };
}

/** Parses a change. */
export function parseChange(value: unknown): Change {
  const what = "change";
  const o = obj(value, what);
  if (typeof o.ready !== "boolean") fail(what, `field "ready" should be a boolean`);
  const err = o.err;
  return {
    id: str(o, "id", what),
    kind: str(o, "kind", what),
    summary: str(o, "summary", what, ""),
    status: str(o, "status", what),
    tasks: o.tasks === undefined ? [] : parseArray(o.tasks, "change tasks", parseTask),
    ready: o.ready,
    err: typeof err === "string" && err !== "" ? err : null,
    spawnTime: time(o, "spawn-time", what),
    readyTime: optionalTime(o, "ready-time", what),
    data: data(o, "data", what),
  };
}

/** Parses a notice. */
export function parseNotice(value: unknown): Notice {
  const what = "notice";
  const o = obj(value, what);
  const userId = o["user-id"];
  if (userId !== undefined && userId !== null && typeof userId !== "number") {
    fail(what, `field "user-id" should be a number or null`);
  }
  const lastData: Record<string, string> = {};
  for (const [k, v] of Object.entries(data(o, "last-data", what))) lastData[k] = String(v);
  const notice: Notice = {
    id: str(o, "id", what),
    userId: typeof userId === "number" ? userId : null,
    type: str(o, "type", what),
    key: str(o, "key", what),
    firstOccurred: time(o, "first-occurred", what),
    lastOccurred: time(o, "last-occurred", what),
    lastRepeated: time(o, "last-repeated", what),
    occurrences: num(o, "occurrences", what),
    lastData,
  };
  const repeatAfter = optionalDuration(o, "repeat-after", what);
  if (repeatAfter !== undefined) notice.repeatAfter = repeatAfter;
  const expireAfter = optionalDuration(o, "expire-after", what);
  if (expireAfter !== undefined) notice.expireAfter = expireAfter;
  return notice;
}

/** Builds an ops-style Warning from a raw `warning` notice. */
export function parseWarningNotice(value: unknown): Warning {
  const notice = parseNotice(value);
  const o = value as JsonObject;
  return {
    message: notice.key,
    firstAdded: notice.firstOccurred,
    lastAdded: notice.lastOccurred,
    lastShown: null,
    lastRepeated: notice.lastRepeated,
    expireAfter: typeof o["expire-after"] === "string" ? o["expire-after"] : "",
    repeatAfter: typeof o["repeat-after"] === "string" ? o["repeat-after"] : "",
  };
}
