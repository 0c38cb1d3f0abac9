/**
 * `/v1/checks` (list, start, stop), `/v1/checks/refresh`, and the health answer that
 * `/v1/health` gives.
 *
 * @module
 */

import type { Route } from "./api.ts";
import { type ApiRequest, commaList } from "./context.ts";
import { ApiError, type ApiResponse, badRequest, notFound, sync } from "./response.ts";
import { type CheckInfo, ChecksNotFoundError } from "../checks/manager.ts";

/** A check as `GET /v1/checks` shows it (Pebble's field names; empty ones left out). */
export function checkInfoJson(c: CheckInfo): Record<string, unknown> {
  return {
    name: c.name,
    level: c.level || undefined,
    startup: c.startup,
    status: c.status,
    successes: c.successes,
    failures: c.failures || undefined,
    threshold: c.threshold,
    "change-id": c.changeId || undefined,
    "prev-change-id": c.prevChangeId || undefined,
  };
}

/** The `level` query parameter, or a 400 response. */
function levelOf(query: URLSearchParams): string | ApiResponse {
  const level = query.get("level") ?? "";
  if (level !== "" && level !== "alive" && level !== "ready") {
    return badRequest(`level must be "alive" or "ready"`);
  }
  return level;
}

/**
 * Pebble's health rule over these checks: healthy unless a check that matches the
 * names and level is down. Inactive checks do not count; with `ready`, alive checks
 * count too (not alive implies not ready).
 */
export function healthy(checks: CheckInfo[], level: string, names: string[]): boolean {
  for (const c of checks) {
    if (c.status !== "down") continue;
    const levelMatch = level === "" || level === c.level ||
      (level === "ready" && c.level === "alive");
    if (levelMatch && (names.length === 0 || names.includes(c.name))) return false;
  }
  return true;
}

/** `GET /v1/health`: 200 `{"healthy": true}`, or 502 with `healthy: false`. */
export function health({ deps, query }: ApiRequest): ApiResponse {
  const level = levelOf(query);
  if (typeof level !== "string") return level;
  const ok = healthy(deps.checks?.checkInfos() ?? [], level, commaList(query, "names"));
  return sync({ healthy: ok }, ok ? 200 : 502);
}

/** Reads the JSON body with Pebble's wording for checks requests. */
async function body(req: ApiRequest): Promise<Record<string, unknown>> {
  let value: unknown;
  try {
    value = await req.json();
  } catch (e) {
    if (e instanceof ApiError && e.response.status === 400) {
      throw new ApiError(
        badRequest(
          e.message.replace(/^cannot decode request body/, "cannot decode data from request body"),
        ),
      );
    }
    throw e;
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new ApiError(
      badRequest("cannot decode data from request body: expected a JSON object"),
    );
  }
  return value as Record<string, unknown>;
}

function stringField(obj: Record<string, unknown>, name: string): string {
  const v = obj[name];
  if (v === undefined || v === null) return "";
  if (typeof v !== "string") {
    throw new ApiError(
      badRequest(`cannot decode data from request body: field "${name}" must be a string`),
    );
  }
  return v;
}

function stringList(obj: Record<string, unknown>, name: string): string[] {
  const v = obj[name];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((s) => typeof s !== "string")) {
    throw new ApiError(
      badRequest(`cannot decode data from request body: field "${name}" must be a list of strings`),
    );
  }
  return v as string[];
}

/** Routes of this area. */
export const checkRoutes: Route[] = [
  {
    path: "/v1/checks",
    read: "user",
    write: "admin",
    GET: ({ deps, query }) => {
      const level = levelOf(query);
      if (typeof level !== "string") return level;
      const names = commaList(query, "names");
      const out = [];
      for (const c of deps.checks?.checkInfos() ?? []) {
        if (level !== "" && c.level !== level) continue;
        if (names.length && !names.includes(c.name)) continue;
        out.push(checkInfoJson(c));
      }
      return sync(out);
    },
    POST: async (req) => {
      const payload = await body(req);
      const action = stringField(payload, "action");
      const checks = stringList(payload, "checks");
      if (checks.length === 0) return badRequest(`must specify checks for ${action} action`);
      const manager = req.deps.checks;
      if (!manager) return badRequest(`cannot ${action} checks: no check manager`);
      let changed: string[];
      try {
        if (action === "start") changed = manager.startChecks(checks);
        else if (action === "stop") changed = manager.stopChecks(checks);
        else return badRequest(`invalid action ${JSON.stringify(action)}`);
      } catch (e) {
        if (e instanceof ChecksNotFoundError) {
          return badRequest(`cannot ${action} checks: ${e.message}`);
        }
        throw e;
      }
      await req.deps.state.commit();
      return sync({ changed: [...changed].sort() });
    },
  },
  {
    path: "/v1/checks/refresh",
    write: "admin",
    POST: async (req) => {
      const payload = await body(req);
      const name = stringField(payload, "name");
      if (name === "") return badRequest("must specify check name");
      if (!Object.hasOwn(req.deps.plan.plan().checks, name)) {
        return notFound(`cannot find check with name ${JSON.stringify(name)}`);
      }
      if (!req.deps.checks) return notFound(`cannot find check with name ${JSON.stringify(name)}`);
      const result = await req.deps.checks.refresh(name);
      await req.deps.state.commit();
      return sync({ info: checkInfoJson(result.info), error: result.error || undefined });
    },
  },
];
