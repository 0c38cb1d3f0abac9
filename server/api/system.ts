/**
 * `/v1/system-info` and `/v1/health`: open to anyone, on every listener.
 *
 * @module
 */

import type { Route } from "./api.ts";
import { commaList } from "./context.ts";
import { badRequest, sync } from "./response.ts";

/** Routes of this area. */
export const systemRoutes: Route[] = [
  {
    path: "/v1/system-info",
    read: "open",
    GET: ({ deps }) =>
      sync({
        "boot-id": deps.bootId,
        "http-address": deps.httpAddress || undefined,
        version: deps.version,
      }),
  },
  {
    path: "/v1/health",
    read: "open",
    GET: ({ query }) => {
      const level = query.get("level") ?? "";
      if (level !== "" && level !== "alive" && level !== "ready") {
        return badRequest(`level must be "alive" or "ready"`);
      }
      commaList(query, "names");
      // No checks exist yet, so the daemon is healthy at every level.
      return sync({ healthy: true });
    },
  },
];
