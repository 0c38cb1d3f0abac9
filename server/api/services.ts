/**
 * `/v1/services`, `/v1/services/{name}` and `/v1/signals`.
 *
 * @module
 */

import type { Route } from "./api.ts";
import type { ApiRequest } from "./context.ts";
import { ApiError, async, badRequest, error, internalError, sync } from "./response.ts";
import { commaList } from "./context.ts";
import { ServiceRequestError } from "../services/manager.ts";
import type { ServiceManager } from "../services/manager.ts";

function manager(req: ApiRequest): ServiceManager {
  const m = req.deps.services;
  if (!m) throw new ApiError(internalError("service manager not available"));
  return m;
}

/** Reads a JSON object body; decode errors worded with `prefix` as Pebble words them. */
async function body(req: ApiRequest, prefix: string): Promise<Record<string, unknown>> {
  let value: unknown;
  try {
    value = await req.json();
  } catch (e) {
    if (e instanceof ApiError && e.response.status === 400) {
      const msg = e.message.replace(/^cannot decode request body: /, "");
      throw new ApiError(badRequest(`${prefix}: ${msg}`));
    }
    throw e;
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new ApiError(badRequest(`${prefix}: expected a JSON object`));
  }
  return value as Record<string, unknown>;
}

function stringField(obj: Record<string, unknown>, name: string, prefix: string): string {
  const v = obj[name];
  if (v === undefined || v === null) return "";
  if (typeof v !== "string") {
    throw new ApiError(badRequest(`${prefix}: field "${name}" must be a string`));
  }
  return v;
}

function stringList(obj: Record<string, unknown>, name: string, prefix: string): string[] {
  const v = obj[name];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) {
    throw new ApiError(badRequest(`${prefix}: field "${name}" must be a list of strings`));
  }
  return v as string[];
}

/** Routes of this area. */
export const serviceRoutes: Route[] = [
  {
    path: "/v1/services",
    read: "user",
    write: "admin",
    GET: (req) => {
      const names = commaList(req.query, "names");
      return sync(
        manager(req).list(names).map((s) => ({
          name: s.name,
          startup: s.startup,
          current: s.current,
          "current-since": s.currentSince?.toISOString(),
        })),
      );
    },
    POST: async (req) => {
      const m = manager(req);
      const prefix = "cannot decode data from request body";
      const b = await body(req, prefix);
      const action = stringField(b, "action", prefix);
      const services = stringList(b, "services", prefix);
      try {
        const change = await m.changeFor(action, services);
        // As Pebble: a replan also starts the enabled checks that are not running.
        if (action === "replan") req.deps.checks?.replan();
        return async(change.id);
      } catch (e) {
        if (e instanceof ServiceRequestError) return badRequest(e.message, e.kind);
        throw e;
      }
    },
  },
  {
    path: "/v1/services/:name",
    read: "user",
    write: "admin",
    GET: () => badRequest("not implemented"),
    POST: () => badRequest("not implemented"),
  },
  {
    path: "/v1/signals",
    write: "admin",
    POST: async (req) => {
      const m = manager(req);
      const prefix = "cannot decode request body";
      const b = await body(req, prefix);
      const signal = stringField(b, "signal", prefix);
      const services = stringList(b, "services", prefix);
      if (services.length === 0) return badRequest("must specify one or more services");
      try {
        m.sendSignal(services, signal);
      } catch (e) {
        return error(500, (e as Error).message);
      }
      return sync(true);
    },
  },
];
