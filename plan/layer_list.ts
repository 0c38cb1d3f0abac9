/**
 * Adding layers to a list of layers, as Pebble's plan manager does for
 * `POST /v1/layers` (append, or combine into an existing layer) and for
 * `pebble run --args`.
 *
 * @module
 */

import { CommandError, LabelExistsError, LayerInsertError, PlanError } from "./errors.ts";
import { combineLayers } from "./combine.ts";
import { copyLayer } from "./copy.ts";
import { commandString, parseCommand } from "./command.ts";
import { buildPlan, type BuildPlanOptions } from "./plan.ts";
import { goQuote } from "./_quote.ts";
import { type Layer, newLayer, newService, type Workload } from "./types.ts";

/** Options for {@link appendLayer} and {@link combineLayer}. */
export interface AddLayerOptions extends BuildPlanOptions {
  /**
   * Allow a layer whose label names an existing sub-directory
   * (`dir/name`) to be inserted after that directory's last layer, even
   * though layers with a higher order follow (Pebble's `inner` flag).
   */
  inner?: boolean;
}

function workloadsKey(workloads: Record<string, Workload>): string {
  const norm = Object.keys(workloads).sort().map((name) => {
    const w = workloads[name];
    const env = Object.keys(w.environment).sort().map((k) => [k, w.environment[k]]);
    return [name, w.override, env, w.userId ?? null, w.user, w.groupId ?? null, w.group];
  });
  return JSON.stringify(norm);
}

function updateLayers(oldLayers: Layer[], newLayers: Layer[], opts: BuildPlanOptions): void {
  const plan = buildPlan(newLayers, opts);
  const oldWorkloads = combineLayers(...oldLayers).workloads;
  if (workloadsKey(oldWorkloads) !== workloadsKey(plan.workloads)) {
    throw new PlanError(`cannot change immutable section "workloads"`);
  }
}

function insertLayer(
  layers: Layer[],
  layer: Layer,
  opts: AddLayerOptions,
): Layer[] {
  let newIndex = 0;
  let newOrder = 1000;
  if (layers.length > 0) {
    const slash = layer.label.indexOf("/");
    const hasSub = slash >= 0;
    const newSub = hasSub ? layer.label.slice(0, slash) : layer.label;
    for (let i = layers.length - 1; i >= 0; i--) {
      const existing = layers[i];
      const existingSub = existing.label.split("/", 1)[0];
      if (existingSub === newSub) {
        newOrder = existing.order + 1;
        newIndex = i + 1;
        break;
      }
    }
    if (newIndex === 0) {
      newIndex = layers.length;
      newOrder = (Math.trunc(layers[layers.length - 1].order / 1000) + 1) * 1000;
      if (hasSub) newOrder += 1;
    }
  }
  if (newIndex !== layers.length && !opts.inner) throw new LayerInsertError();
  const stored = { ...copyLayer(layer), order: newOrder };
  const newLayers = [...layers.slice(0, newIndex), stored, ...layers.slice(newIndex)];
  updateLayers(layers, newLayers, opts);
  return newLayers;
}

/**
 * Adds a layer after the existing ones, as Pebble's AppendLayer does. The
 * new layer's order is the next multiple of 1000 after the last layer's
 * (1000 if there are none); a label `dir/name` whose `dir` already exists
 * goes right after that directory's last layer (order + 1), which needs
 * `inner: true` when layers follow it; a new `dir/name` gets order
 * next-multiple + 1.
 *
 * Returns a new list (the input is not changed) holding a copy of the
 * layer with its order assigned; throws, changing nothing, if the result is
 * not a valid plan.
 *
 * @throws {LabelExistsError} when a layer with the same label exists.
 * @throws {LayerInsertError} when an insert is needed but `inner` is not set.
 * @throws {PlanError} when the new plan is invalid.
 *
 * @example
 * ```ts
 * import { appendLayer, buildPlan, parseLayer } from "./mod.ts";
 * const layer = parseLayer("services: {web: {override: replace, command: server}}", {
 *   label: "web",
 * });
 * const layers = appendLayer([], layer);
 * layers[0].order; // 1000
 * const plan = buildPlan(layers);
 * ```
 */
export function appendLayer(
  layers: Layer[],
  layer: Layer,
  opts: AddLayerOptions = {},
): Layer[] {
  if (layers.some((l) => l.label === layer.label)) throw new LabelExistsError(layer.label);
  return insertLayer(layers, layer, opts);
}

/**
 * Combines a layer into the existing layer with the same label (keeping
 * that layer's order), or appends it as {@link appendLayer} does when there
 * is none (Pebble's CombineLayer).
 *
 * Returns a new list (the input is not changed); throws, changing nothing,
 * if the result is not a valid plan.
 *
 * @throws {LayerInsertError} when an insert is needed but `inner` is not set.
 * @throws {PlanError} when the new plan is invalid.
 */
export function combineLayer(
  layers: Layer[],
  layer: Layer,
  opts: AddLayerOptions = {},
): Layer[] {
  const index = layers.findIndex((l) => l.label === layer.label);
  if (index < 0) return insertLayer(layers, layer, opts);
  const found = layers[index];
  const combined = combineLayers(found, layer);
  combined.order = found.order;
  combined.label = found.label;
  const newLayers = [...layers];
  newLayers[index] = combined;
  updateLayers(layers, newLayers, opts);
  return newLayers;
}

/** Label of the layer that {@link setServiceArgs} adds. */
export const SERVICE_ARGS_LABEL = "pebble-service-args";

/**
 * Replaces the default arguments (the `[ ... ]` group) of services'
 * commands, as `pebble run --args svc a b` does: appends a layer labelled
 * `pebble-service-args` whose services merge in the new commands.
 *
 * @throws {CommandError} `service "x" not found in plan`, or a command that
 * cannot be parsed.
 * @throws {PlanError} when the new plan is invalid.
 *
 * @example
 * ```ts
 * import { appendLayer, buildPlan, parseLayer, setServiceArgs } from "./mod.ts";
 * const layers = appendLayer([], parseLayer(
 *   "services: {web: {override: replace, command: server [ --port 80 ]}}",
 *   { label: "base" },
 * ));
 * const updated = setServiceArgs(layers, { web: ["--port", "8080"] });
 * buildPlan(updated).services.web.command; // "server [ --port 8080 ]"
 * ```
 */
export function setServiceArgs(
  layers: Layer[],
  args: Record<string, string[]>,
  opts: BuildPlanOptions = {},
): Layer[] {
  const current = buildPlan(layers, opts);
  const layer = newLayer(SERVICE_ARGS_LABEL);
  for (const [name, serviceArgs] of Object.entries(args)) {
    const service = Object.hasOwn(current.services, name) ? current.services[name] : undefined;
    if (!service) throw new CommandError(`service ${goQuote(name)} not found in plan`);
    const { args: base } = parseCommand(service.command, name);
    const update = newService(name);
    update.override = "merge";
    update.command = commandString(base, serviceArgs);
    Object.defineProperty(layer.services, name, {
      value: update,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return insertLayer(layers, layer, { ...opts, inner: false });
}
