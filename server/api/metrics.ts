/**
 * `/v1/metrics`: service and check metrics in the OpenMetrics text format, with the
 * names, help texts and labels Pebble exports (so Prometheus scrape configs carry over).
 *
 * @module
 */

import type { Route } from "./api.ts";
import type { ApiDeps } from "./context.ts";
import { RawResponse } from "./response.ts";

function metric(
  name: string,
  type: "gauge" | "counter",
  help: string,
  label: string,
  value: string,
  n: number,
): string {
  return `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${name}{${label}=${
    JSON.stringify(value)
  }} ${n}\n\n`;
}

/** The metrics text, services first (by name), then checks (by name), as Pebble writes it. */
export function metricsText(deps: ApiDeps): string {
  let out = "";
  for (const s of deps.services?.serviceMetrics() ?? []) {
    out += metric(
      "pebble_service_active",
      "gauge",
      "Whether the service is currently active (1) or not (0)",
      "service",
      s.name,
      s.active ? 1 : 0,
    );
    out += metric(
      "pebble_service_start_count",
      "counter",
      "Number of times the service has started",
      "service",
      s.name,
      s.startCount,
    );
  }
  for (const c of deps.checks?.checkMetrics() ?? []) {
    if (c.status !== "inactive") {
      out += metric(
        "pebble_check_up",
        "gauge",
        "Whether the health check is up (1) or not (0)",
        "check",
        c.name,
        c.status === "up" ? 1 : 0,
      );
    }
    out += metric(
      "pebble_check_success_count",
      "counter",
      "Number of times the check has succeeded",
      "check",
      c.name,
      c.successes,
    );
    out += metric(
      "pebble_check_failure_count",
      "counter",
      "Number of times the check has failed",
      "check",
      c.name,
      c.failures,
    );
  }
  return out;
}

/** Routes of this area. */
export const metricsRoutes: Route[] = [
  {
    path: "/v1/metrics",
    read: "metrics",
    GET: ({ deps }) => {
      const text = metricsText(deps);
      const headers: Record<string, string> = text
        ? { "content-type": "text/plain; charset=utf-8" }
        : {};
      return Promise.resolve(new RawResponse(headers, text));
    },
  },
];
