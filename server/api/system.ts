/**
 * `/v1/system-info` and `/v1/health`: open to anyone, on every listener.
 *
 * @module
 */

import type { Route } from "./api.ts";
import { health } from "./checks.ts";
import { sync } from "./response.ts";

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
    GET: health,
  },
];
