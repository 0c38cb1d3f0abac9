// The typed Pebble API client: HTTP over the daemon's unix socket (or a TCP URL), with
// methods named after ops.pebble.Client in camelCase.

import { APIError, ConnectionError, ProtocolError, TimeoutError } from "./errors.ts";
import { type Body, BodySourceError, UnixHttp } from "./_unix_http.ts";
import {
  dateToNanos,
  formatPreciseTime,
  formatTimeout,
  parsePreciseTime,
  parseTime,
} from "./_time.ts";
import {
  type Change,
  type ChangeState,
  type Notice,
  type NoticeType,
  parseArray,
  parseChange,
  parseNotice,
  parseSystemInfo,
  parseWarningNotice,
  type SystemInfo,
  type Warning,
  type WarningState,
} from "./types.ts";
import type { Layer, LayerObject, Plan } from "./layer.ts";
import { type Identity, identityToJson, parseIdentities } from "./identities.ts";
import type {
  FileInfo,
  ListFilesOptions,
  MakeDirOptions,
  PullOptions,
  PushOptions,
  PushSource,
  RemovePathOptions,
} from "./files.ts";
import type { ExecOptions, ExecProcess } from "./exec.ts";
import type { LogEntry, LogsOptions, ServiceActionOptions, ServiceInfo } from "./services.ts";
import {
  type CheckInfo,
  checkQuery,
  type CheckQueryOptions,
  parseCheckInfo,
  type RefreshCheckResult,
} from "./checks.ts";

/** The socket path used when neither `$PEBBLE_SOCKET` nor `$PEBBLE` is set. */
export const DEFAULT_SOCKET_PATH = "/var/lib/pebble/default/.pebble.socket";

/** Options for {@linkcode Client}. */
export interface ClientOptions {
  /**
   * Path of the daemon's unix socket. Defaults to `$PEBBLE_SOCKET`, else
   * `$PEBBLE/.pebble.socket`, else `/var/lib/pebble/default/.pebble.socket`.
   */
  socketPath?: string;
  /**
   * Base URL of the daemon's TCP listener (`pebble run --http`), for example
   * `"http://127.0.0.1:4000"`. When set, the unix socket is not used.
   */
  baseUrl?: string;
  /**
   * Seconds to wait for a response before throwing {@linkcode TimeoutError} (default 5,
   * like ops). It bounds each request, not the change waits of
   * {@linkcode Client.waitChange}, which send their own timeout to the server.
   */
  timeout?: number;
  /** The `User-Agent` header to send (by default the runtime's own is sent). */
  userAgent?: string;
}

/** Query parameters of a request: repeated for arrays, left out when `undefined`. */
export type Query = Record<string, string | number | boolean | string[] | undefined>;

/** Options of the low-level {@linkcode Client.request} and {@linkcode Client.requestRaw}. */
export interface RequestOptions {
  /** Query parameters. */
  query?: Query;
  /** A JSON-serialisable body; sent as `application/json`. */
  body?: unknown;
  /** Extra request headers. */
  headers?: Record<string, string>;
  /** Cancels the request. */
  signal?: AbortSignal;
  /** Seconds before {@linkcode TimeoutError}; `null` for none (default: the client's). */
  timeout?: number | null;
}

/** A decoded Pebble response envelope (sync or async). */
export interface ApiResponse {
  /** `"sync"` or `"async"`. */
  type: string;
  /** The HTTP status code from the envelope. */
  statusCode: number;
  /** The HTTP status text from the envelope (may be empty). */
  status: string;
  /** The endpoint-specific result, still in Pebble's JSON shape. */
  result: unknown;
  /** The change ID of an async response. */
  change?: string;
  /** The HTTP response headers. */
  headers: Headers;
}

/** Options of {@linkcode Client.addLayer}. */
export interface AddLayerOptions {
  /**
   * When true and a layer with this label exists, combine the new layer into it
   * (following the override rules) instead of failing; otherwise add it on top.
   */
  combine?: boolean;
  /**
   * When true, insert the layer into the innermost layers directory whose label is a
   * prefix of this label (Pebble's `--inner`), rather than on top of all layers.
   */
  inner?: boolean;
}

/** Options of {@linkcode Client.getChanges}. */
export interface GetChangesOptions {
  /** Which changes to return (default `"in-progress"`). */
  select?: ChangeState;
  /** Only changes that concern this service. */
  service?: string;
}

/** Options of {@linkcode Client.waitChange}. */
export interface WaitChangeOptions {
  /** Seconds to wait for the change to be ready (default 30); `null` waits forever. */
  timeout?: number | null;
  /** Seconds between polls when the server lacks the wait endpoint (default 0.1). */
  delay?: number;
}

/** Options of {@linkcode Client.getNotices}: every filter given must match. */
export interface GetNoticesOptions {
  /** `"all"` returns notices of every user (admins only). */
  users?: "all";
  /** Only notices for this UID, plus public ones (admins only). */
  userId?: number;
  /** Only notices of one of these types. */
  types?: (NoticeType | string)[];
  /** Only notices with one of these keys. */
  keys?: string[];
  /**
   * Only notices last repeated after this time. A string is sent as is, so an RFC 3339
   * timestamp with nanoseconds keeps its full precision.
   */
  after?: Date | string;
  /**
   * Seconds for the daemon to wait for a matching notice when none matches yet (the
   * long-poll of {@linkcode Client.waitNotices}); without it the daemon answers at once.
   */
  timeout?: number;
}

/** Options of {@linkcode Client.notify}. */
export interface NotifyOptions {
  /** Data recorded with this occurrence (string values; at most 4 KiB as JSON). */
  data?: Record<string, string>;
  /**
   * Seconds after the notice last repeated during which a new occurrence only counts
   * and does not repeat it (default: every occurrence repeats), like ops' `repeat_after`.
   */
  repeatAfter?: number;
}

/** Options of {@linkcode Client.notices}: the filters of {@linkcode GetNoticesOptions}. */
export interface NoticesIteratorOptions extends Omit<GetNoticesOptions, "timeout"> {
  /** Seconds each server-side wait may last before the client asks again (default 60). */
  pollTimeout?: number;
  /** Ends the iteration (the pending request is cancelled). */
  signal?: AbortSignal;
}

/** Options of {@linkcode Client.getWarnings}. */
export interface GetWarningsOptions {
  /**
   * `"pending"` (the default) returns the warnings not yet acknowledged with
   * {@linkcode Client.ackWarnings}; `"all"` returns every warning.
   */
  select?: WarningState;
}

type JsonObject = Record<string, unknown>;

/**
 * A client of the Pebble API, with the methods of ops' `pebble.Client` in camelCase.
 *
 * It talks HTTP over the daemon's unix socket, or to a TCP URL with `baseUrl`. Problems
 * reaching the daemon throw {@linkcode ConnectionError}; errors the daemon reports throw
 * {@linkcode APIError}; replies that break the protocol throw {@linkcode ProtocolError}.
 * Call {@linkcode Client.close} (or use `using`) when done, to release the connection.
 *
 * @example Add a layer and read the plan back
 * ```ts
 * import { Client } from "@pebble/pebble";
 *
 * using client = new Client({ socketPath: "/tmp/pebble/.pebble.socket" });
 * const info = await client.getSystemInfo();
 * console.log(`pebble ${info.version}`);
 * await client.addLayer("web", {
 *   services: { web: { override: "replace", command: "python3 -m http.server" } },
 * }, { combine: true });
 * const plan = await client.getPlan();
 * console.log(Object.keys(plan.services));
 * ```
 */
export class Client implements Disposable {
  /** The unix socket path in use, or `undefined` when a `baseUrl` was given. */
  readonly socketPath: string | undefined;
  /** The base URL requests go to (`http://localhost` over the unix socket). */
  readonly baseUrl: string;
  /** Seconds each request may take before {@linkcode TimeoutError}. */
  readonly timeout: number;
  /** The `User-Agent` header sent, if any. */
  readonly userAgent: string | undefined;

  #httpClient: UnixHttp | undefined;
  #closed = false;
  #warningsOkayed: bigint | undefined;
  #latestWarning: Date | null = null;
  #maintenance: APIError | null = null;

  /** Creates a client; no connection is made until the first request. */
  constructor(options: ClientOptions = {}) {
    if (options.baseUrl !== undefined) {
      let url: URL;
      try {
        url = new URL(options.baseUrl);
      } catch {
        throw new TypeError(`invalid Pebble base URL ${JSON.stringify(options.baseUrl)}`);
      }
      if (url.protocol !== "http:" && url.protocol !== "https:") {
        throw new TypeError(`Pebble base URL must be http or https, got ${options.baseUrl}`);
      }
      this.baseUrl = options.baseUrl.replace(/\/+$/, "");
      this.socketPath = undefined;
    } else {
      this.baseUrl = "http://localhost";
      this.socketPath = options.socketPath ?? defaultSocketPath();
    }
    const timeout = options.timeout ?? 5;
    if (!(timeout > 0)) throw new RangeError(`timeout must be positive, got ${timeout}`);
    this.timeout = timeout;
    this.userAgent = options.userAgent;
  }

  /**
   * The maintenance error the daemon reported with its last response (for example a
   * pending restart, kind `"daemon-restart"`), or `null`.
   */
  get maintenance(): APIError | null {
    return this.#maintenance;
  }

  /**
   * The `latest-warning` time the daemon reported with its last successful response,
   * or `null` when it reported none.
   */
  get latestWarning(): Date | null {
    return this.#latestWarning;
  }

  /** Releases the connection to the daemon. The client cannot be used afterwards. */
  close(): void {
    this.#closed = true;
    this.#httpClient?.close();
    this.#httpClient = undefined;
  }

  /** Same as {@linkcode Client.close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  // ---- system ----

  /**
   * Returns the daemon's version and boot ID (`GET /v1/system-info`).
   *
   * @example
   * ```ts
   * import { Client } from "@pebble/pebble";
   *
   * using client = new Client();
   * const { version, bootId } = await client.getSystemInfo();
   * console.log(version, bootId);
   * ```
   */
  async getSystemInfo(): Promise<SystemInfo> {
    const resp = await this.request("GET", "/v1/system-info");
    return parseSystemInfo(resp.result);
  }

  // ---- layers and plan ----

  /**
   * Adds a configuration layer on top of the daemon's layers (`POST /v1/layers`).
   *
   * `layer` is YAML text (sent as is), a {@linkcode Layer}, or a plain object in the
   * layer's YAML shape (kebab-case keys), which is validated and serialised first.
   * With `combine`, an existing layer of the same label is merged with it instead.
   *
   * @example
   * ```ts
   * import { Client } from "@pebble/pebble";
   *
   * using client = new Client();
   * await client.addLayer("base", "services:\n  srv:\n    override: replace\n    command: sleep 100\n");
   * ```
   */
  async addLayer(
    label: string,
    layer: string | Layer | LayerObject,
    options: AddLayerOptions = {},
  ): Promise<void> {
    if (typeof label !== "string") throw new TypeError("label must be a string");
    let layerYaml: string;
    if (typeof layer === "string") {
      layerYaml = layer;
    } else if (isLayerLike(layer)) {
      layerYaml = layer.toYaml();
    } else if (typeof layer === "object" && layer !== null && !Array.isArray(layer)) {
      const { Layer } = await import("./layer.ts");
      layerYaml = new Layer(layer as LayerObject, { label }).toYaml();
    } else {
      throw new TypeError("layer must be a YAML string, a Layer, or a plain object");
    }
    await this.request("POST", "/v1/layers", {
      body: {
        action: "add",
        combine: options.combine ?? false,
        inner: options.inner ?? false,
        label,
        format: "yaml",
        layer: layerYaml,
      },
    });
  }

  /**
   * Returns the daemon's plan, the combination of its layers
   * (`GET /v1/plan?format=yaml`).
   */
  async getPlan(): Promise<Plan> {
    const text = await this.getPlanYaml();
    const { Plan } = await import("./layer.ts");
    return new Plan(text);
  }

  /**
   * Returns the plan as the YAML text the daemon sent, without parsing it (what
   * `pebble plan` prints). Not in ops; cheap because it loads no YAML library.
   */
  async getPlanYaml(): Promise<string> {
    const resp = await this.request("GET", "/v1/plan", { query: { format: "yaml" } });
    if (typeof resp.result !== "string") {
      throw new ProtocolError(`expected the plan as YAML text, got ${typeof resp.result}`);
    }
    return resp.result;
  }

  // ---- changes ----

  /**
   * Lists changes (`GET /v1/changes`), by default those in progress; `service` keeps
   * only the changes that concern that service.
   */
  async getChanges(options: GetChangesOptions = {}): Promise<Change[]> {
    const query: Query = { select: options.select ?? "in-progress", for: options.service };
    const resp = await this.request("GET", "/v1/changes", { query });
    return parseArray(resp.result, "changes", parseChange);
  }

  /** Returns one change by ID (`GET /v1/changes/{id}`). */
  async getChange(changeId: string): Promise<Change> {
    const resp = await this.request("GET", `/v1/changes/${encodeURIComponent(changeId)}`);
    return parseChange(resp.result);
  }

  /** Aborts a change that is not yet ready and returns it (`POST /v1/changes/{id}`). */
  async abortChange(changeId: string): Promise<Change> {
    const resp = await this.request("POST", `/v1/changes/${encodeURIComponent(changeId)}`, {
      body: { action: "abort" },
    });
    return parseChange(resp.result);
  }

  /**
   * Waits for a change to be ready and returns it; throws {@linkcode TimeoutError} when
   * `timeout` seconds (default 30; `null` for no limit) pass first.
   *
   * Like ops, it asks the server to wait (`GET /v1/changes/{id}/wait?timeout=…`) in
   * slices of at most the client timeout less one second, and falls back to polling
   * `GET /v1/changes/{id}` every `delay` seconds when the server lacks that endpoint.
   * A failed change is returned, not thrown: check `change.err`.
   *
   * @example
   * ```ts
   * import { ChangeError, Client } from "@pebble/pebble";
   *
   * using client = new Client();
   * const change = await client.waitChange("7", { timeout: 60 });
   * if (change.err) throw new ChangeError(change.err, change);
   * ```
   */
  async waitChange(changeId: string, options: WaitChangeOptions = {}): Promise<Change> {
    const timeout = options.timeout === undefined ? 30 : options.timeout;
    const delay = options.delay ?? 0.1;
    const deadline = timeout === null ? Infinity : Date.now() + timeout * 1000;
    const timedOut = () =>
      new TimeoutError(`timed out waiting for change ${changeId} (${timeout} seconds)`);
    const path = `/v1/changes/${encodeURIComponent(changeId)}`;

    // Server-side waits, each shorter than a request timeout.
    while (true) {
      let slice = Math.max(this.timeout - 1, 1);
      if (timeout !== null) {
        const remaining = (deadline - Date.now()) / 1000;
        if (remaining <= 0) throw timedOut();
        slice = Math.min(remaining, slice);
      }
      try {
        const resp = await this.request("GET", `${path}/wait`, {
          query: { timeout: formatTimeout(slice) },
          timeout: slice + this.timeout,
        });
        return parseChange(resp.result);
      } catch (err) {
        if (err instanceof APIError && err.code === 504) continue;
        if (err instanceof TimeoutError) continue;
        if (err instanceof APIError && err.code === 404) break; // no wait endpoint: poll
        throw err;
      }
    }

    while (Date.now() < deadline) {
      const change = await this.getChange(changeId);
      if (change.ready) return change;
      await sleep(Math.min(delay * 1000, Math.max(deadline - Date.now(), 0)));
    }
    throw timedOut();
  }

  // ---- notices and warnings ----

  /**
   * Lists the notices that match every filter given (`GET /v1/notices`). With no
   * filters, the daemon returns the caller's notices and public ones.
   *
   * @example List custom notices
   * ```ts
   * import { Client } from "@pebble/pebble";
   *
   * using client = new Client();
   * for (const n of await client.getNotices({ types: ["custom"] })) {
   *   console.log(n.id, n.key, n.occurrences);
   * }
   * ```
   */
  async getNotices(options: GetNoticesOptions = {}): Promise<Notice[]> {
    return (await this.#noticesRaw(options)).map((r) => r.notice);
  }

  /**
   * Waits up to `timeout` seconds (default 30) for notices that match the filters and
   * returns them, at once if some match already; returns `[]` when none arrived in time
   * (that is not an error). It is the daemon that waits (`GET /v1/notices?timeout=…`),
   * so a notice wakes the caller at once.
   *
   * @example Wait for the next occurrence of a custom notice
   * ```ts
   * import { Client } from "@pebble/pebble";
   *
   * using client = new Client();
   * const since = new Date();
   * const found = await client.waitNotices({ keys: ["example.com/db"], after: since, timeout: 60 });
   * if (found.length === 0) console.log("nothing happened");
   * ```
   */
  async waitNotices(options: GetNoticesOptions = {}): Promise<Notice[]> {
    return await this.getNotices({ ...options, timeout: options.timeout ?? 30 });
  }

  /**
   * Yields notices that match the filters as they occur or repeat, oldest first, until
   * `signal` aborts (or the loop breaks). Each round long-polls the daemon for notices
   * last repeated after the last one yielded (its exact `last-repeated`), so none is
   * missed or yielded twice between rounds. Without `after`, it starts with the notices
   * that exist already.
   *
   * @example React to custom notices as they come
   * ```ts
   * import { Client } from "@pebble/pebble";
   *
   * using client = new Client();
   * const stop = AbortSignal.timeout(60_000);
   * for await (const n of client.notices({ types: ["custom"], after: new Date(), signal: stop })) {
   *   console.log(`${n.key} happened (${n.occurrences} times so far)`, n.lastData);
   * }
   * ```
   */
  async *notices(options: NoticesIteratorOptions = {}): AsyncGenerator<Notice, void, undefined> {
    const { pollTimeout = 60, signal, ...filters } = options;
    if (!(pollTimeout > 0)) {
      throw new RangeError(`pollTimeout must be positive, got ${pollTimeout}`);
    }
    let after = filters.after instanceof Date ? filters.after.toISOString() : filters.after;
    let afterNanos = after === undefined ? undefined : parsePreciseTime(after).nanos;
    while (!signal?.aborted) {
      let found;
      try {
        found = await this.#noticesRaw({ ...filters, after, timeout: pollTimeout }, signal);
      } catch (err) {
        if (signal?.aborted) return;
        throw err;
      }
      for (const { notice, lastRepeated } of found) {
        const nanos = parsePreciseTime(lastRepeated).nanos;
        if (afterNanos !== undefined && nanos <= afterNanos) continue;
        after = lastRepeated;
        afterNanos = nanos;
        yield notice;
        if (signal?.aborted) return;
      }
    }
  }

  /**
   * Records an occurrence of a notice (`POST /v1/notices`) and returns the notice's ID.
   * Only `"custom"` notices can be recorded, with a key in `example.com/path` form; the
   * daemon keeps them under the caller's UID.
   *
   * @example
   * ```ts
   * import { Client } from "@pebble/pebble";
   *
   * using client = new Client();
   * const id = await client.notify("custom", "example.com/db/backup", {
   *   data: { path: "/backups/1.tar" },
   *   repeatAfter: 3600,
   * });
   * console.log(`recorded notice ${id}`);
   * ```
   */
  async notify(
    type: NoticeType | string,
    key: string,
    options: NotifyOptions = {},
  ): Promise<string> {
    const body: Record<string, unknown> = { action: "add", type, key };
    if (options.data !== undefined) body.data = options.data;
    if (options.repeatAfter !== undefined) {
      if (!(options.repeatAfter >= 0)) {
        throw new RangeError(`repeatAfter must be a number of seconds, got ${options.repeatAfter}`);
      }
      body["repeat-after"] = formatTimeout(options.repeatAfter);
    }
    const resp = await this.request("POST", "/v1/notices", { body });
    const id = (resp.result as JsonObject | null)?.id;
    if (typeof id !== "string") throw new ProtocolError("notify: the response has no notice ID");
    return id;
  }

  /** `GET /v1/notices`, keeping each notice's `last-repeated` text as sent. */
  async #noticesRaw(
    options: GetNoticesOptions,
    signal?: AbortSignal,
  ): Promise<{ notice: Notice; lastRepeated: string }[]> {
    const query = noticesQuery(options);
    const wait = options.timeout;
    if (wait !== undefined) {
      if (!(wait > 0)) throw new RangeError(`timeout must be positive, got ${wait}`);
      query.timeout = formatTimeout(wait);
    }
    const resp = await this.request("GET", "/v1/notices", {
      query,
      signal,
      timeout: wait === undefined ? undefined : wait + this.timeout,
    });
    return parseArray(resp.result, "notices", (raw) => ({
      notice: parseNotice(raw),
      lastRepeated: String((raw as JsonObject)["last-repeated"]),
    }));
  }

  /** Returns one notice by ID (`GET /v1/notices/{id}`); a missing one is an APIError 404. */
  async getNotice(id: string): Promise<Notice> {
    const resp = await this.request("GET", `/v1/notices/${encodeURIComponent(id)}`);
    return parseNotice(resp.result);
  }

  /**
   * Lists warnings, in the shape of ops' `Warning`.
   *
   * Difference from ops: current Pebble has no `/v1/warnings` endpoint. Warnings are
   * notices of type `"warning"` (the key is the message), so this reads
   * `GET /v1/notices?types=warning`. "Pending" means last repeated after the time
   * given to {@linkcode Client.ackWarnings} on this client; like the `pebble` CLI,
   * the acknowledgement is kept on the client side, not on the server.
   */
  async getWarnings(options: GetWarningsOptions = {}): Promise<Warning[]> {
    const select = options.select ?? "pending";
    if (select !== "pending" && select !== "all") {
      throw new TypeError(`select must be "pending" or "all", got ${JSON.stringify(select)}`);
    }
    const after = select === "pending" && this.#warningsOkayed !== undefined
      ? formatPreciseTime(this.#warningsOkayed)
      : undefined;
    const resp = await this.request("GET", "/v1/notices", {
      query: noticesQuery({ types: ["warning"], after }),
    });
    return parseArray(resp.result, "warnings", parseWarningNotice);
  }

  /**
   * Acknowledges the warnings last repeated up to `timestamp` (inclusive, to the
   * millisecond), so {@linkcode Client.getWarnings} no longer lists them until they
   * repeat; returns how many pending warnings that acknowledged.
   *
   * Difference from ops: the acknowledgement is recorded in this client (Pebble keeps
   * no server-side acknowledgement of warnings), so it lasts as long as the client.
   */
  async ackWarnings(timestamp: Date): Promise<number> {
    if (!(timestamp instanceof Date) || Number.isNaN(timestamp.getTime())) {
      throw new TypeError("timestamp must be a valid Date");
    }
    const upTo = dateToNanos(timestamp) + 999_999n;
    const after = this.#warningsOkayed;
    const resp = await this.request("GET", "/v1/notices", {
      query: noticesQuery({
        types: ["warning"],
        after: after === undefined ? undefined : formatPreciseTime(after),
      }),
    });
    let count = 0;
    for (const raw of parseArray(resp.result, "warnings", (v) => v)) {
      const repeated = (raw as JsonObject)?.["last-repeated"];
      if (typeof repeated !== "string") continue;
      let nanos: bigint;
      try {
        nanos = parsePreciseTime(repeated).nanos;
      } catch {
        continue;
      }
      if (nanos <= upTo && (after === undefined || nanos > after)) count++;
    }
    if (after === undefined || upTo > after) this.#warningsOkayed = upTo;
    return count;
  }

  // ---- services and logs ----

  /**
   * Lists the plan's services with their status (`GET /v1/services`), all of them or
   * those named.
   *
   * @example
   * ```ts
   * import { Client } from "@pebble/pebble";
   *
   * using client = new Client();
   * for (const s of await client.getServices()) console.log(s.name, s.current, s.isRunning());
   * ```
   */
  async getServices(names?: string[]): Promise<ServiceInfo[]> {
    return await (await import("./services.ts")).getServices(this, names);
  }

  /**
   * Starts services and what they require, in dependency order, and waits for the change
   * (`timeout` seconds, default 30; `0` to not wait). Returns the change ID; a failed
   * change throws {@linkcode ChangeError}.
   *
   * @example
   * ```ts
   * import { ChangeError, Client } from "@pebble/pebble";
   *
   * using client = new Client();
   * try {
   *   await client.startServices(["web"]);
   * } catch (err) {
   *   if (err instanceof ChangeError) console.log(err.err);
   * }
   * ```
   */
  async startServices(services: string[], options?: ServiceActionOptions): Promise<string> {
    return await (await import("./services.ts")).serviceAction(this, "start", services, options);
  }

  /** Stops services and those that require them, in reverse order (see `startServices`). */
  async stopServices(services: string[], options?: ServiceActionOptions): Promise<string> {
    return await (await import("./services.ts")).serviceAction(this, "stop", services, options);
  }

  /** Stops then starts services (see `startServices`). */
  async restartServices(services: string[], options?: ServiceActionOptions): Promise<string> {
    return await (await import("./services.ts")).serviceAction(this, "restart", services, options);
  }

  /** Starts the services with `startup: enabled` (see `startServices`). */
  async autostartServices(options?: ServiceActionOptions): Promise<string> {
    return await (await import("./services.ts")).serviceAction(this, "autostart", [], options);
  }

  /**
   * Restarts services whose configuration changed and starts `startup: enabled` ones
   * that are not running (see `startServices`).
   */
  async replanServices(options?: ServiceActionOptions): Promise<string> {
    return await (await import("./services.ts")).serviceAction(this, "replan", [], options);
  }

  /**
   * Sends a signal (`"SIGHUP"`, or a Linux signal number) to running services
   * (`POST /v1/signals`); throws {@linkcode APIError} naming those not running.
   */
  async sendSignal(signal: string | number, services: string[]): Promise<void> {
    await (await import("./services.ts")).sendSignal(this, signal, services);
  }

  /**
   * The latest buffered lines of service output (`GET /v1/logs`), oldest first: 30 by
   * default, `n: "all"` for everything buffered.
   */
  async getLogs(options?: LogsOptions): Promise<LogEntry[]> {
    return await (await import("./services.ts")).getLogs(this, options);
  }

  /**
   * Follows service output (`GET /v1/logs?follow=true`): the last `n` lines (default
   * none), then each new line as it is written, until `signal` aborts.
   *
   * @example
   * ```ts
   * import { Client } from "@pebble/pebble";
   *
   * using client = new Client();
   * const signal = AbortSignal.timeout(10_000);
   * for await (const e of client.followLogs({ services: ["web"], signal })) {
   *   console.log(e.time.toISOString(), e.service, e.message);
   * }
   * ```
   */
  async *followLogs(options?: LogsOptions): AsyncGenerator<LogEntry, void, undefined> {
    yield* (await import("./services.ts")).followLogs(this, options);
  }

  // ---- files ----

  /**
   * Writes a file on the daemon's system (`POST /v1/files`, a multipart upload streamed
   * from `source`): text, bytes, a `ReadableStream`, an open `Deno.FsFile` (read from its
   * current position and left open) or an iterable of chunks. The daemon writes a
   * temporary file and renames it over `path` once complete, so readers never see a
   * partial file, and an interrupted upload leaves the old file in place. Throws
   * {@linkcode PathError} when the daemon cannot write it.
   *
   * @example
   * ```ts
   * import { Client } from "@pebble/pebble";
   *
   * using client = new Client();
   * await client.push("/etc/app/config.yaml", "port: 8080\n", { makeDirs: true, permissions: 0o600 });
   * using file = await Deno.open("./big.tar");
   * await client.push("/srv/big.tar", file);
   * ```
   */
  async push(path: string, source: PushSource, options: PushOptions = {}): Promise<void> {
    const files = await import("./files.ts");
    await files.push(this, path, source, options);
  }

  /**
   * Reads a file from the daemon's system (`GET /v1/files?action=read`) as a stream:
   * text (decoded as `encoding`, default UTF-8) or, with `encoding: null`, bytes. Data
   * arrives as the daemon reads it, in constant memory. A missing or unreadable file
   * throws {@linkcode PathError} before anything is returned; a read error later errors
   * the stream. Consume or cancel the stream.
   *
   * @example
   * ```ts
   * import { Client } from "@pebble/pebble";
   *
   * using client = new Client();
   * let text = "";
   * for await (const chunk of await client.pull("/etc/hostname")) text += chunk;
   * const bytes = await client.pull("/srv/big.tar", { encoding: null });
   * using out = await Deno.create("./big.tar");
   * await bytes.pipeTo(out.writable);
   * console.log(text);
   * ```
   */
  pull(
    path: string,
    options: PullOptions & { encoding: null },
  ): Promise<ReadableStream<Uint8Array>>;
  /** Reads a file as decoded text chunks (see the overload above). */
  pull(path: string, options?: PullOptions): Promise<ReadableStream<string>>;
  async pull(
    path: string,
    options: PullOptions = {},
  ): Promise<ReadableStream<Uint8Array> | ReadableStream<string>> {
    const files = await import("./files.ts");
    const bytes = await files.pullBytes(this, path, options.signal);
    if (options.encoding === null) return bytes;
    return bytes.pipeThrough(new TextDecoderStream(options.encoding ?? "utf-8"));
  }

  /**
   * Lists a directory's entries, or describes a file (`GET /v1/files?action=list`);
   * `pattern` keeps names matching a glob, `itself` describes a directory rather than
   * its content. A missing path throws {@linkcode APIError} with code 404.
   */
  async listFiles(path: string, options: ListFilesOptions = {}): Promise<FileInfo[]> {
    const files = await import("./files.ts");
    return await files.listFiles(this, path, options);
  }

  /** Creates a directory (`POST /v1/files`, `make-dirs`); throws {@linkcode PathError}. */
  async makeDir(path: string, options: MakeDirOptions = {}): Promise<void> {
    const files = await import("./files.ts");
    await files.makeDir(this, path, options);
  }

  /**
   * Removes a file or an empty directory, or with `recursive` a whole tree (then a
   * missing path is not an error) (`POST /v1/files`, `remove`); throws
   * {@linkcode PathError}.
   */
  async removePath(path: string, options: RemovePathOptions = {}): Promise<void> {
    const files = await import("./files.ts");
    await files.removePath(this, path, options);
  }

  /**
   * Copies local files and directories into `destDir` on the daemon's system, as ops'
   * `Container.push_path`: a directory `/a/b` lands as `destDir/b`, `/a/b/*` puts the
   * content of `b` in `destDir`; modes and owner IDs are kept; symlinks are copied as
   * the files they point to. It goes on past failures and then throws
   * {@linkcode MultiPushPullError} listing each source that failed.
   */
  async pushPath(sources: string | string[], destDir: string): Promise<void> {
    const files = await import("./files.ts");
    await files.pushPath(this, sources, destDir);
  }

  /**
   * Copies files and directories from the daemon's system into the local `destDir`, as
   * ops' `Container.pull_path` (same rules as {@linkcode Client.pushPath}).
   */
  async pullPath(sources: string | string[], destDir: string): Promise<void> {
    const files = await import("./files.ts");
    await files.pullPath(this, sources, destDir);
  }

  /** Whether a path exists on the daemon's system (as ops' `Container.exists`). */
  async exists(path: string): Promise<boolean> {
    const files = await import("./files.ts");
    return await files.probe(this, path, false);
  }

  /** Whether a directory exists at a path on the daemon's system (ops' `isdir`). */
  async isDir(path: string): Promise<boolean> {
    const files = await import("./files.ts");
    return await files.probe(this, path, true);
  }

  // ---- exec ----

  /**
   * Runs a command on the daemon's system (`POST /v1/exec` and its WebSockets) and
   * returns the running {@linkcode ExecProcess}, as ops' `Client.exec`. With the default
   * `encoding` ("utf-8") its streams and output are text; with `encoding: null`, bytes.
   * Throws {@linkcode APIError} when the command cannot be started (not found, unknown
   * user) and {@linkcode ChangeError} when the daemon fails it before it runs.
   *
   * @example
   * ```ts
   * import { Client, ExecError } from "@pebble/pebble";
   *
   * using client = new Client();
   * const { stdout } = await (await client.exec(["python3", "--version"])).waitOutput();
   * const proc = await client.exec(["awk", "{ print toupper($0) }"], { stdin: "foo\nbar\n" });
   * console.log(stdout, (await proc.waitOutput()).stdout); // "FOO\nBAR\n"
   * try {
   *   await (await client.exec(["false"])).wait();
   * } catch (err) {
   *   if (err instanceof ExecError) console.log(err.exitCode); // 1
   * }
   * ```
   */
  exec(
    command: string[],
    options: ExecOptions & { encoding: null },
  ): Promise<ExecProcess<Uint8Array>>;
  /** Runs a command with text streams (see the overload above). */
  exec(command: string[], options?: ExecOptions): Promise<ExecProcess<string>>;
  async exec(
    command: string[],
    options: ExecOptions = {},
  ): Promise<ExecProcess<string> | ExecProcess<Uint8Array>> {
    const mod = await import("./exec.ts");
    return await mod.exec(this, command, options) as ExecProcess<string>;
  }

  // ---- health checks ----

  /**
   * Lists health checks and their status (`GET /v1/checks`), ordered by name; `level`
   * and `names` narrow the list.
   *
   * @example
   * ```ts
   * import { Client } from "@pebble/pebble";
   *
   * using client = new Client();
   * for (const c of await client.getChecks({ level: "alive" })) {
   *   console.log(c.name, c.status, `${c.failures}/${c.threshold}`, c.changeId);
   * }
   * ```
   */
  async getChecks(options: CheckQueryOptions = {}): Promise<CheckInfo[]> {
    const resp = await this.request("GET", "/v1/checks", { query: checkQuery(options) });
    return parseArray(resp.result, "checks", parseCheckInfo);
  }

  /** Starts the named checks that are not running; returns the names it started. */
  async startChecks(names: string[]): Promise<string[]> {
    return await this.#checksAction("start", names);
  }

  /** Stops the named checks that are running; returns the names it stopped. */
  async stopChecks(names: string[]): Promise<string[]> {
    return await this.#checksAction("stop", names);
  }

  async #checksAction(action: string, names: string[]): Promise<string[]> {
    const resp = await this.request("POST", "/v1/checks", { body: { action, checks: names } });
    const changed = (resp.result as { changed?: unknown } | null)?.changed;
    return parseArray(changed ?? [], "changed checks", String);
  }

  /**
   * Runs a check now (`POST /v1/checks/refresh`) and returns its status with the run's
   * error (`null` when it passed). A running check counts the result; an inactive one
   * runs without changing its status.
   */
  async refreshCheck(name: string): Promise<RefreshCheckResult> {
    const resp = await this.request("POST", "/v1/checks/refresh", { body: { name } });
    const result = (resp.result ?? {}) as { info?: unknown; error?: unknown };
    return {
      info: parseCheckInfo(result.info),
      error: typeof result.error === "string" && result.error !== "" ? result.error : null,
    };
  }

  /**
   * Whether the checks are healthy (`GET /v1/health`): none of those that match is
   * down. With `level: "ready"`, alive checks count too. The daemon answers an unhealthy
   * result with status 502, which this returns as `false`, not as an error.
   */
  async getHealth(options: CheckQueryOptions = {}): Promise<boolean> {
    let result: unknown;
    try {
      result = (await this.request("GET", "/v1/health", { query: checkQuery(options) })).result;
    } catch (err) {
      if (!(err instanceof APIError && err.code === 502 && err.body.type === "sync")) throw err;
      result = err.body.result;
    }
    const healthy = (result as { healthy?: unknown } | null)?.healthy;
    if (typeof healthy !== "boolean") {
      throw new ProtocolError(`cannot parse health from Pebble: ${JSON.stringify(result)}`);
    }
    return healthy;
  }

  // ---- identities and metrics ----

  /**
   * Returns the daemon's identities by name (`GET /v1/identities`); passwords and
   * certificates come back as `"*****"`.
   *
   * ```ts
   * import { Client } from "@pebble/pebble";
   *
   * using client = new Client();
   * for (const [name, id] of Object.entries(await client.getIdentities())) {
   *   console.log(name, id.access, id.local?.userId);
   * }
   * ```
   */
  async getIdentities(): Promise<Record<string, Identity>> {
    return parseIdentities((await this.request("GET", "/v1/identities")).result);
  }

  /** Adds identities; none of the names may exist yet (all or nothing). */
  async addIdentities(identities: Record<string, Identity>): Promise<void> {
    await this.#postIdentities("add", identities);
  }

  /** Updates identities; all of the names must exist (all or nothing). */
  async updateIdentities(identities: Record<string, Identity>): Promise<void> {
    await this.#postIdentities("update", identities);
  }

  /**
   * Adds or updates the named identities, and removes those given as `null` (ops'
   * `replace_identities`).
   *
   * ```ts
   * import { Client } from "@pebble/pebble";
   *
   * using client = new Client();
   * await client.replaceIdentities({
   *   alice: { access: "admin", local: { userId: 1000 } },
   *   prom: { access: "metrics", basic: { password: "$6$salt$hash..." } },
   *   bob: null,
   * });
   * ```
   */
  async replaceIdentities(identities: Record<string, Identity | null>): Promise<void> {
    await this.#postIdentities("replace", identities);
  }

  /** Removes the named identities; all of them must exist. */
  async removeIdentities(names: Iterable<string>): Promise<void> {
    const identities: Record<string, null> = {};
    for (const name of names) identities[name] = null;
    await this.#postIdentities("remove", identities);
  }

  async #postIdentities(action: string, identities: Record<string, Identity | null>) {
    const body: Record<string, unknown> = {};
    for (const [name, id] of Object.entries(identities)) {
      body[name] = id === null ? null : identityToJson(id);
    }
    await this.request("POST", "/v1/identities", { body: { action, identities: body } });
  }

  /**
   * Returns the daemon's metrics (`GET /v1/metrics`) as OpenMetrics text: service
   * activity and start counts, check status and run counts.
   *
   * ```ts
   * import { Client } from "@pebble/pebble";
   *
   * using client = new Client();
   * const text = await client.getMetrics();
   * console.log(text.match(/^pebble_service_start_count\{service="web"\} (\d+)$/m)?.[1]);
   * ```
   */
  async getMetrics(): Promise<string> {
    const response = await this.requestRaw("GET", "/v1/metrics");
    const text = await response.text();
    if (response.status >= 400) this.#decode(response, text);
    return text;
  }

  // ---- low level ----

  /**
   * Sends a request and decodes Pebble's JSON envelope. Throws {@linkcode APIError} for
   * error responses. For endpoints this class does not wrap yet.
   *
   * @example
   * ```ts
   * import { Client } from "@pebble/pebble";
   *
   * using client = new Client();
   * const resp = await client.request("GET", "/v1/services", { query: { names: "srv1" } });
   * console.log(resp.result);
   * ```
   */
  async request(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse> {
    const headers: Record<string, string> = { Accept: "application/json", ...options.headers };
    let body: string | undefined;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers["Content-Type"] = "application/json";
    }
    const { response, done, signal } = await this.#send(method, path, {
      ...options,
      headers,
      body,
    });
    let text: string;
    try {
      text = await response.text();
    } catch (err) {
      throw this.#failure(err, signal);
    } finally {
      done();
    }
    return this.#decode(response, text);
  }

  /**
   * Sends a request and returns the raw `Response`, whatever its status, with the body
   * as a stream; the client timeout covers only the wait for the response headers.
   * The caller must consume or cancel the body.
   */
  async requestRaw(
    method: string,
    path: string,
    options: Omit<RequestOptions, "body"> & { body?: BodyInit | null } = {},
  ): Promise<Response> {
    const { response, done } = await this.#send(method, path, options);
    done();
    return response;
  }

  // ---- internals ----

  #url(path: string, query?: Query): string {
    let url = this.baseUrl + (path.startsWith("/") ? path : `/${path}`);
    if (query) {
      const params = new URLSearchParams();
      for (const [key, value] of Object.entries(query)) {
        if (value === undefined) continue;
        if (Array.isArray(value)) { for (const v of value) params.append(key, v); }
        else params.append(key, String(value));
      }
      const qs = params.toString();
      if (qs) url += `?${qs}`;
    }
    return url;
  }

  #client(): UnixHttp | undefined {
    if (this.#closed) throw new ConnectionError("the Pebble client has been closed");
    if (this.socketPath === undefined) return undefined;
    this.#httpClient ??= new UnixHttp(this.socketPath);
    return this.#httpClient;
  }

  async #send(
    method: string,
    path: string,
    options: Omit<RequestOptions, "body"> & { body?: BodyInit | null },
  ): Promise<{ response: Response; done: () => void; signal: AbortSignal }> {
    const timeout = options.timeout === undefined ? this.timeout : options.timeout;
    const timer = new AbortController();
    const handle = timeout === null ? undefined : setTimeout(() => {
      timer.abort(new TimeoutError(`timed out after ${timeout}s waiting for ${this.#where()}`));
    }, timeout * 1000);
    const done = () => clearTimeout(handle);
    const signal = options.signal ? AbortSignal.any([options.signal, timer.signal]) : timer.signal;
    const headers = new Headers(options.headers);
    if (this.userAgent !== undefined) headers.set("User-Agent", this.userAgent);
    try {
      const unix = this.#client();
      const url = this.#url(path, options.query);
      let response: Response;
      if (unix) {
        let body = options.body;
        if (
          body && typeof body !== "string" && !(body instanceof Uint8Array) &&
          !(body instanceof ReadableStream)
        ) {
          // FormData, Blob, URLSearchParams...: let Response encode it.
          const encoded = new Response(body);
          if (!headers.has("content-type")) {
            headers.set("content-type", encoded.headers.get("content-type") ?? "");
          }
          body = encoded.body;
        }
        const target = url.slice(this.baseUrl.length) || "/";
        response = await unix.fetch(method, target, headers, body as Body, signal);
      } else {
        response = await fetch(url, { method, headers, body: options.body, signal });
      }
      return { response, done, signal: timer.signal };
    } catch (err) {
      done();
      // What the caller's body threw is theirs to see as it is (ops lets a file's error
      // through the same way), not a connection problem.
      if (err instanceof BodySourceError) throw err.error;
      throw await this.#connectFailure(err, timer.signal, options.signal);
    }
  }

  #where(): string {
    return this.socketPath === undefined ? this.baseUrl : `socket ${this.socketPath}`;
  }

  #failure(err: unknown, timerSignal: AbortSignal): unknown {
    if (timerSignal.aborted) return timerSignal.reason;
    if (err instanceof DOMException && err.name === "AbortError") return err;
    const detail = (err as Error)?.cause ?? err;
    return new ConnectionError(
      `cannot communicate with Pebble at ${this.#where()}: ${errorText(detail)}`,
      { cause: err },
    );
  }

  async #connectFailure(
    err: unknown,
    timerSignal: AbortSignal,
    userSignal?: AbortSignal,
  ): Promise<unknown> {
    if (err instanceof ConnectionError) return err;
    if (timerSignal.aborted) return timerSignal.reason;
    if (userSignal?.aborted) return userSignal.reason;
    if (this.socketPath !== undefined) {
      try {
        await Deno.stat(this.socketPath);
      } catch (statErr) {
        if (statErr instanceof Deno.errors.NotFound) {
          return new ConnectionError(
            `cannot connect to Pebble: socket not found at ${this.socketPath}`,
            { cause: err },
          );
        }
      }
    }
    const detail = (err as Error)?.cause ?? err;
    return new ConnectionError(
      `cannot connect to Pebble at ${this.#where()}: ${errorText(detail)}`,
      { cause: err },
    );
  }

  #decode(response: Response, text: string): ApiResponse {
    const code = response.status;
    let body: unknown;
    let parseError: string | undefined;
    try {
      body = JSON.parse(text);
    } catch (err) {
      parseError = (err as Error).message;
    }
    const envelope = typeof body === "object" && body !== null && !Array.isArray(body)
      ? body as JsonObject
      : undefined;

    if (envelope) this.#noteMaintenance(envelope, code);

    if (code >= 400 || envelope?.type === "error") {
      const result = envelope && typeof envelope.result === "object" && envelope.result !== null
        ? envelope.result as JsonObject
        : undefined;
      const status = typeof envelope?.status === "string" && envelope.status !== ""
        ? envelope.status
        : response.statusText;
      let message: string;
      if (typeof result?.message === "string" && result.message !== "") {
        message = result.message;
      } else if (parseError !== undefined) {
        message = `${code} ${response.statusText}: response is not JSON (${parseError})`;
      } else {
        message = `server error: ${code} ${status}`;
      }
      throw new APIError(envelope ?? {}, code, status, message, {
        kind: typeof result?.kind === "string" && result.kind !== "" ? result.kind : undefined,
        value: result?.value,
      });
    }

    const contentType = response.headers.get("content-type") ?? "";
    if (!/^application\/json\s*(;|$)/i.test(contentType)) {
      throw new ProtocolError(
        `expected Content-Type "application/json" from Pebble, got ${JSON.stringify(contentType)}`,
      );
    }
    if (parseError !== undefined) {
      throw new ProtocolError(`cannot decode Pebble's response as JSON: ${parseError}`);
    }
    if (!envelope || typeof envelope.type !== "string") {
      throw new ProtocolError(`Pebble's response is not an API envelope: ${text.slice(0, 200)}`);
    }
    if (envelope.type !== "sync" && envelope.type !== "async") {
      throw new ProtocolError(`unexpected response type ${JSON.stringify(envelope.type)}`);
    }
    if (envelope.type === "async" && typeof envelope.change !== "string") {
      throw new ProtocolError("async response without a change ID");
    }
    const latest = envelope["latest-warning"];
    this.#latestWarning = null;
    if (typeof latest === "string") {
      try {
        this.#latestWarning = parseTime(latest);
      } catch {
        // not worth failing the request over
      }
    }
    const resp: ApiResponse = {
      type: envelope.type,
      statusCode: typeof envelope["status-code"] === "number" ? envelope["status-code"] : code,
      status: typeof envelope.status === "string" ? envelope.status : response.statusText,
      result: envelope.result,
      headers: response.headers,
    };
    if (typeof envelope.change === "string") resp.change = envelope.change;
    return resp;
  }

  #noteMaintenance(envelope: JsonObject, code: number): void {
    const m = envelope.maintenance;
    if (typeof m === "object" && m !== null) {
      const mo = m as JsonObject;
      const message = typeof mo.message === "string" ? mo.message : "daemon is in maintenance";
      const kind = typeof mo.kind === "string" ? mo.kind : undefined;
      this.#maintenance = new APIError(envelope, code, "", message, { kind, value: mo.value });
    } else {
      this.#maintenance = null;
    }
  }
}

/**
 * The socket path Pebble's CLI uses: `$PEBBLE_SOCKET`, else `$PEBBLE/.pebble.socket`,
 * else {@linkcode DEFAULT_SOCKET_PATH}. `getEnv` reads a variable (default
 * `Deno.env.get`; without permission to read the environment, the default path is used).
 */
export function defaultSocketPath(
  getEnv: (name: string) => string | undefined = (name) => Deno.env.get(name),
): string {
  try {
    const socket = getEnv("PEBBLE_SOCKET");
    if (socket) return socket;
    const dir = getEnv("PEBBLE");
    if (dir) return `${dir.replace(/\/+$/, "")}/.pebble.socket`;
  } catch {
    // no permission to read the environment: use the default
  }
  return DEFAULT_SOCKET_PATH;
}

function isLayerLike(value: unknown): value is { toYaml(): string } {
  return typeof value === "object" && value !== null &&
    typeof (value as { toYaml?: unknown }).toYaml === "function";
}

function noticesQuery(options: GetNoticesOptions): Query {
  const after = options.after instanceof Date ? options.after.toISOString() : options.after;
  return {
    users: options.users,
    "user-id": options.userId === undefined ? undefined : String(options.userId),
    types: options.types,
    keys: options.keys,
    after,
  };
}

function errorText(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  // Drop the fetch wrapping ("error sending request for url (...): client error (Connect): ").
  return text.replace(/^error sending request for url \([^)]*\): /, "")
    .replace(/^client error \(\w+\): /, "");
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
