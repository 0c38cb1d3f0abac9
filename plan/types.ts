/**
 * The configuration model: layers, services, checks, log targets,
 * workloads and the combined plan. Field names are camelCase versions of
 * the YAML keys; "unset" is the empty string, an empty list or map, an
 * absent optional number, or an optional value with `isSet: false`, the
 * same way Pebble's Go structs use zero values.
 *
 * @module
 */

/** How a layer entry combines with the same entry in earlier layers. */
export type Override = "" | "merge" | "replace";

/**
 * A service's `startup` value. Pebble does not restrict it: anything other
 * than `enabled` means the service is not started automatically.
 */
export type ServiceStartup = string;

/** What to do when a service exits or a check fails. */
export type ServiceAction =
  | ""
  | "restart"
  | "shutdown"
  | "ignore"
  | "failure-shutdown"
  | "success-shutdown";

/** A check's level. */
export type CheckLevel = "" | "alive" | "ready";

/** A check's startup mode. */
export type CheckStartup = "" | "enabled" | "disabled";

/** The protocol a log target forwards logs with. */
export type LogTargetType = "" | "loki" | "opentelemetry" | "syslog";

/** The `pairing` section's mode. */
export type PairingMode = "" | "disabled" | "single" | "multiple";

/**
 * A duration that remembers whether it was set in a layer. `value` is in
 * nanoseconds; print it with `formatDuration(value)`. Defaults applied when
 * combining layers set `value` but leave `isSet` false, so they stay out of
 * the printed plan, as in Pebble.
 */
export interface OptionalDuration {
  /** Nanoseconds. */
  value: number;
  /** Whether a layer set it. */
  isSet: boolean;
}

/** A float that remembers whether it was set in a layer (see {@link OptionalDuration}). */
export interface OptionalFloat {
  /** The value. */
  value: number;
  /** Whether a layer set it. */
  isSet: boolean;
}

/**
 * The execution settings shared by services and exec checks, and what a service context
 * provides (`service-context`).
 */
export interface ContextOptions {
  /** Environment variables. */
  environment: Record<string, string>;
  /** User ID to run as (unset if absent). */
  userId?: number;
  /** User name to run as. */
  user: string;
  /** Group ID to run as (unset if absent). */
  groupId?: number;
  /** Group name to run as. */
  group: string;
  /** Working directory. */
  workingDir: string;
}

/** A service definition (one entry of a layer's `services`). */
export interface Service extends ContextOptions {
  /** The service name (its key in `services`). */
  name: string;
  /** Short description. */
  summary: string;
  /** Longer description. */
  description: string;
  /** `enabled` to start automatically, `disabled` or unset otherwise. */
  startup: ServiceStartup;
  /** How this entry combines with earlier layers: `merge` or `replace`. */
  override: Override;
  /** The command line, possibly with a trailing `[ default args ]` group. */
  command: string;
  /** Services this one starts after (when both are started). */
  after: string[];
  /** Services this one starts before (when both are started). */
  before: string[];
  /** Services started along with this one. */
  requires: string[];
  /** Name of an entry of the `workloads` section. */
  workload: string;
  /** Action when the service exits with status 0. */
  onSuccess: ServiceAction;
  /** Action when the service exits with a non-zero status. */
  onFailure: ServiceAction;
  /** Action per check name when that check fails. */
  onCheckFailure: Record<string, ServiceAction>;
  /** Initial delay before restarting (default 500ms). */
  backoffDelay: OptionalDuration;
  /** Multiplier applied to the delay after each restart (default 2). */
  backoffFactor: OptionalFloat;
  /** Upper bound of the restart delay (default 30s). */
  backoffLimit: OptionalDuration;
  /** Time to wait after SIGTERM before SIGKILL. */
  killDelay: OptionalDuration;
}

/** Settings of an HTTP check. */
export interface HttpCheck {
  /** URL to fetch; a 2xx status means success. */
  url: string;
  /** Extra request headers. */
  headers: Record<string, string>;
}

/** Settings of a TCP check. */
export interface TcpCheck {
  /** 0 when unset. */
  port: number;
  /** Host to connect to (default localhost). */
  host: string;
}

/** Settings of an exec check. */
export interface ExecCheck extends ContextOptions {
  /** The command line. */
  command: string;
  /** Service whose environment, user, group and working directory to inherit. */
  serviceContext: string;
}

/** A health check definition. */
export interface Check {
  /** The check name (its key in `checks`). */
  name: string;
  /** How this entry combines with earlier layers: `merge` or `replace`. */
  override: Override;
  /** `alive`, `ready` or unset. */
  level: CheckLevel;
  /** `enabled` to start automatically, `disabled` or unset otherwise. */
  startup: CheckStartup;
  /** Interval between runs (default 10s). */
  period: OptionalDuration;
  /** Time limit of one run (default 3s, at most the period). */
  timeout: OptionalDuration;
  /** 0 when unset in a layer; 3 by default in a combined plan. */
  threshold: number;
  /** HTTP check settings. */
  http?: HttpCheck;
  /** TCP check settings. */
  tcp?: TcpCheck;
  /** Exec check settings. */
  exec?: ExecCheck;
}

/** A log forwarding target. */
export interface LogTarget {
  /** The target name (its key in `log-targets`). */
  name: string;
  /** Protocol: `loki`, `opentelemetry` or `syslog`. */
  type: LogTargetType;
  /** Where to send logs (URL or address). */
  location: string;
  /** Service names, `all`, or either prefixed with `-` to exclude. */
  services: string[];
  /** How this entry combines with earlier layers: `merge` or `replace`. */
  override: Override;
  /** Extra labels sent with each log entry. */
  labels: Record<string, string>;
}

/** An entry of the `workloads` section: a named execution context for services. */
export interface Workload {
  /** The workload name (its key in `workloads`). */
  name: string;
  /** How this entry combines with earlier layers: `merge` or `replace`. */
  override: Override;
  /** Environment variables. */
  environment: Record<string, string>;
  /** User ID to run as (unset if absent). */
  userId?: number;
  /** User name to run as. */
  user: string;
  /** Group ID to run as (unset if absent). */
  groupId?: number;
  /** Group name to run as. */
  group: string;
}

/** The `pairing` section. */
export interface Pairing {
  /** Pairing mode. */
  mode: PairingMode;
}

/** One configuration layer. */
export interface Layer {
  /** Position among the layers (1000 × file order, plus the order inside a `.d` directory). */
  order: number;
  /** Unique label, such as `base` or `dir/inner`. */
  label: string;
  /** Short description. */
  summary: string;
  /** Longer description. */
  description: string;
  /** Services, by name. */
  services: Record<string, Service>;
  /** Health checks, by name. */
  checks: Record<string, Check>;
  /** Log targets, by name. */
  logTargets: Record<string, LogTarget>;
  /** Workloads, by name. */
  workloads: Record<string, Workload>;
  /** The `pairing` section. */
  pairing: Pairing;
}

/** The combined, validated configuration. */
export interface Plan {
  /** The layers the plan was built from, in order. */
  layers: Layer[];
  /** Services, by name. */
  services: Record<string, Service>;
  /** Health checks, by name. */
  checks: Record<string, Check>;
  /** Log targets, by name. */
  logTargets: Record<string, LogTarget>;
  /** Workloads, by name. */
  workloads: Record<string, Workload>;
  /** The `pairing` section. */
  pairing: Pairing;
}

/** Default `backoff-delay` of a combined service (500ms). */
export const DEFAULT_BACKOFF_DELAY = 500_000_000;
/** Default `backoff-factor` of a combined service. */
export const DEFAULT_BACKOFF_FACTOR = 2.0;
/** Default `backoff-limit` of a combined service (30s). */
export const DEFAULT_BACKOFF_LIMIT = 30_000_000_000;
/** Default check `period` (10s). */
export const DEFAULT_CHECK_PERIOD = 10_000_000_000;
/** Default check `timeout` (3s), capped at the period. */
export const DEFAULT_CHECK_TIMEOUT = 3_000_000_000;
/** Default check `threshold`. */
export const DEFAULT_CHECK_THRESHOLD = 3;

/** Returns an unset optional value (with `value` 0 unless given). */
export function unset(value = 0): OptionalDuration & OptionalFloat {
  return { value, isSet: false };
}

/** Returns an optional value that a layer set. */
export function isSet(value: number): OptionalDuration & OptionalFloat {
  return { value, isSet: true };
}

/** Returns a service with every field unset. */
export function newService(name: string): Service {
  return {
    name,
    summary: "",
    description: "",
    startup: "",
    override: "",
    command: "",
    after: [],
    before: [],
    requires: [],
    workload: "",
    environment: {},
    user: "",
    group: "",
    workingDir: "",
    onSuccess: "",
    onFailure: "",
    onCheckFailure: {},
    backoffDelay: unset(),
    backoffFactor: unset(),
    backoffLimit: unset(),
    killDelay: unset(),
  };
}

/** Returns a check with every field unset. */
export function newCheck(name: string): Check {
  return {
    name,
    override: "",
    level: "",
    startup: "",
    period: unset(),
    timeout: unset(),
    threshold: 0,
  };
}

/** Returns an HTTP check with every field unset. */
export function newHttpCheck(): HttpCheck {
  return { url: "", headers: {} };
}

/** Returns a TCP check with every field unset. */
export function newTcpCheck(): TcpCheck {
  return { port: 0, host: "" };
}

/** Returns an exec check with every field unset. */
export function newExecCheck(): ExecCheck {
  return {
    command: "",
    serviceContext: "",
    environment: {},
    user: "",
    group: "",
    workingDir: "",
  };
}

/** Returns a log target with every field unset. */
export function newLogTarget(name: string): LogTarget {
  return { name, type: "", location: "", services: [], override: "", labels: {} };
}

/** Returns a workload with every field unset. */
export function newWorkload(name: string): Workload {
  return { name, override: "", environment: {}, user: "", group: "" };
}

/** Returns an empty layer. */
export function newLayer(label = "", order = 0): Layer {
  return {
    order,
    label,
    summary: "",
    description: "",
    services: {},
    checks: {},
    logTargets: {},
    workloads: {},
    pairing: { mode: "" },
  };
}

/** Returns an empty plan (what a daemon with no layers has). */
export function newPlan(): Plan {
  return {
    layers: [],
    services: {},
    checks: {},
    logTargets: {},
    workloads: {},
    pairing: { mode: "" },
  };
}
