/**
 * The configuration model of pebble: layers, their strict parsing and
 * printing, combining layers into a plan with Pebble's rules, plan
 * validation, service start/stop order, durations and service commands.
 *
 * Pure: nothing here reads files or the clock; callers hand in text or
 * objects.
 *
 * @example
 * ```ts
 * import { buildPlan, parseLayer, planToYaml, startOrder } from "./mod.ts";
 * const base = parseLayer(`
 * services:
 *   db: {override: replace, command: postgres}
 *   web: {override: replace, command: server, requires: [db], after: [db]}
 * `, { label: "base", order: 1000 });
 * const plan = buildPlan([base]);
 * startOrder(plan, ["web"]); // ["db", "web"]
 * console.log(planToYaml(plan));
 * ```
 *
 * @module
 */

export * from "./types.ts";
export {
  CommandError,
  LabelExistsError,
  LayerError,
  LayerFileNameError,
  LayerInsertError,
  PlanError,
} from "./errors.ts";
export {
  DurationError,
  formatDuration,
  HOUR,
  MICROSECOND,
  MILLISECOND,
  MINUTE,
  NANOSECOND,
  parseDuration,
  SECOND,
} from "./duration.ts";
export {
  checkOverrides,
  LAYER_SECTIONS,
  layerFromObject,
  parseLayer,
  type ParseLayerOptions,
  RESERVED_LABEL_PREFIX,
  type UserGroupCheck,
  validateLayerLabel,
} from "./layer.ts";
export { layerToObject, layerToYaml, planToObject, planToYaml } from "./marshal.ts";
export { combineLayers } from "./combine.ts";
export {
  copyCheck,
  copyLayer,
  copyLogTarget,
  copyService,
  copyWorkload,
  mergeCheck,
  mergeLogTarget,
  mergeService,
  mergeWorkload,
} from "./copy.ts";
export { buildPlan, type BuildPlanOptions, validatePlan } from "./plan.ts";
export { startLanes, startOrder, stopLanes, stopOrder } from "./order.ts";
export { tarjanSort } from "./tarjan.ts";
export {
  type AddLayerOptions,
  appendLayer,
  combineLayer,
  SERVICE_ARGS_LABEL,
  setServiceArgs,
} from "./layer_list.ts";
export {
  type LayerDirEntry,
  type LayerEntry,
  type LayerFileEntry,
  layersFromDirectoryListing,
  parseLayerFileName,
} from "./layers_dir.ts";
export {
  commandString,
  joinCommand,
  parseCommand,
  type ParsedCommand,
  quoteWord,
  splitCommand,
} from "./command.ts";
export { logsTo } from "./log_target.ts";
export { mergeServiceContext } from "./service_context.ts";
