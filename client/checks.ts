// Health check types of the client API (`/v1/checks`, `/v1/health`) and their parsers.

import { ProtocolError } from "./errors.ts";

/** A check's level: `"alive"`, `"ready"`, or `""` when the layer sets none. */
export type CheckLevel = "" | "alive" | "ready";

/**
 * A check's status: `"up"` (failures below the threshold), `"down"` (failures reached
 * it) or `"inactive"` (not running: stopped, or `startup: disabled`).
 */
export type CheckStatus = "up" | "down" | "inactive";

/** A check's startup mode: started with the plan (`"enabled"`) or only on request. */
export type CheckStartup = "enabled" | "disabled";

/** The status of one health check, in the shape of ops' `pebble.CheckInfo`. */
export interface CheckInfo {
  /** The check's name. */
  name: string;
  /** The check's level (`""` when unset). */
  level: CheckLevel | string;
  /** The check's startup mode. */
  startup: CheckStartup | string;
  /** The check's status. */
  status: CheckStatus | string;
  /**
   * How many times it succeeded since it was started (reset to 1 when it recovers);
   * `null` from daemons older than Pebble 1.23, which do not report it.
   */
  successes: number | null;
  /** Failures in a row since it last succeeded. */
  failures: number;
  /** How many failures in a row make it `down`. */
  threshold: number;
  /** The `perform-check` or `recover-check` change running it; `null` when inactive. */
  changeId: string | null;
  /** The change that ran it before the current one, if any. */
  prevChangeId: string | null;
}

/** Which checks {@linkcode Client.getChecks} and {@linkcode Client.getHealth} consider. */
export interface CheckQueryOptions {
  /** Only checks of this level (for health, `ready` also covers alive checks). */
  level?: CheckLevel;
  /** Only checks with these names. */
  names?: string[];
}

/** The result of {@linkcode Client.refreshCheck}. */
export interface RefreshCheckResult {
  /** The check's status after the run. */
  info: CheckInfo;
  /** The run's error with its details, or `null` when the check passed. */
  error: string | null;
}

function fail(detail: string): never {
  throw new ProtocolError(`cannot parse check info from Pebble: ${detail}`);
}

/** Parses one check of `GET /v1/checks`, as ops' `CheckInfo.from_dict` reads it. */
export function parseCheckInfo(value: unknown): CheckInfo {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    fail(`expected an object, got ${JSON.stringify(value)}`);
  }
  const o = value as Record<string, unknown>;
  if (typeof o.name !== "string") fail(`field "name" should be a string`);
  if (typeof o.status !== "string") fail(`field "status" should be a string`);
  const num = (key: string, fallback: number | null) => {
    const v = o[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== "number") fail(`field "${key}" should be a number`);
    return v;
  };
  const str = (key: string) => (typeof o[key] === "string" && o[key] !== "" ? o[key] : null);
  const changeId = str("change-id");
  let status: string = o.status;
  // A daemon that can stop checks reports an inactive check as one without a change.
  if (changeId === null && typeof o.startup === "string") status = "inactive";
  return {
    name: o.name,
    level: typeof o.level === "string" ? o.level : "",
    startup: typeof o.startup === "string" ? o.startup : "enabled",
    status,
    successes: num("successes", null),
    failures: num("failures", 0)!,
    threshold: num("threshold", 0)!,
    changeId,
    prevChangeId: str("prev-change-id"),
  };
}

/** The query of `GET /v1/checks` and `GET /v1/health`. */
export function checkQuery(options: CheckQueryOptions): Record<string, string | undefined> {
  return {
    level: options.level || undefined,
    names: options.names?.length ? options.names.join(",") : undefined,
  };
}
