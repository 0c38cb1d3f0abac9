/**
 * Running something "in the context of" a service (exec checks and `pebble
 * exec --context`): the service's environment, user, group and working
 * directory, with explicit settings on top.
 *
 * @module
 */

import { PlanError } from "./errors.ts";
import { goQuote } from "./_quote.ts";
import type { ContextOptions, Plan } from "./types.ts";

/**
 * Merges `overrides` on top of the settings of service `serviceName`, as
 * Pebble's MergeServiceContext does: environment maps are merged, and set
 * overrides win. With an empty `serviceName`, returns `overrides` as is.
 *
 * @throws {PlanError} `context service "x" not found`.
 */
export function mergeServiceContext(
  plan: Pick<Plan, "services">,
  serviceName: string,
  overrides: ContextOptions,
): ContextOptions {
  if (serviceName === "") return overrides;
  const service = Object.hasOwn(plan.services, serviceName)
    ? plan.services[serviceName]
    : undefined;
  if (!service) throw new PlanError(`context service ${goQuote(serviceName)} not found`);
  const merged: ContextOptions = {
    environment: { ...service.environment, ...overrides.environment },
    user: overrides.user !== "" ? overrides.user : service.user,
    group: overrides.group !== "" ? overrides.group : service.group,
    workingDir: overrides.workingDir !== "" ? overrides.workingDir : service.workingDir,
  };
  const userId = overrides.userId ?? service.userId;
  if (userId !== undefined) merged.userId = userId;
  const groupId = overrides.groupId ?? service.groupId;
  if (groupId !== undefined) merged.groupId = groupId;
  return merged;
}
