/**
 * Combining layers into one, with Pebble's `override: merge` and
 * `override: replace` semantics.
 *
 * @module
 */

import { PlanError } from "./errors.ts";
import { goQuote } from "./_quote.ts";
import { setKey } from "./_decode.ts";
import {
  copyCheck,
  copyLogTarget,
  copyService,
  copyWorkload,
  mergeCheck,
  mergeLogTarget,
  mergeService,
  mergeWorkload,
} from "./copy.ts";
import {
  DEFAULT_BACKOFF_DELAY,
  DEFAULT_BACKOFF_FACTOR,
  DEFAULT_BACKOFF_LIMIT,
  DEFAULT_CHECK_PERIOD,
  DEFAULT_CHECK_THRESHOLD,
  DEFAULT_CHECK_TIMEOUT,
  type Layer,
  newLayer,
} from "./types.ts";

function combineEntries<T extends { override: string }>(
  layer: Layer,
  kind: string,
  into: Record<string, T>,
  from: Record<string, T>,
  copy: (v: T) => T,
  merge: (into: T, from: T) => void,
): void {
  for (const [name, entry] of Object.entries(from)) {
    switch (entry.override) {
      case "merge": {
        const old = Object.hasOwn(into, name) ? into[name] : undefined;
        if (old) merge(old, entry);
        else setKey(into, name, copy(entry));
        break;
      }
      case "replace":
        setKey(into, name, copy(entry));
        break;
      case "":
        throw new PlanError(
          `layer ${goQuote(layer.label)} must define "override" for ${kind} ${goQuote(name)}`,
        );
      default:
        throw new PlanError(
          `layer ${goQuote(layer.label)} has invalid "override" value for ${kind} ${goQuote(name)}`,
        );
    }
  }
}

/**
 * Combines layers in order into a single layer, later layers overriding
 * earlier ones, exactly as Pebble's CombineLayers does:
 *
 * - an entry with `override: replace` replaces any earlier definition;
 * - with `override: merge`, fields set in the later entry win, `after`,
 *   `before`, `requires` and log target `services` are appended, and
 *   `environment`, `on-check-failure`, HTTP `headers` and log target
 *   `labels` are merged key by key; `http`, `tcp` and `exec` of checks are
 *   merged field by field;
 * - `summary` and `description` come from the last layer;
 * - defaults are filled in without marking them as set: backoff delay 500ms,
 *   factor 2, limit 30s; check period 10s, timeout 3s (capped at the
 *   period), threshold 3.
 *
 * The input layers are not changed. The result is not validated (see
 * {@link buildPlan}); its label is "" and its order 0.
 *
 * @throws {PlanError} `layer "x" must define "override" for service "y"` and the like.
 *
 * @example
 * ```ts
 * import { combineLayers, parseLayer } from "./mod.ts";
 * const base = parseLayer("services: {srv: {override: replace, command: a, after: [x]}}", {
 *   label: "base",
 * });
 * const top = parseLayer("services: {srv: {override: merge, after: [y]}}", { label: "top" });
 * combineLayers(base, top).services.srv.after; // ["x", "y"]
 * ```
 */
export function combineLayers(...layers: Layer[]): Layer {
  const combined = newLayer();
  if (layers.length === 0) return combined;
  // Pebble combines its section extensions (workloads, pairing) first.
  for (const layer of layers) {
    for (const [name, workload] of Object.entries(layer.workloads)) {
      switch (workload.override) {
        case "merge": {
          const old = Object.hasOwn(combined.workloads, name)
            ? combined.workloads[name]
            : undefined;
          if (old) mergeWorkload(old, workload);
          else setKey(combined.workloads, name, copyWorkload(workload));
          break;
        }
        case "replace":
          setKey(combined.workloads, name, copyWorkload(workload));
          break;
        case "":
          throw new PlanError(`workload ${goQuote(name)}: must define an "override" policy`);
        default:
          throw new PlanError(
            `workload ${goQuote(name)}: has an invalid "override" policy: ${
              goQuote(workload.override)
            }`,
          );
      }
    }
    if (layer.pairing.mode !== "") combined.pairing.mode = layer.pairing.mode;
  }

  const last = layers[layers.length - 1];
  combined.summary = last.summary;
  combined.description = last.description;
  for (const layer of layers) {
    combineEntries(layer, "service", combined.services, layer.services, copyService, mergeService);
    combineEntries(layer, "check", combined.checks, layer.checks, copyCheck, mergeCheck);
    combineEntries(
      layer,
      "log target",
      combined.logTargets,
      layer.logTargets,
      copyLogTarget,
      mergeLogTarget,
    );
  }
  for (const service of Object.values(combined.services)) {
    if (!service.backoffDelay.isSet) service.backoffDelay.value = DEFAULT_BACKOFF_DELAY;
    if (!service.backoffFactor.isSet) service.backoffFactor.value = DEFAULT_BACKOFF_FACTOR;
    if (!service.backoffLimit.isSet) service.backoffLimit.value = DEFAULT_BACKOFF_LIMIT;
  }
  for (const check of Object.values(combined.checks)) {
    if (!check.period.isSet) check.period.value = DEFAULT_CHECK_PERIOD;
    if (!check.timeout.isSet) check.timeout.value = DEFAULT_CHECK_TIMEOUT;
    // The effective timeout is at most the period; a capped default stays unset.
    if (check.timeout.value > check.period.value) check.timeout.value = check.period.value;
    if (check.threshold === 0) check.threshold = DEFAULT_CHECK_THRESHOLD;
  }
  return combined;
}
