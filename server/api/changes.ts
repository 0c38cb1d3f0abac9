/**
 * `/v1/changes`, `/v1/changes/{id}` and `/v1/changes/{id}/wait`.
 *
 * @module
 */

import type { Route } from "./api.ts";
import { jsonObject } from "./context.ts";
import { badRequest, error, internalError, notFound, sync } from "./response.ts";
import { formatDuration, parseDuration } from "../../plan/mod.ts";
import type { Change } from "../state/change.ts";

/** Parses an optional Go duration from a query value (ns); throws a 400 message. */
export function queryDuration(value: string | null): number | string {
  if (!value) return 0;
  try {
    return parseDuration(value);
  } catch (e) {
    return (e as Error).message;
  }
}

function serviceNames(c: Change): string[] {
  const names = c.data["service-names"];
  return Array.isArray(names) ? names.map(String) : [];
}

/** Routes of this area. */
export const changeRoutes: Route[] = [
  {
    path: "/v1/changes",
    read: "user",
    GET: ({ deps, query }) => {
      const select = query.get("select") || "in-progress";
      let keep: (c: Change) => boolean;
      if (select === "all") keep = () => true;
      else if (select === "in-progress") keep = (c) => !c.isReady();
      else if (select === "ready") keep = (c) => c.isReady();
      else return badRequest("select should be one of: all,in-progress,ready");
      const wanted = query.get("for");
      const out = [];
      for (const c of deps.state.changeList()) {
        if (!keep(c)) continue;
        if (wanted && !serviceNames(c).includes(wanted)) continue;
        out.push(c.toInfo());
      }
      return sync(out);
    },
  },
  {
    path: "/v1/changes/:id",
    read: "user",
    write: "admin",
    GET: ({ deps, params }) => {
      const c = deps.state.changes.get(params.id);
      if (!c) return notFound(`cannot find change with id "${params.id}"`);
      return sync(c.toInfo());
    },
    POST: async (req) => {
      const { deps, params } = req;
      const c = deps.state.changes.get(params.id);
      if (!c) return notFound(`cannot find change with id "${params.id}"`);
      const body = await jsonObject(req, { action: "string" });
      if (body.action !== "abort") {
        return badRequest(`invalid action ${JSON.stringify(body.action ?? "")}`);
      }
      if (c.isReady()) return badRequest(`cannot abort change ${c.id} with nothing pending`);
      deps.state.abortChange(c);
      await deps.state.commit();
      return sync(c.toInfo());
    },
  },
  {
    path: "/v1/changes/:id/wait",
    read: "user",
    GET: async ({ deps, params, query, signal }) => {
      const c = deps.state.changes.get(params.id);
      if (!c) return notFound(`cannot find change with id "${params.id}"`);
      const timeout = queryDuration(query.get("timeout"));
      if (typeof timeout === "string") return badRequest(`invalid timeout: ${timeout}`);
      const signals = [signal];
      if (timeout > 0) signals.push(AbortSignal.timeout(Math.max(1, timeout / 1e6)));
      try {
        await c.ready(AbortSignal.any(signals));
      } catch {
        if (signal.aborted) return internalError("request cancelled");
        return error(504, `timed out waiting for change after ${formatDuration(timeout)}`);
      }
      return sync(c.toInfo());
    },
  },
];
