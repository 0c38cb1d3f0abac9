/**
 * Reading layers: strict parsing of YAML text or plain objects into a
 * {@link Layer}, with Pebble's layer validation.
 *
 * @module
 */

import { CommandError, LayerError } from "./errors.ts";
import { goQuote } from "./_quote.ts";
import {
  isNull,
  nodeFromValue,
  nodeFromYaml,
  UnsupportedValueError,
  YamlSyntaxError,
  type YNode,
} from "./_node.ts";
import { Decoder, setKey } from "./_decode.ts";
import { formatGoFloat } from "./_go_float.ts";
import { parseCommand, splitCommand } from "./command.ts";
import {
  type Check,
  type CheckLevel,
  type CheckStartup,
  type Layer,
  type LogTarget,
  type LogTargetType,
  newCheck,
  newExecCheck,
  newHttpCheck,
  newLayer,
  newLogTarget,
  newService,
  newTcpCheck,
  newWorkload,
  type Override,
  type PairingMode,
  type Service,
  type ServiceAction,
  type Workload,
} from "./types.ts";

/**
 * Checks a user/group combination (`user-id`, `user`, `group-id`, `group`)
 * against the system's user database, throwing an Error whose message
 * explains the problem (Pebble's NormalizeUidGid, which needs I/O, so the
 * caller provides it).
 */
export type UserGroupCheck = (ids: {
  userId?: number;
  user: string;
  groupId?: number;
  group: string;
}) => void;

/** Options for {@link parseLayer} and {@link layerFromObject}. */
export interface ParseLayerOptions {
  /** The layer's label (used in errors, and checked for the reserved `pebble-` prefix). */
  label: string;
  /** The layer's order; 0 if not given. */
  order?: number;
  /** Optional user/group check for exec checks (see {@link UserGroupCheck}). */
  checkUserGroup?: UserGroupCheck;
}

/** Top-level keys of a layer, in the order Pebble prints them. */
export const LAYER_SECTIONS = [
  "summary",
  "description",
  "services",
  "checks",
  "log-targets",
  "workloads",
  "pairing",
] as const;

type Nullable<T> = Record<string, T | null>;

interface RawLayer {
  layer: Layer;
  services: Nullable<Service>;
  checks: Nullable<Check>;
  logTargets: Nullable<LogTarget>;
  workloads: Nullable<Workload>;
}

/**
 * Parses a layer from YAML text, rejecting anything Pebble rejects: YAML
 * syntax errors (with their line), unknown fields, values of the wrong
 * type, bad durations, invalid names and enum values, a missing or invalid
 * `override`, and the reserved label prefix `pebble-`.
 *
 * @throws {LayerError} whose message names the label, the field and the reason.
 *
 * @example
 * ```ts
 * import { parseLayer } from "./layer.ts";
 * const layer = parseLayer(
 *   "services:\n  web:\n    override: replace\n    command: server --port 80\n",
 *   { label: "base" },
 * );
 * layer.services.web.command; // "server --port 80"
 * ```
 */
export function parseLayer(text: string, opts: ParseLayerOptions): Layer {
  let root: YNode;
  try {
    root = nodeFromYaml(text);
  } catch (err) {
    if (err instanceof YamlSyntaxError) {
      throw new LayerError(`cannot parse layer ${goQuote(opts.label)}: yaml: ${err.message}`, {
        label: opts.label,
        line: err.line,
        reason: "yaml: " + err.message,
      });
    }
    throw err;
  }
  return layerFromNode(root, opts);
}

/**
 * Builds a layer from a plain object in the YAML shape (kebab-case keys),
 * as a TypeScript program or a JSON document would give it, with the same
 * checks as {@link parseLayer}. Strings, numbers and booleans are accepted
 * where YAML would accept the equivalent scalar.
 *
 * @throws {LayerError}
 *
 * @example
 * ```ts
 * import { layerFromObject } from "./layer.ts";
 * const layer = layerFromObject({
 *   services: { web: { override: "replace", command: "server", "kill-delay": "10s" } },
 * }, { label: "dynamic" });
 * layer.services.web.killDelay; // { value: 10_000_000_000, isSet: true }
 * ```
 */
export function layerFromObject(obj: unknown, opts: ParseLayerOptions): Layer {
  let root: YNode;
  try {
    root = nodeFromValue(obj);
  } catch (err) {
    if (err instanceof UnsupportedValueError) {
      throw new LayerError(`cannot parse layer ${goQuote(opts.label)}: ${err.message}`, {
        label: opts.label,
        reason: err.message,
      });
    }
    throw err;
  }
  return layerFromNode(root, opts);
}

function layerFromNode(root: YNode, opts: ParseLayerOptions): Layer {
  const label = opts.label;
  const raw = decodeLayer(root, label, opts.order ?? 0);
  validateRawLayer(raw, opts.checkUserGroup);
  checkOverrides(raw.layer);
  return raw.layer;
}

function decodeLayer(root: YNode, label: string, order: number): RawLayer {
  const layer = newLayer(label, order);
  const raw: RawLayer = { layer, services: {}, checks: {}, logTargets: {}, workloads: {} };
  if (isNull(root)) return raw;
  const top = new Decoder(label, "");
  if (root.kind !== "map") {
    const tag = root.kind === "seq" ? "!!seq" : `!!${root.tag} \`${root.value}\``;
    throw new LayerError(
      `cannot parse layer ${goQuote(label)}: cannot unmarshal ${tag} into a layer mapping` +
        (root.line ? ` (line ${root.line})` : ""),
      { label, line: root.line, reason: `cannot unmarshal ${tag} into a layer mapping` },
    );
  }
  top.entries(root, "", (key, value, _path, keyNode) => {
    const d = new Decoder(label, key);
    switch (key) {
      case "summary":
        layer.summary = d.str(value, "summary");
        break;
      case "description":
        layer.description = d.str(value, "description");
        break;
      case "services":
        raw.services = decodeNamed(d, value, "services", "map[string]*plan.Service", decodeService);
        break;
      case "checks":
        raw.checks = decodeNamed(d, value, "checks", "map[string]*plan.Check", decodeCheck);
        break;
      case "log-targets":
        raw.logTargets = decodeNamed(
          d,
          value,
          "log-targets",
          "map[string]*plan.LogTarget",
          decodeLogTarget,
        );
        break;
      case "workloads":
        raw.workloads = decodeNamed(
          d,
          value,
          "workloads",
          "map[string]*workloads.Workload",
          decodeWorkload,
        );
        break;
      case "pairing":
        // Pebble only decodes a non-empty mapping or sequence here.
        if (
          (value.kind === "map" && value.entries.length > 0) ||
          (value.kind === "seq" && value.items.length > 0)
        ) {
          d.struct(value, "pairing", "pairingstate.pairingConfig", {
            "mode": (v, p) => layer.pairing.mode = d.str(v, p, "pairingstate.Mode") as PairingMode,
          });
        }
        break;
      default:
        throw new LayerError(
          `cannot parse layer ${goQuote(label)}: unknown section ${goQuote(key)}` +
            (keyNode.line ? ` (line ${keyNode.line})` : ""),
          { label, path: key, line: keyNode.line, reason: `unknown section ${goQuote(key)}` },
        );
    }
  });
  return raw;
}

function decodeNamed<T>(
  d: Decoder,
  node: YNode,
  path: string,
  goType: string,
  decode: (d: Decoder, name: string, node: YNode, path: string) => T,
): Nullable<T> {
  const out: Nullable<T> = {};
  if (isNull(node)) return out;
  if (node.kind !== "map") d.typeError(node, path, goType);
  d.entries(node, path, (name, value, keyPath) => {
    setKey(out, name, isNull(value) ? null : decode(d, name, value, keyPath));
  });
  return out;
}

function decodeService(d: Decoder, name: string, node: YNode, path: string): Service {
  const s = newService(name);
  d.struct(node, path, "plan.Service", {
    "summary": (v, p) => s.summary = d.str(v, p),
    "description": (v, p) => s.description = d.str(v, p),
    "startup": (v, p) => s.startup = d.str(v, p, "plan.ServiceStartup"),
    "override": (v, p) => s.override = d.str(v, p, "plan.Override") as Override,
    "command": (v, p) => s.command = d.str(v, p),
    "after": (v, p) => s.after = d.strings(v, p),
    "before": (v, p) => s.before = d.strings(v, p),
    "requires": (v, p) => s.requires = d.strings(v, p),
    "workload": (v, p) => s.workload = d.str(v, p),
    "environment": (v, p) => s.environment = d.strMap(v, p),
    "user-id": (v, p) => s.userId = d.int(v, p),
    "user": (v, p) => s.user = d.str(v, p),
    "group-id": (v, p) => s.groupId = d.int(v, p),
    "group": (v, p) => s.group = d.str(v, p),
    "working-dir": (v, p) => s.workingDir = d.str(v, p),
    "on-success": (v, p) => s.onSuccess = d.str(v, p, "plan.ServiceAction") as ServiceAction,
    "on-failure": (v, p) => s.onFailure = d.str(v, p, "plan.ServiceAction") as ServiceAction,
    "on-check-failure": (v, p) =>
      s.onCheckFailure = d.strMap<ServiceAction>(
        v,
        p,
        "map[string]plan.ServiceAction",
        "plan.ServiceAction",
      ),
    "backoff-delay": (v, p) => s.backoffDelay = d.duration(v, p),
    "backoff-factor": (v, p) => s.backoffFactor = d.float(v, p),
    "backoff-limit": (v, p) => s.backoffLimit = d.duration(v, p),
    "kill-delay": (v, p) => s.killDelay = d.duration(v, p),
  });
  if (s.userId === undefined) delete s.userId;
  if (s.groupId === undefined) delete s.groupId;
  return s;
}

function decodeCheck(d: Decoder, name: string, node: YNode, path: string): Check {
  const c = newCheck(name);
  d.struct(node, path, "plan.Check", {
    "override": (v, p) => c.override = d.str(v, p, "plan.Override") as Override,
    "level": (v, p) => c.level = d.str(v, p, "plan.CheckLevel") as CheckLevel,
    "startup": (v, p) => c.startup = d.str(v, p, "plan.CheckStartup") as CheckStartup,
    "period": (v, p) => c.period = d.duration(v, p),
    "timeout": (v, p) => c.timeout = d.duration(v, p),
    "threshold": (v, p) => c.threshold = d.int(v, p) ?? 0,
    "http": (v, p) => {
      if (isNull(v)) return void delete c.http;
      const http = newHttpCheck();
      d.struct(v, p, "plan.HTTPCheck", {
        "url": (v2, p2) => http.url = d.str(v2, p2),
        "headers": (v2, p2) => http.headers = d.strMap(v2, p2),
      });
      c.http = http;
    },
    "tcp": (v, p) => {
      if (isNull(v)) return void delete c.tcp;
      const tcp = newTcpCheck();
      d.struct(v, p, "plan.TCPCheck", {
        "port": (v2, p2) => tcp.port = d.int(v2, p2) ?? 0,
        "host": (v2, p2) => tcp.host = d.str(v2, p2),
      });
      c.tcp = tcp;
    },
    "exec": (v, p) => {
      if (isNull(v)) return void delete c.exec;
      const exec = newExecCheck();
      d.struct(v, p, "plan.ExecCheck", {
        "command": (v2, p2) => exec.command = d.str(v2, p2),
        "service-context": (v2, p2) => exec.serviceContext = d.str(v2, p2),
        "environment": (v2, p2) => exec.environment = d.strMap(v2, p2),
        "user-id": (v2, p2) => exec.userId = d.int(v2, p2),
        "user": (v2, p2) => exec.user = d.str(v2, p2),
        "group-id": (v2, p2) => exec.groupId = d.int(v2, p2),
        "group": (v2, p2) => exec.group = d.str(v2, p2),
        "working-dir": (v2, p2) => exec.workingDir = d.str(v2, p2),
      });
      if (exec.userId === undefined) delete exec.userId;
      if (exec.groupId === undefined) delete exec.groupId;
      c.exec = exec;
    },
  });
  return c;
}

function decodeLogTarget(d: Decoder, name: string, node: YNode, path: string): LogTarget {
  const t = newLogTarget(name);
  d.struct(node, path, "plan.LogTarget", {
    "type": (v, p) => t.type = d.str(v, p, "plan.LogTargetType") as LogTargetType,
    "location": (v, p) => t.location = d.str(v, p),
    "services": (v, p) => t.services = d.strings(v, p),
    "override": (v, p) => t.override = d.str(v, p, "plan.Override") as Override,
    "labels": (v, p) => t.labels = d.strMap(v, p),
  });
  return t;
}

function decodeWorkload(d: Decoder, name: string, node: YNode, path: string): Workload {
  const w = newWorkload(name);
  d.struct(node, path, "workloads.Workload", {
    "override": (v, p) => w.override = d.str(v, p, "plan.Override") as Override,
    "environment": (v, p) => w.environment = d.strMap(v, p),
    "user-id": (v, p) => w.userId = d.int(v, p),
    "user": (v, p) => w.user = d.str(v, p),
    "group-id": (v, p) => w.groupId = d.int(v, p),
    "group": (v, p) => w.group = d.str(v, p),
  });
  if (w.userId === undefined) delete w.userId;
  if (w.groupId === undefined) delete w.groupId;
  return w;
}

const SERVICE_ACTIONS = new Set(["", "restart", "shutdown", "ignore"]);

function validAction(action: string, extra: ServiceAction): boolean {
  return action === extra || SERVICE_ACTIONS.has(action);
}

const LOG_TARGET_TYPES = new Set(["loki", "opentelemetry", "syslog"]);
const PAIRING_MODES = new Set(["", "disabled", "single", "multiple"]);

/** Pebble's reserved service names and label prefix. */
export const RESERVED_LABEL_PREFIX = "pebble-";

/**
 * Checks a layer label as Pebble does for any layer: the `pebble-` prefix
 * is reserved for layers Pebble creates itself.
 *
 * @throws {LayerError} `cannot use reserved label prefix "pebble-"`.
 */
export function validateLayerLabel(label: string): void {
  if (label.startsWith(RESERVED_LABEL_PREFIX)) {
    const reason = `cannot use reserved label prefix "pebble-"`;
    throw new LayerError(`layer ${goQuote(label)}: ${reason}`, { label, reason });
  }
}

function validateRawLayer(raw: RawLayer, checkUserGroup?: UserGroupCheck): void {
  const label = raw.layer.label;
  const fail = (path: string, reason: string): never => {
    throw new LayerError(`layer ${goQuote(label)}: ${reason}`, { label, path, reason });
  };
  validateLayerLabel(label);

  for (const [name, service] of Object.entries(raw.services)) {
    const path = `services.${name}`;
    if (name === "") fail(path, "cannot use empty string as service name");
    if (name === "pebble") fail(path, `cannot use reserved service name ${goQuote(name)}`);
    if (name.startsWith("-")) {
      fail(path, `cannot use service name ${goQuote(name)}: starting with "-" not allowed`);
    }
    if (service === null) {
      return fail(path, `service object cannot be null for service ${goQuote(name)}`);
    }
    try {
      parseCommand(service.command, name);
    } catch (err) {
      if (!(err instanceof CommandError)) throw err;
      fail(`${path}.command`, `plan service ${goQuote(name)} command invalid: ${err.message}`);
    }
    if (!validAction(service.onSuccess, "failure-shutdown")) {
      fail(
        `${path}.on-success`,
        `plan service ${goQuote(name)} on-success action ${goQuote(service.onSuccess)} invalid`,
      );
    }
    if (!validAction(service.onFailure, "success-shutdown")) {
      fail(
        `${path}.on-failure`,
        `plan service ${goQuote(name)} on-failure action ${goQuote(service.onFailure)} invalid`,
      );
    }
    for (const [check, action] of Object.entries(service.onCheckFailure)) {
      if (!validAction(action, "success-shutdown")) {
        fail(
          `${path}.on-check-failure.${check}`,
          `plan service ${goQuote(name)} on-check-failure action ${goQuote(action)} invalid`,
        );
      }
    }
    if (service.backoffFactor.isSet && service.backoffFactor.value < 1) {
      fail(
        `${path}.backoff-factor`,
        `plan service ${goQuote(name)} backoff-factor must be 1.0 or greater, not ${
          formatGoFloat(service.backoffFactor.value)
        }`,
      );
    }
  }

  for (const [name, check] of Object.entries(raw.checks)) {
    const path = `checks.${name}`;
    if (name === "") fail(path, "cannot use empty string as check name");
    if (check === null) {
      return fail(path, `check object cannot be null for check ${goQuote(name)}`);
    }
    if (!["", "alive", "ready"].includes(check.level)) {
      fail(`${path}.level`, `plan check ${goQuote(name)} level must be "alive" or "ready"`);
    }
    if (!["", "enabled", "disabled"].includes(check.startup)) {
      fail(
        `${path}.startup`,
        `plan check ${goQuote(name)} startup must be "enabled" or "disabled"`,
      );
    }
    if (check.period.isSet && check.period.value === 0) {
      fail(`${path}.period`, `plan check ${goQuote(name)} period must not be zero`);
    }
    if (check.timeout.isSet && check.timeout.value === 0) {
      fail(`${path}.timeout`, `plan check ${goQuote(name)} timeout must not be zero`);
    }
    if (check.exec) {
      try {
        splitCommand(check.exec.command);
      } catch (err) {
        if (!(err instanceof CommandError)) throw err;
        fail(`${path}.exec.command`, `plan check ${goQuote(name)} command invalid: ${err.message}`);
      }
      if (checkUserGroup) {
        try {
          checkUserGroup(check.exec);
        } catch (err) {
          fail(
            `${path}.exec`,
            `plan check ${goQuote(name)} has invalid user/group: ${(err as Error).message}`,
          );
        }
      }
    }
  }

  for (const [name, target] of Object.entries(raw.logTargets)) {
    const path = `log-targets.${name}`;
    if (target === null) {
      return fail(path, `log target object cannot be null for log target ${goQuote(name)}`);
    }
    for (const labelName of Object.keys(target.labels)) {
      if (labelName.startsWith("pebble_")) {
        fail(
          `${path}.labels.${labelName}`,
          `log target ${goQuote(name)}: label ${goQuote(labelName)} uses reserved prefix "pebble_"`,
        );
      }
    }
    if (target.type !== "" && !LOG_TARGET_TYPES.has(target.type)) {
      fail(
        `${path}.type`,
        `log target ${goQuote(name)} has unsupported type ${goQuote(target.type)}, ` +
          `must be "loki", "opentelemetry" or "syslog"`,
      );
    }
  }

  for (const [name, workload] of Object.entries(raw.workloads)) {
    const path = `workloads.${name}`;
    if (workload === null) fail(path, `workload ${goQuote(name)}: cannot have a null value`);
    if (name === "") fail(path, `workload ${goQuote(name)}: cannot have an empty name`);
  }

  const mode = raw.layer.pairing.mode;
  if (!PAIRING_MODES.has(mode)) {
    fail(
      "pairing.mode",
      `invalid pairing mode ${goQuote(mode)}: should be "disabled", "single" or "multiple"`,
    );
  }

  const layer = raw.layer;
  layer.services = raw.services as Record<string, Service>;
  layer.checks = raw.checks as Record<string, Check>;
  layer.logTargets = raw.logTargets as Record<string, LogTarget>;
  layer.workloads = raw.workloads as Record<string, Workload>;
}

/**
 * Checks the `override` of every entry of a layer, with Pebble's messages
 * (which Pebble gives when combining layers).
 *
 * @throws {LayerError} e.g. `layer "base" must define "override" for service "srv1"`.
 */
export function checkOverrides(layer: Layer): void {
  const label = layer.label;
  const check = (section: string, kind: string, name: string, override: string) => {
    let reason: string | undefined;
    if (override === "") {
      reason = `layer ${goQuote(label)} must define "override" for ${kind} ${goQuote(name)}`;
    } else if (override !== "merge" && override !== "replace") {
      reason = `layer ${goQuote(label)} has invalid "override" value for ${kind} ${goQuote(name)}`;
    }
    if (reason) {
      throw new LayerError(reason, { label, path: `${section}.${name}.override`, reason });
    }
  };
  for (const [name, s] of Object.entries(layer.services)) {
    check("services", "service", name, s.override);
  }
  for (const [name, c] of Object.entries(layer.checks)) check("checks", "check", name, c.override);
  for (const [name, t] of Object.entries(layer.logTargets)) {
    check("log-targets", "log target", name, t.override);
  }
  for (const [name, w] of Object.entries(layer.workloads)) {
    let reason: string | undefined;
    if (w.override === "") {
      reason = `workload ${goQuote(name)}: must define an "override" policy`;
    } else if (w.override !== "merge" && w.override !== "replace") {
      reason = `workload ${goQuote(name)}: has an invalid "override" policy: ${
        goQuote(w.override)
      }`;
    }
    if (reason) {
      throw new LayerError(`layer ${goQuote(label)}: ${reason}`, {
        label,
        path: `workloads.${name}.override`,
        reason,
      });
    }
  }
}
