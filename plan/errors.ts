/**
 * Error types raised by the plan package.
 *
 * @module
 */

/**
 * A configuration error: a layer or a combination of layers that Pebble
 * would reject with a "format error". Servers answer these with HTTP 400.
 *
 * The message is Pebble's wording, for example
 * `plan must define "command" for service "srv1"`.
 */
export class PlanError extends Error {
  /** Creates a plan error with the given message. */
  constructor(message: string) {
    super(message);
    this.name = "PlanError";
  }
}

/**
 * An error in a single layer: bad YAML, an unknown field, a value of the
 * wrong type, or a value that Pebble's layer validation rejects.
 *
 * `message` names the layer label, where in the layer the problem is, and
 * the reason; `reason` holds Pebble's own wording on its own.
 *
 * @example
 * ```ts
 * import { LayerError, parseLayer } from "./mod.ts";
 * try {
 *   parseLayer("services: {srv1: {override: replace, command: x, backoff-delay: soon}}", {
 *     label: "base",
 *   });
 * } catch (err) {
 *   if (err instanceof LayerError) console.log(err.label, err.path, err.reason);
 * }
 * ```
 */
export class LayerError extends PlanError {
  /** Label of the layer that was rejected. */
  readonly label: string;
  /** Dotted path of the offending field (`services.srv1.backoff-delay`), or "" for the whole layer. */
  readonly path: string;
  /** Line in the YAML text (1-based), or 0 when unknown. */
  readonly line: number;
  /** The reason on its own, in Pebble's wording where Pebble has one. */
  readonly reason: string;

  /** Creates a layer error; `message` is the full text shown to users. */
  constructor(
    message: string,
    details: { label: string; path?: string; line?: number; reason?: string },
  ) {
    super(message);
    this.name = "LayerError";
    this.label = details.label;
    this.path = details.path ?? "";
    this.line = details.line ?? 0;
    this.reason = details.reason ?? message;
  }
}

/**
 * Raised by {@link appendLayer} when a layer with the same label already
 * exists (Pebble's `LabelExists`; servers answer with HTTP 400).
 */
export class LabelExistsError extends Error {
  /** The label that already exists. */
  readonly label: string;

  /** Creates the error for `label`. */
  constructor(label: string) {
    super(`layer "${label}" already exists`);
    this.name = "LabelExistsError";
    this.label = label;
  }
}

/**
 * Raised when a layer would have to be inserted inside an existing layer
 * sub-directory (label `dir/name`) but the caller did not allow it with
 * `inner: true`. Pebble reports this as a plain (HTTP 500) error.
 */
export class LayerInsertError extends Error {
  /** Creates the error with Pebble's message. */
  constructor() {
    super("cannot insert sub-directory layer without 'inner' attribute set");
    this.name = "LayerInsertError";
  }
}

/**
 * Raised for a bad layers directory entry name, or a duplicate order or
 * label among the entries (Pebble's messages, such as
 * `invalid layer filename: "01-x.yaml" (must look like "123-some-label.yaml")`).
 */
export class LayerFileNameError extends Error {
  /** Creates the error with the given message. */
  constructor(message: string) {
    super(message);
    this.name = "LayerFileNameError";
  }
}

/**
 * Raised by service command helpers: a command that cannot be split, a
 * misplaced `[ ... ]` group, or `--args` for a service not in the plan.
 */
export class CommandError extends Error {
  /** Creates the error with the given message. */
  constructor(message: string) {
    super(message);
    this.name = "CommandError";
  }
}
