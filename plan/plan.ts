/**
 * Building a plan: combining layers and validating the result as Pebble
 * does.
 *
 * @module
 */

import { PlanError } from "./errors.ts";
import { goQuote } from "./_quote.ts";
import { combineLayers } from "./combine.ts";
import { startOrder } from "./order.ts";
import type { UserGroupCheck } from "./layer.ts";
import type { Layer, Plan } from "./types.ts";

/** Options for {@link buildPlan} and {@link validatePlan}. */
export interface BuildPlanOptions {
  /** Optional user/group check for workloads (see {@link UserGroupCheck}). */
  checkUserGroup?: UserGroupCheck;
}

/**
 * Combines the layers (see {@link combineLayers}) and validates the result
 * (see {@link validatePlan}).
 *
 * @throws {PlanError} with Pebble's message for the first problem found.
 *
 * @example
 * ```ts
 * import { buildPlan, parseLayer } from "./mod.ts";
 * const plan = buildPlan([
 *   parseLayer("services: {web: {override: replace, command: server}}", { label: "base" }),
 * ]);
 * plan.services.web.backoffDelay; // { value: 500_000_000, isSet: false }
 * ```
 */
export function buildPlan(layers: Layer[], opts: BuildPlanOptions = {}): Plan {
  const combined = combineLayers(...layers);
  const plan: Plan = {
    layers: [...layers],
    services: combined.services,
    checks: combined.checks,
    logTargets: combined.logTargets,
    workloads: combined.workloads,
    pairing: combined.pairing,
  };
  validatePlan(plan, opts);
  return plan;
}

/**
 * Checks that combined layers form a valid plan, as Pebble's
 * Plan.Validate does:
 *
 * - every service has a `command`;
 * - every check has exactly one of `http` (with `url`), `tcp` (with
 *   `port`) or `exec` (with `command`, and an existing `service-context`);
 * - every log target has a `type` and a `location`, and names only
 *   existing services (or `all`, optionally prefixed with `-`);
 * - services named in `requires` exist, and `after`/`before` form no loop;
 * - services' `workload` names an existing workload, and such services set
 *   no user or group of their own.
 *
 * @throws {PlanError}
 */
export function validatePlan(plan: Plan, opts: BuildPlanOptions = {}): void {
  for (const [name, service] of Object.entries(plan.services)) {
    if (service.command === "") {
      throw new PlanError(`plan must define "command" for service ${goQuote(name)}`);
    }
  }

  for (const [name, check] of Object.entries(plan.checks)) {
    let types = 0;
    if (check.http) {
      if (check.http.url === "") {
        throw new PlanError(`plan must set "url" for http check ${goQuote(name)}`);
      }
      types++;
    }
    if (check.tcp) {
      if (check.tcp.port === 0) {
        throw new PlanError(`plan must set "port" for tcp check ${goQuote(name)}`);
      }
      types++;
    }
    if (check.exec) {
      if (check.exec.command === "") {
        throw new PlanError(`plan must set "command" for exec check ${goQuote(name)}`);
      }
      const context = check.exec.serviceContext;
      if (context !== "" && !Object.hasOwn(plan.services, context)) {
        throw new PlanError(
          `plan check ${goQuote(name)} service context specifies non-existent service ${
            goQuote(context)
          }`,
        );
      }
      types++;
    }
    if (types !== 1) {
      throw new PlanError(
        `plan must specify one of "http", "tcp", or "exec" for check ${goQuote(name)}`,
      );
    }
  }

  for (const [name, target] of Object.entries(plan.logTargets)) {
    if (target.type === "") {
      throw new PlanError(
        `plan must define "type" ("loki", "opentelemetry" or "syslog") for log target ${
          goQuote(name)
        }`,
      );
    }
    for (let service of target.services) {
      if (service.startsWith("-")) service = service.slice(1);
      if (service === "all" || Object.hasOwn(plan.services, service)) continue;
      throw new PlanError(
        `log target ${goQuote(name)} specifies unknown service ${goQuote(service)}`,
      );
    }
    if (target.location === "") {
      throw new PlanError(`plan must define "location" for log target ${goQuote(name)}`);
    }
  }

  // Unknown required services and before/after loops.
  startOrder(plan, Object.keys(plan.services));

  for (const [name, service] of Object.entries(plan.services)) {
    if (service.workload === "") continue;
    if (!Object.hasOwn(plan.workloads, service.workload)) {
      throw new PlanError(
        `workload ${goQuote(service.workload)}: not defined for service ${goQuote(name)}`,
      );
    }
    if (service.userId !== undefined || service.user !== "") {
      throw new PlanError(
        `plan service ${
          goQuote(name)
        } cannot have user information and a workload at the same time`,
      );
    }
    if (service.groupId !== undefined || service.group !== "") {
      throw new PlanError(
        `plan service ${
          goQuote(name)
        } cannot have group information and a workload at the same time`,
      );
    }
  }
  if (opts.checkUserGroup) {
    for (const [name, workload] of Object.entries(plan.workloads)) {
      try {
        opts.checkUserGroup(workload);
      } catch (err) {
        throw new PlanError(`workload ${goQuote(name)}: ${(err as Error).message}`);
      }
    }
  }
}
