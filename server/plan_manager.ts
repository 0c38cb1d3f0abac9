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
  loadLayerEntries,
  type Plan,
  planToYaml,
} from "../plan/mod.ts";

/** Adding a layer whose label is taken, without `combine`. */
export class LabelExists extends Error {
  constructor(readonly label: string) {
    super(`layer ${JSON.stringify(label)} already exists`);
    this.name = "LabelExists";
  }
}

/** Reads `dir` recursively into the entries the plan package orders and parses. */
async function readLayerEntries(dir: string): Promise<{ path: string; content: string }[]> {
  const out: { path: string; content: string }[] = [];
  async function walk(sub: string): Promise<void> {
    const entries: Deno.DirEntry[] = [];
    try {
      for await (const e of Deno.readDir(join(dir, sub))) entries.push(e);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound && sub === "") return;
      throw e;
    }
    for (const e of entries) {
      const rel = sub ? `${sub}/${e.name}` : e.name;
      if (e.isDirectory) {
        if (e.name.endsWith(".d")) await walk(rel);
      } else if (e.name.endsWith(".yaml")) {
        out.push({ path: rel, content: await Deno.readTextFile(join(dir, rel)) });
      }
    }
  }
  await walk("");
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
    const layers = loadLayerEntries(entries);
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
    if (this.layers.some((l) => l.label === layer.label)) throw new LabelExists(layer.label);
    this.update(appendLayer(this.layers, layer, inner));
  }

  /** Combines a layer into the one with the same label, or appends it if there is none. */
  combineLayer(layer: Layer, inner = false): void {
    this.update(combineLayer(this.layers, layer, inner));
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
