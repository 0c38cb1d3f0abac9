/**
 * Which services a log target forwards logs for.
 *
 * @module
 */

import type { LogTarget } from "./types.ts";

/**
 * Reports whether logs of service `serviceName` go to `target`: the last
 * entry of the target's `services` that names the service (or `all`) wins,
 * and a `-` prefix excludes instead of including.
 *
 * @example
 * ```ts
 * import { logsTo, newLogTarget } from "./mod.ts";
 * const target = { ...newLogTarget("loki"), services: ["all", "-db"] };
 * logsTo("web", target); // true
 * logsTo("db", target); // false
 * ```
 */
export function logsTo(serviceName: string, target: Pick<LogTarget, "services">): boolean {
  for (let i = target.services.length - 1; i >= 0; i--) {
    switch (target.services[i]) {
      case serviceName:
        return true;
      case "-" + serviceName:
        return false;
      case "all":
        return true;
      case "-all":
        return false;
    }
  }
  return false;
}
