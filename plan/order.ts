/**
 * Start and stop order of services: `requires` pulls services in, `after`
 * and `before` order them, loops are errors.
 *
 * @module
 */

import { PlanError } from "./errors.ts";
import { goQuote } from "./_quote.ts";
import { tarjanSort } from "./tarjan.ts";
import type { Plan, Service } from "./types.ts";

type Services = Record<string, Service>;

function lookup(services: Services, name: string): Service {
  const service = Object.hasOwn(services, name) ? services[name] : undefined;
  if (!service) throw new PlanError(`service ${goQuote(name)} does not exist`);
  return service;
}

/** Orders `names` and the services they pull in; see {@link startOrder}. */
function order(services: Services, names: string[], stop: boolean): string[] {
  const all = Object.keys(services).sort();
  // For stop, services that require a service are stopped with it.
  const predecessors = new Map<string, string[]>();
  if (stop) {
    for (const name of all) {
      for (const req of services[name].requires) {
        const list = predecessors.get(req) ?? [];
        list.push(name);
        predecessors.set(req, list);
      }
    }
  }

  const successors = new Map<string, string[]>();
  const pending = [...names];
  for (let i = 0; i < pending.length; i++) {
    const name = pending[i];
    if (successors.has(name)) continue;
    successors.set(name, []);
    if (stop) {
      pending.push(...(predecessors.get(name) ?? []));
    } else {
      pending.push(...lookup(services, name).requires);
    }
  }

  for (const name of [...successors.keys()].sort()) {
    const service = lookup(services, name);
    let after = service.after;
    let before = service.before;
    if (stop) [after, before] = [before, after];
    const succs = successors.get(name)!;
    for (const a of after) {
      if (successors.has(a)) succs.push(a);
    }
    for (const b of before) {
      successors.get(b)?.push(name);
    }
  }

  const result: string[] = [];
  for (const component of tarjanSort(successors)) {
    if (component.length > 1) {
      throw new PlanError(`services in before/after loop: ${component.join(", ")}`);
    }
    result.push(component[0]);
  }
  return result;
}

/** Groups ordered services into lanes of services that depend on each other (Pebble's createLanes). */
function lanes(names: string[], services: Services): string[][] {
  const laneOf = new Map<string, number>();
  const assign = (service: Service, lane: number) => {
    laneOf.set(service.name, lane);
    for (const dep of service.requires) laneOf.set(dep, lane);
  };
  let lane = -1;
  let maxLane = 0;
  for (const name of names) {
    const service = lookup(services, name);
    let chosen = laneOf.get(service.name);
    if (chosen === undefined) {
      for (const dep of service.requires) {
        chosen = laneOf.get(dep);
        if (chosen !== undefined) break;
      }
    }
    if (chosen === undefined) chosen = lane + 1;
    assign(service, chosen);
    lane = chosen;
    if (lane > maxLane) maxLane = lane;
  }
  const out: string[][] = Array.from({ length: maxLane + 1 }, () => []);
  for (const name of names) out[laneOf.get(name)!].push(name);
  return out;
}

/**
 * Returns the services to start so that `names` start properly, in start
 * order: each service's `requires` are pulled in, and `after`/`before`
 * among the chosen services order them. Deterministic for a given plan.
 *
 * @throws {PlanError} `service "x" does not exist`, or
 * `services in before/after loop: a, b` (the services in the loop, sorted).
 *
 * @example
 * ```ts
 * import { buildPlan, parseLayer, startOrder } from "./mod.ts";
 * const plan = buildPlan([parseLayer(`
 * services:
 *   db: {override: replace, command: db}
 *   web: {override: replace, command: web, requires: [db], after: [db]}
 * `, { label: "base" })]);
 * startOrder(plan, ["web"]); // ["db", "web"]
 * ```
 */
export function startOrder(plan: Pick<Plan, "services">, names: string[]): string[] {
  return order(plan.services, names, false);
}

/**
 * Returns the services to stop so that `names` stop properly, in stop
 * order: services that require a stopped service are stopped too, and
 * `before`/`after` apply in reverse.
 *
 * @throws {PlanError} as {@link startOrder}.
 */
export function stopOrder(plan: Pick<Plan, "services">, names: string[]): string[] {
  return order(plan.services, names, true);
}

/**
 * Like {@link startOrder}, but split into lanes as Pebble does: services
 * linked by `requires` share a lane; independent services get lanes of
 * their own and may be started in parallel, each lane in order.
 */
export function startLanes(plan: Pick<Plan, "services">, names: string[]): string[][] {
  return lanes(order(plan.services, names, false), plan.services);
}

/** Like {@link stopOrder}, split into lanes (see {@link startLanes}). */
export function stopLanes(plan: Pick<Plan, "services">, names: string[]): string[][] {
  return lanes(order(plan.services, names, true), plan.services);
}
