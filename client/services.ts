// Services, signals and logs on the client side (ops' get_services, start_services,
// stop_services, restart_services, autostart_services, replan_services, send_signal, and
// Pebble's log endpoint). Loaded on first use by the Client's service methods; the
// types are exported through mod.ts.

import { SIGNAL_NAMES } from "./_signals.ts";
import type { Client } from "./client.ts";
import { ChangeError, ProtocolError } from "./errors.ts";
import { parseTime } from "./_time.ts";

/** Whether a service starts automatically (`startup` in the plan). */
export type ServiceStartup = "enabled" | "disabled";

/** A service's current status: `active`, `inactive`, `backoff` or `error`. */
export type ServiceStatus = "active" | "inactive" | "backoff" | "error";

/** A service's status as the daemon reports it (ops' `ServiceInfo`). */
export class ServiceInfo {
  /** The service name. */
  readonly name: string;
  /** Whether the service starts automatically. */
  readonly startup: ServiceStartup | string;
  /** The service's current status. */
  readonly current: ServiceStatus | string;
  /** When `current` last changed; `null` for a service never started. */
  readonly currentSince: Date | null;

  /** Builds the object from its fields. */
  constructor(
    name: string,
    startup: ServiceStartup | string,
    current: ServiceStatus | string,
    currentSince: Date | null = null,
  ) {
    this.name = name;
    this.startup = startup;
    this.current = current;
    this.currentSince = currentSince;
  }

  /** Whether the service is running (its status is `active`). */
  isRunning(): boolean {
    return this.current === "active";
  }

  /** Builds the object from the API's JSON (`current-since` and all). */
  static fromJSON(raw: Record<string, unknown>): ServiceInfo {
    const since = typeof raw["current-since"] === "string" ? raw["current-since"] : "";
    return new ServiceInfo(
      String(raw.name ?? ""),
      String(raw.startup ?? ""),
      String(raw.current ?? ""),
      since ? parseTime(since) : null,
    );
  }
}

/** Options of the service actions (`startServices` and friends). */
export interface ServiceActionOptions {
  /**
   * Seconds to wait for the change; `0` returns at once with the change ID. A change
   * that fails throws {@linkcode ChangeError}. Default 30, as ops.
   */
  timeout?: number;
  /** Seconds between polls when the daemon has no wait endpoint (default 0.1). */
  delay?: number;
}

/** One line of service output (`GET /v1/logs`). */
export interface LogEntry {
  /** When the line was written. */
  time: Date;
  /** The service that wrote it. */
  service: string;
  /** The text, without its newline. */
  message: string;
}

/** Options of `getLogs` and `followLogs`. */
export interface LogsOptions {
  /** Services to read (default: all). */
  services?: string[];
  /**
   * How many of the latest lines to return across the services: a number, or `"all"`.
   * Default 30 for `getLogs`, 0 for `followLogs` (only new lines).
   */
  n?: number | "all";
  /** Stops following (ends the iteration) when aborted. */
  signal?: AbortSignal;
}

/** Sends a service action and waits for its change as ops does; returns the change ID. */
export async function serviceAction(
  client: Client,
  action: string,
  services: string[],
  options: ServiceActionOptions = {},
): Promise<string> {
  const resp = await client.request("POST", "/v1/services", { body: { action, services } });
  const changeId = resp.change;
  if (typeof changeId !== "string") throw new ProtocolError("response has no change ID");
  const timeout = options.timeout ?? 30;
  if (timeout) {
    const change = await client.waitChange(changeId, { timeout, delay: options.delay });
    if (change.err) throw new ChangeError(change.err, change);
  }
  return changeId;
}

/** Lists services (`GET /v1/services`). */
export async function getServices(client: Client, names?: string[]): Promise<ServiceInfo[]> {
  const resp = await client.request("GET", "/v1/services", {
    query: names && names.length > 0 ? { names: names.join(",") } : undefined,
  });
  const result = Array.isArray(resp.result) ? resp.result : [];
  return result.map((r) => ServiceInfo.fromJSON(r as Record<string, unknown>));
}

/** Sends a signal (`"SIGHUP"` or a Linux signal number) to services (`POST /v1/signals`). */
export async function sendSignal(
  client: Client,
  signal: string | number,
  services: string[],
): Promise<void> {
  const name = typeof signal === "number" ? SIGNAL_NAMES[signal] ?? String(signal) : signal;
  await client.request("POST", "/v1/signals", { body: { signal: name, services } });
}

function logsQuery(options: LogsOptions, follow: boolean): Record<string, string> {
  const q: Record<string, string> = {};
  if (options.services && options.services.length > 0) q.services = options.services.join(",");
  if (options.n !== undefined) q.n = options.n === "all" ? "-1" : String(options.n);
  if (follow) q.follow = "true";
  return q;
}

function parseLogLine(line: string): LogEntry {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(line);
  } catch {
    throw new ProtocolError(`cannot decode log entry: ${line}`);
  }
  return {
    time: parseTime(String(raw.time ?? "")),
    service: String(raw.service ?? ""),
    message: String(raw.message ?? ""),
  };
}

/** Streams log entries from a `/v1/logs` response body. */
async function* readLogs(
  client: Client,
  options: LogsOptions,
  follow: boolean,
): AsyncGenerator<LogEntry, void, undefined> {
  const response = await client.requestRaw("GET", "/v1/logs", {
    query: logsQuery(options, follow),
    signal: options.signal,
  });
  if (response.status !== 200) {
    // An error envelope: let the JSON client decode it into an APIError.
    const text = await response.text();
    let message = text;
    try {
      message = JSON.parse(text)?.result?.message ?? text;
    } catch {
      // not JSON
    }
    const { APIError } = await import("./errors.ts");
    throw new APIError(
      { type: "error", "status-code": response.status, result: { message } },
      response.status,
      response.statusText,
      message,
    );
  }
  if (!response.body) return;
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  const onAbort = () => reader.cancel().catch(() => {});
  options.signal?.addEventListener("abort", onAbort, { once: true });
  let pending = "";
  try {
    for (;;) {
      let chunk;
      try {
        chunk = await reader.read();
      } catch (err) {
        if (options.signal?.aborted) return;
        throw err;
      }
      if (chunk.done) break;
      pending += chunk.value;
      let nl;
      while ((nl = pending.indexOf("\n")) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        if (line.trim() !== "") yield parseLogLine(line);
      }
    }
    if (pending.trim() !== "") yield parseLogLine(pending);
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
    await reader.cancel().catch(() => {});
  }
}

/** The latest buffered log lines (`GET /v1/logs`). */
export async function getLogs(client: Client, options: LogsOptions = {}): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  for await (const e of readLogs(client, options, false)) out.push(e);
  return out;
}

/** Follows service logs (`GET /v1/logs?follow=true`) until `signal` aborts. */
export function followLogs(
  client: Client,
  options: LogsOptions = {},
): AsyncGenerator<LogEntry, void, undefined> {
  return readLogs(client, options, true);
}
