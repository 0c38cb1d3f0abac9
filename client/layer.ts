// Layer and Plan: the configuration objects of the client, in the shape of ops'
// pebble.Layer and pebble.Plan, validated by the shared plan/ package.

import * as model from "../plan/mod.ts";

/** What Pebble does when a service exits or one of its checks fails. */
export type ServiceAction =
  | "restart"
  | "shutdown"
  | "failure-shutdown"
  | "success-shutdown"
  | "ignore";

/**
 * A service in a layer, in its YAML shape (keys and values as in Pebble's layer
 * specification; durations are Go duration strings such as `"1m30s"`).
 */
export interface ServiceObject {
  /** Short description of the service. */
  summary?: string;
  /** Longer description of the service. */
  description?: string;
  /** `"enabled"` to start the service with the daemon or on replan. */
  startup?: "enabled" | "disabled" | "";
  /** How this entry combines with the same service in earlier layers (required). */
  override?: "merge" | "replace";
  /** The command to run, with optional default arguments in `[ ]`. */
  command?: string;
  /** Services to start before this one. */
  after?: string[];
  /** Services to start after this one. */
  before?: string[];
  /** Services that must run with this one. */
  requires?: string[];
  /** Name of the workload (from the `workloads` section) to run it in. */
  workload?: string;
  /** Extra environment variables. */
  environment?: Record<string, string>;
  /** UID to run as. */
  "user-id"?: number | null;
  /** User name to run as. */
  user?: string;
  /** GID to run as. */
  "group-id"?: number | null;
  /** Group name to run as. */
  group?: string;
  /** Working directory of the command. */
  "working-dir"?: string;
  /** Action when the service exits with status 0. */
  "on-success"?: ServiceAction;
  /** Action when the service exits with a non-zero status. */
  "on-failure"?: ServiceAction;
  /** Action per check name when that check fails. */
  "on-check-failure"?: Record<string, ServiceAction>;
  /** First delay before a restart (default 500ms). */
  "backoff-delay"?: string;
  /** Factor the delay grows by on each restart (default 2). */
  "backoff-factor"?: number;
  /** Largest restart delay (default 30s). */
  "backoff-limit"?: string;
  /** Time between SIGTERM and SIGKILL when stopping (default 5s). */
  "kill-delay"?: string;
}

/** A health check in a layer, in its YAML shape. */
export interface CheckObject {
  /** How this entry combines with the same check in earlier layers (required). */
  override?: "merge" | "replace";
  /** `"alive"` or `"ready"`, for the health endpoint. */
  level?: "alive" | "ready" | "";
  /** `"disabled"` to leave the check stopped until started explicitly. */
  startup?: "enabled" | "disabled" | "";
  /** Time between runs (default 10s). */
  period?: string;
  /** Time a run may take (default 3s). */
  timeout?: string;
  /** Failures in a row before the check is down (default 3). */
  threshold?: number;
  /** An HTTP check: a URL that must answer 2xx. */
  http?: {
    /** The URL to get. */
    url?: string;
    /** Extra request headers. */
    headers?: Record<string, string>;
  };
  /** A TCP check: a port that must accept connections. */
  tcp?: {
    /** The port to connect to. */
    port?: number;
    /** The host to connect to (default localhost). */
    host?: string;
  };
  /** An exec check: a command that must exit with status 0. */
  exec?: {
    /** The command to run. */
    command?: string;
    /** A service whose environment, user, group and directory the command inherits. */
    "service-context"?: string;
    /** Extra environment variables. */
    environment?: Record<string, string>;
    /** UID to run as. */
    "user-id"?: number | null;
    /** User name to run as. */
    user?: string;
    /** GID to run as. */
    "group-id"?: number | null;
    /** Group name to run as. */
    group?: string;
    /** Working directory of the command. */
    "working-dir"?: string;
  };
}

/** A log target in a layer, in its YAML shape. */
export interface LogTargetObject {
  /** How this entry combines with the same target in earlier layers (required). */
  override?: "merge" | "replace";
  /** The protocol: `"loki"`, `"opentelemetry"`, and what newer daemons add. */
  type?: "loki" | "opentelemetry" | "syslog" | string;
  /** Where to send the logs (a URL). */
  location?: string;
  /** The services whose logs go there (`"all"`, names, `"-name"` to remove). */
  services?: string[];
  /** Labels added to every log entry sent. */
  labels?: Record<string, string>;
}

/** A layer in its YAML shape (what `Layer.toObject()` returns and `new Layer()` takes). */
export interface LayerObject {
  /** Short description of the layer. */
  summary?: string;
  /** Longer description of the layer. */
  description?: string;
  /** Services by name. */
  services?: Record<string, ServiceObject>;
  /** Health checks by name. */
  checks?: Record<string, CheckObject>;
  /** Log targets by name. */
  "log-targets"?: Record<string, LogTargetObject>;
  /** Other top-level sections (`workloads`, `pairing`), as Pebble writes them. */
  [section: string]: unknown;
}

/** A plan in its YAML shape (what `Plan.toObject()` returns). */
export interface PlanObject {
  /** Services by name. */
  services?: Record<string, ServiceObject>;
  /** Health checks by name. */
  checks?: Record<string, CheckObject>;
  /** Log targets by name. */
  "log-targets"?: Record<string, LogTargetObject>;
  /** Other top-level sections (`workloads`, `pairing`), as Pebble writes them. */
  [section: string]: unknown;
}

/** Options of the {@linkcode Layer} constructor. */
export interface LayerOptions {
  /** The label used in error messages (default `"layer"`). */
  label?: string;
}

/**
 * A configuration layer, like ops' `pebble.Layer`: built from YAML text or an object in
 * the layer's YAML shape, validated with the same rules as the daemon, and turned back
 * into YAML with {@linkcode Layer.toYaml}. Invalid input throws `LayerError` naming the
 * label and the field.
 *
 * @example
 * ```ts
 * import { Layer } from "@pebble/pebble";
 *
 * const layer = new Layer({
 *   summary: "web layer",
 *   services: { web: { override: "replace", command: "python3 -m http.server 8080" } },
 * });
 * console.log(layer.services.web.command); // python3 -m http.server 8080
 * console.log(layer.toYaml());
 * ```
 */
export class Layer {
  readonly #layer: model.Layer;
  readonly #object: LayerObject;

  /** Parses and validates a layer from YAML text or an object (empty when omitted). */
  constructor(raw: string | LayerObject = {}, options: LayerOptions = {}) {
    const label = options.label ?? "layer";
    this.#layer = typeof raw === "string"
      ? model.parseLayer(raw, { label })
      : model.layerFromObject(raw, { label });
    this.#object = model.layerToObject(this.#layer) as LayerObject;
  }

  /** The layer's summary (`""` when unset). */
  get summary(): string {
    return this.#layer.summary;
  }

  /** The layer's description (`""` when unset). */
  get description(): string {
    return this.#layer.description;
  }

  /** The layer's services by name, in their YAML shape. */
  get services(): Record<string, ServiceObject> {
    return this.#object.services ?? {};
  }

  /** The layer's checks by name, in their YAML shape. */
  get checks(): Record<string, CheckObject> {
    return this.#object.checks ?? {};
  }

  /** The layer's log targets by name, in their YAML shape. */
  get logTargets(): Record<string, LogTargetObject> {
    return this.#object["log-targets"] ?? {};
  }

  /** The layer as YAML text, as Pebble prints a layer. */
  toYaml(): string {
    return model.layerToYaml(this.#layer);
  }

  /** The layer in its YAML shape (a fresh copy). */
  toObject(): LayerObject {
    return structuredClone(this.#object);
  }

  /** Same as {@linkcode Layer.toObject}, for `JSON.stringify`. */
  toJSON(): LayerObject {
    return this.toObject();
  }

  /** Same as {@linkcode Layer.toYaml}. */
  toString(): string {
    return this.toYaml();
  }
}

/**
 * The daemon's effective configuration (all layers combined), like ops' `pebble.Plan`,
 * as returned by {@linkcode Client.getPlan}. It is read with the layer rules (every
 * entry of a plan has its `override`), so a malformed plan throws `LayerError`.
 *
 * @example
 * ```ts
 * import { Plan } from "@pebble/pebble";
 *
 * const plan = new Plan("services:\n  srv:\n    override: replace\n    command: sleep 1\n");
 * console.log(Object.keys(plan.services)); // ["srv"]
 * ```
 */
export class Plan {
  readonly #plan: model.Plan;
  readonly #object: PlanObject;

  /** Parses a plan from its YAML text or YAML-shaped object (empty when omitted). */
  constructor(raw: string | PlanObject = {}) {
    const layer = typeof raw === "string"
      ? model.parseLayer(raw, { label: "plan" })
      : model.layerFromObject(raw, { label: "plan" });
    this.#plan = {
      layers: [layer],
      services: layer.services,
      checks: layer.checks,
      logTargets: layer.logTargets,
      workloads: layer.workloads,
      pairing: layer.pairing,
    };
    this.#object = model.planToObject(this.#plan) as PlanObject;
  }

  /** The plan's services by name, in their YAML shape. */
  get services(): Record<string, ServiceObject> {
    return this.#object.services ?? {};
  }

  /** The plan's checks by name, in their YAML shape. */
  get checks(): Record<string, CheckObject> {
    return this.#object.checks ?? {};
  }

  /** The plan's log targets by name, in their YAML shape. */
  get logTargets(): Record<string, LogTargetObject> {
    return this.#object["log-targets"] ?? {};
  }

  /** The plan as YAML text, as `GET /v1/plan?format=yaml` prints it. */
  toYaml(): string {
    return model.planToYaml(this.#plan);
  }

  /** The plan in its YAML shape (a fresh copy). */
  toObject(): PlanObject {
    return structuredClone(this.#object);
  }

  /** Same as {@linkcode Plan.toObject}, for `JSON.stringify`. */
  toJSON(): PlanObject {
    return this.toObject();
  }

  /** Same as {@linkcode Plan.toYaml}. */
  toString(): string {
    return this.toYaml();
  }
}
