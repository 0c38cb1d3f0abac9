/**
 * What API handlers see: the daemon's parts they may use and the parsed request.
 *
 * @module
 */

import type { State } from "../state/state.ts";
import type { PlanManager } from "../plan_manager.ts";
import type { ConnInfo } from "./api.ts";
import type { ExecManager } from "../exec/manager.ts";
import type { ServiceManager } from "../services/manager.ts";
import type { CheckManager } from "../checks/manager.ts";
import type { IdentityManager } from "../identities/manager.ts";
import { ApiError, badRequest } from "./response.ts";
import type { RequestHeaders } from "../http_server.ts";

/** The parts of the daemon that handlers use. */
export interface ApiDeps {
  state: State;
  plan: PlanManager;
  version: string;
  bootId: string;
  httpAddress?: string;
  /** The UID the daemon runs as (it and root are admins). */
  daemonUid: number;
  /** Runs commands for clients (`/v1/exec`); absent in API-only test setups. */
  exec?: ExecManager;
  /** Supervises services (`/v1/services`, `/v1/signals`, `/v1/logs`); absent in API-only setups. */
  services?: ServiceManager;
  /** Runs health checks (`/v1/checks`, `/v1/health`); absent in API-only setups. */
  checks?: CheckManager;
  /** Named identities (`/v1/identities`, access decisions); absent in API-only setups. */
  identities?: IdentityManager;
}

/** The caller, as far as the daemon knows it. */
export interface User {
  uid: number | null;
  access: "admin" | "read" | "metrics" | "untrusted";
  /** The matching identity's name, when the caller is a named identity. */
  username?: string;
}

/** A request as handlers see it. */
export interface ApiRequest {
  deps: ApiDeps;
  user: User | null;
  conn: ConnInfo;
  method: string;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: RequestHeaders;
  /** Aborts when the client goes away. */
  readonly signal: AbortSignal;
  /**
   * The request body, read from the connection only as it is iterated (so a slow
   * consumer holds the client back instead of buffering).
   */
  body(): AsyncIterable<Uint8Array>;
  /** The JSON body (400 when malformed, 413 when too large). */
  json(): Promise<unknown>;
}

/**
 * Reads a JSON object body and checks the types of the fields a handler uses, the way
 * Go's decoder does: unknown fields are ignored, a wrong type is a 400 naming the field.
 */
export async function jsonObject(
  req: ApiRequest,
  fields: Record<string, "string" | "boolean" | "number" | "object" | "array">,
): Promise<Record<string, unknown>> {
  const body = await req.json();
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw new ApiError(badRequest("cannot decode request body: expected a JSON object"));
  }
  const obj = body as Record<string, unknown>;
  for (const [name, type] of Object.entries(fields)) {
    const v = obj[name];
    if (v === undefined || v === null) continue;
    const actual = Array.isArray(v) ? "array" : typeof v;
    if (actual !== type) {
      throw new ApiError(
        badRequest(`cannot decode request body: field "${name}" must be a ${type}, not ${actual}`),
      );
    }
  }
  return obj;
}

/** Splits repeated, comma-separated query values into one list (Pebble's convention). */
export function commaList(query: URLSearchParams, name: string): string[] {
  const out: string[] = [];
  for (const v of query.getAll(name)) {
    for (const part of v.split(",")) {
      const s = part.trim();
      if (s) out.push(s);
    }
  }
  return out;
}
