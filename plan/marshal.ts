/**
 * Printing layers and plans in Pebble's YAML shape: kebab-case keys, unset
 * fields left out, durations as Go prints them, fields in the order of
 * Pebble's Go structs and map keys sorted as Go's yaml.v3 sorts them.
 *
 * @module
 */

import { emitYaml, type Out, outToValue, sortedKeys } from "./_yaml_emit.ts";
import { formatDuration } from "./duration.ts";
import type {
  Check,
  Layer,
  LogTarget,
  OptionalDuration,
  OptionalFloat,
  Pairing,
  Plan,
  Service,
  Workload,
} from "./types.ts";

type Entries = [string, Out][];

function str(entries: Entries, key: string, value: string): void {
  if (value !== "") entries.push([key, { t: "str", v: value }]);
}

function int(entries: Entries, key: string, value: number | undefined): void {
  if (value !== undefined) entries.push([key, { t: "int", v: value }]);
}

function list(entries: Entries, key: string, values: string[], always = false): void {
  if (values.length > 0 || always) {
    entries.push([key, { t: "seq", items: values.map((v) => ({ t: "str", v })) }]);
  }
}

function strMap(entries: Entries, key: string, map: Record<string, string>): void {
  const keys = sortedKeys(map);
  if (keys.length === 0) return;
  entries.push([key, { t: "map", entries: keys.map((k) => [k, { t: "str", v: map[k] }]) }]);
}

function duration(entries: Entries, key: string, d: OptionalDuration): void {
  if (d.isSet) entries.push([key, { t: "str", v: formatDuration(d.value) }]);
}

function float(entries: Entries, key: string, f: OptionalFloat): void {
  if (f.isSet) entries.push([key, { t: "float", v: f.value }]);
}

function serviceOut(s: Service): Out {
  const e: Entries = [];
  str(e, "summary", s.summary);
  str(e, "description", s.description);
  str(e, "startup", s.startup);
  str(e, "override", s.override);
  str(e, "command", s.command);
  list(e, "after", s.after);
  list(e, "before", s.before);
  list(e, "requires", s.requires);
  str(e, "workload", s.workload);
  strMap(e, "environment", s.environment);
  int(e, "user-id", s.userId);
  str(e, "user", s.user);
  int(e, "group-id", s.groupId);
  str(e, "group", s.group);
  str(e, "working-dir", s.workingDir);
  str(e, "on-success", s.onSuccess);
  str(e, "on-failure", s.onFailure);
  strMap(e, "on-check-failure", s.onCheckFailure);
  duration(e, "backoff-delay", s.backoffDelay);
  float(e, "backoff-factor", s.backoffFactor);
  duration(e, "backoff-limit", s.backoffLimit);
  duration(e, "kill-delay", s.killDelay);
  return { t: "map", entries: e };
}

function checkOut(c: Check): Out {
  const e: Entries = [];
  str(e, "override", c.override);
  str(e, "level", c.level);
  str(e, "startup", c.startup);
  duration(e, "period", c.period);
  duration(e, "timeout", c.timeout);
  if (c.threshold !== 0) int(e, "threshold", c.threshold);
  if (c.http) {
    const h: Entries = [];
    str(h, "url", c.http.url);
    strMap(h, "headers", c.http.headers);
    e.push(["http", { t: "map", entries: h }]);
  }
  if (c.tcp) {
    const t: Entries = [];
    if (c.tcp.port !== 0) int(t, "port", c.tcp.port);
    str(t, "host", c.tcp.host);
    e.push(["tcp", { t: "map", entries: t }]);
  }
  if (c.exec) {
    const x: Entries = [];
    str(x, "command", c.exec.command);
    str(x, "service-context", c.exec.serviceContext);
    strMap(x, "environment", c.exec.environment);
    int(x, "user-id", c.exec.userId);
    str(x, "user", c.exec.user);
    int(x, "group-id", c.exec.groupId);
    str(x, "group", c.exec.group);
    str(x, "working-dir", c.exec.workingDir);
    e.push(["exec", { t: "map", entries: x }]);
  }
  return { t: "map", entries: e };
}

function logTargetOut(t: LogTarget): Out {
  const e: Entries = [
    ["type", { t: "str", v: t.type }],
    ["location", { t: "str", v: t.location }],
  ];
  list(e, "services", t.services, true);
  str(e, "override", t.override);
  strMap(e, "labels", t.labels);
  return { t: "map", entries: e };
}

function workloadOut(w: Workload): Out {
  const e: Entries = [];
  str(e, "override", w.override);
  strMap(e, "environment", w.environment);
  int(e, "user-id", w.userId);
  str(e, "user", w.user);
  int(e, "group-id", w.groupId);
  str(e, "group", w.group);
  return { t: "map", entries: e };
}

function named<T>(entries: Entries, key: string, map: Record<string, T>, out: (v: T) => Out) {
  const keys = sortedKeys(map);
  if (keys.length === 0) return;
  entries.push([key, { t: "map", entries: keys.map((k) => [k, out(map[k])]) }]);
}

function pairingOut(entries: Entries, pairing: Pairing): void {
  if (pairing.mode !== "") {
    entries.push(["pairing", { t: "map", entries: [["mode", { t: "str", v: pairing.mode }]] }]);
  }
}

function layerTree(layer: Layer): Out & { t: "map" } {
  const e: Entries = [];
  str(e, "summary", layer.summary);
  str(e, "description", layer.description);
  named(e, "services", layer.services, serviceOut);
  named(e, "checks", layer.checks, checkOut);
  named(e, "log-targets", layer.logTargets, logTargetOut);
  pairingOut(e, layer.pairing);
  named(e, "workloads", layer.workloads, workloadOut);
  return { t: "map", entries: e };
}

function planTree(
  plan: Pick<Plan, "services" | "checks" | "logTargets" | "workloads" | "pairing">,
) {
  const e: Entries = [];
  named(e, "services", plan.services, serviceOut);
  named(e, "checks", plan.checks, checkOut);
  named(e, "log-targets", plan.logTargets, logTargetOut);
  named(e, "workloads", plan.workloads, workloadOut);
  pairingOut(e, plan.pairing);
  return { t: "map", entries: e } as Out & { t: "map" };
}

/**
 * Returns a layer in its YAML shape as a plain object: kebab-case keys,
 * unset fields left out, durations as strings such as `"1m30s"`, fields in
 * the order Pebble prints them and maps sorted by key. Passing the result
 * to {@link layerFromObject} gives back an equal layer.
 *
 * @example
 * ```ts
 * import { layerToObject, parseLayer } from "./mod.ts";
 * const layer = parseLayer("services: {srv: {override: replace, command: a, kill-delay: 90s}}", {
 *   label: "base",
 * });
 * layerToObject(layer);
 * // { services: { srv: { override: "replace", command: "a", "kill-delay": "1m30s" } } }
 * ```
 */
export function layerToObject(layer: Layer): Record<string, unknown> {
  return outToValue(layerTree(layer)) as Record<string, unknown>;
}

/**
 * Prints a layer as YAML the way Pebble marshals a layer (yaml.v3 style:
 * 4-space indentation). Empty `workloads` and `pairing` sections are left
 * out.
 */
export function layerToYaml(layer: Layer): string {
  return emitYaml(layerTree(layer));
}

/**
 * Returns the plan in its YAML shape as a plain object (`services`,
 * `checks`, `log-targets`, `workloads`, `pairing`; empty sections left out).
 */
export function planToObject(plan: Plan): Record<string, unknown> {
  return outToValue(planTree(plan)) as Record<string, unknown>;
}

/**
 * Prints a plan exactly as `GET /v1/plan?format=yaml` returns it in Pebble:
 * sections `services`, `checks`, `log-targets`, `workloads`, `pairing` in
 * that order, each left out when empty, entries sorted by name, defaults
 * that no layer set left out; an empty plan prints as `{}\n`.
 *
 * @example
 * ```ts
 * import { buildPlan, parseLayer, planToYaml } from "./mod.ts";
 * const plan = buildPlan([
 *   parseLayer("services: {static: {override: replace, command: echo static}}", {
 *     label: "base",
 *   }),
 * ]);
 * planToYaml(plan);
 * // "services:\n    static:\n        override: replace\n        command: echo static\n"
 * ```
 */
export function planToYaml(plan: Plan): string {
  return emitYaml(planTree(plan));
}
