/**
 * The plan manager: the layers read at start-up from `$PEBBLE/layers`, plus layers
 * added over the API, combined into the current plan.
 *
 * Layers added over the API live in memory only (as in Pebble): a restarted daemon
 * starts again from the layers directory. Listeners hear of every new plan; the
 * service and check managers react to it.
 *
 * @module
 */

import { join } from "node:path";
import {
  appendLayer,
  buildPlan,
  combineLayer,
  type Layer,
  type LayerEntry,
  layersFromDirectoryListing,
  type Plan,
  planToYaml,
  setServiceArgs,
} from "../plan/mod.ts";

/** Reads the layers directory (one level of `NNN-label.d/` sub-directories) as entries. */
async function readLayerEntries(dir: string, depth = 0): Promise<LayerEntry[]> {
  const out: LayerEntry[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      const path = join(dir, e.name);
      if (e.isDirectory && e.name.endsWith(".d")) {
        // Deeper directories are listed so that the plan package can refuse them.
        out.push({ name: e.name, entries: depth === 0 ? await readLayerEntries(path, 1) : [] });
      } else if (e.name.endsWith(".yaml")) {
        out.push({ name: e.name, content: await Deno.readTextFile(path) });
      }
    }
  } catch (e) {
    if (e instanceof Deno.errors.NotFound && depth === 0) return [];
    throw e;
  }
  return out;
}

/** Owns the layers and the combined plan. */
export class PlanManager {
  private layers: Layer[] = [];
  private current: Plan;
  private listeners: ((plan: Plan) => void)[] = [];

  constructor(readonly layersDir: string) {
    this.current = buildPlan([]);
  }

  /** Reads the layers directory; throws a message naming the bad file and reason. */
  async load(): Promise<void> {
    const entries = await readLayerEntries(this.layersDir);
    const layers = layersFromDirectoryListing(entries);
    const plan = buildPlan(layers);
    this.layers = layers;
    this.setPlan(plan);
  }

  /** The current plan. */
  plan(): Plan {
    return this.current;
  }

  /** The current plan as `GET /v1/plan?format=yaml` returns it. */
  planYaml(): string {
    return planToYaml(this.current);
  }

  /** Calls `fn` with every new plan. */
  onPlanChanged(fn: (plan: Plan) => void): void {
    this.listeners.push(fn);
  }

  /** Adds a layer at the end (or in its sub-directory with `inner`); the label must be new. */
  appendLayer(layer: Layer, inner = false): void {
    this.update(appendLayer(this.layers, layer, { inner }));
  }

  /** Combines a layer into the one with the same label, or appends it if there is none. */
  combineLayer(layer: Layer, inner = false): void {
    this.update(combineLayer(this.layers, layer, { inner }));
  }

  /** Replaces services' default arguments (`pebble run --args svc a b ;`). */
  setServiceArgs(args: Record<string, string[]>): void {
    this.update(setServiceArgs(this.layers, args));
  }

  private update(layers: Layer[]): void {
    const plan = buildPlan(layers);
    this.layers = layers;
    this.setPlan(plan);
  }

  private setPlan(plan: Plan): void {
    this.current = plan;
    for (const l of this.listeners) l(plan);
  }
}
