/**
 * The service manager: owns one {@link ServiceData} per service that was ever started,
 * turns API requests into changes with one task per service in dependency lanes (as
 * Pebble's servstate does), runs the `start` and `stop` tasks, reacts to check
 * failures, and stops everything when the daemon shuts down.
 *
 * @module
 */

import { type Plan, PlanError, type Service, startLanes, stopLanes } from "../../plan/mod.ts";
import type { PlanManager } from "../plan_manager.ts";
import type { Change, Task } from "../state/change.ts";
import type { State } from "../state/state.ts";
import type { TaskRunner } from "../state/task_runner.ts";
import { logNotice } from "../log.ts";
import { formatEntry, type LogBuffer } from "../logs/mod.ts";
import {
  ServiceData,
  type ServiceHost,
  type ServiceStatus,
  type ShutdownKind,
  stateToStatus,
} from "./service.ts";

/** A service as `GET /v1/services` lists it. */
export interface ServiceInfo {
  name: string;
  startup: "enabled" | "disabled";
  current: ServiceStatus;
  currentSince?: Date;
}

/** A request the API should answer with 400 (the message is Pebble's). */
export class ServiceRequestError extends Error {
  override name = "ServiceRequestError";
  constructor(message: string, readonly kind?: "no-default-services") {
    super(message);
  }
}

/** How the manager is set up. */
export interface ServiceManagerOptions {
  state: State;
  runner: TaskRunner;
  plan: PlanManager;
  /** Called when a service's action asks the daemon to exit. */
  onShutdown?: (kind: ShutdownKind) => void;
  /** Called with every new log entry of every service (`--verbose`). */
  onLog?: (buffer: LogBuffer) => void;
  /** The okay delay (ms); 1000 as in Pebble. */
  okayDelayMs?: number;
  /** Randomness for backoff jitter. */
  random?: () => number;
}

const ACTION_TITLE: Record<string, string> = {
  start: "Start",
  stop: "Stop",
  restart: "Restart",
  autostart: "Autostart",
  replan: "Replan",
};

/** Canonical JSON of a service config, to tell whether it changed. */
function configKey(s: Service): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v && typeof v === "object") {
      return Object.fromEntries(
        Object.keys(v).sort().map((k) => [k, sort((v as Record<string, unknown>)[k])]),
      );
    }
    return v;
  };
  return JSON.stringify(sort(s));
}

/** Lanes keeping only `names`, order kept, empty lanes dropped (Pebble's intersectOrdered). */
function intersectOrdered(names: string[], lanes: string[][]): string[][] {
  const keep = new Set(names);
  return lanes.map((l) => l.filter((n) => keep.has(n))).filter((l) => l.length > 0);
}

/** Supervises the plan's services. */
export class ServiceManager {
  private services = new Map<string, ServiceData>();
  private host: ServiceHost;
  private state: State;
  private planManager: PlanManager;
  private shuttingDown = false;

  constructor(private opts: ServiceManagerOptions) {
    this.state = opts.state;
    this.planManager = opts.plan;
    this.host = {
      okayDelayMs: opts.okayDelayMs ?? 1000,
      failDelayMs: 5000,
      defaultKillDelayMs: 5000,
      random: opts.random ?? Math.random,
      requestShutdown: (kind) => opts.onShutdown?.(kind),
      output: opts.onLog,
    };
    opts.runner.addHandler("start", (t, s) => this.doStart(t, s));
    opts.runner.addHandler("stop", (t, s) => this.doStop(t, s));
  }

  private plan(): Plan {
    return this.planManager.plan();
  }

  /** The plan's services (or those named), sorted by name, with their status. */
  list(names: string[] = []): ServiceInfo[] {
    const wanted = new Set(names);
    const out: ServiceInfo[] = [];
    for (const [name, config] of Object.entries(this.plan().services)) {
      if (wanted.size > 0 && !wanted.has(name)) continue;
      const info: ServiceInfo = {
        name,
        startup: config.startup === "enabled" ? "enabled" : "disabled",
        current: "inactive",
      };
      const s = this.services.get(name);
      if (s) {
        info.current = stateToStatus(s.state);
        info.currentSince = s.currentSince;
      }
      out.push(info);
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Each service ever started: whether it is active and its start count, by name (metrics). */
  serviceMetrics(): { name: string; active: boolean; startCount: number }[] {
    return [...this.services.keys()].sort().map((name) => {
      const s = this.services.get(name)!;
      return { name, active: stateToStatus(s.state) === "active", startCount: s.startCount };
    });
  }

  /** The services with `startup: enabled`, in start order. */
  defaultServiceNames(): string[] {
    const plan = this.plan();
    const names = Object.values(plan.services).filter((s) => s.startup === "enabled").map((s) =>
      s.name
    );
    return startLanes(plan, names).flat();
  }

  /**
   * Creates the change for a `POST /v1/services` action, as Pebble builds it (one task
   * per service, lanes of dependent services, stop tasks before start tasks for
   * restart and replan). Throws ServiceRequestError for bad requests.
   */
  async changeFor(action: string, names: string[]): Promise<Change> {
    switch (action) {
      case "replan":
      case "autostart":
        if (names.length !== 0) throw new ServiceRequestError(`${action} accepts no service names`);
        if (action === "autostart") {
          names = this.defaultServiceNames();
          if (names.length === 0) {
            throw new ServiceRequestError("no default services", "no-default-services");
          }
        }
        break;
      case "start":
      case "stop":
      case "restart":
        if (names.length === 0) {
          throw new ServiceRequestError(`must specify services for ${action} action`);
        }
        break;
      default:
        // Pebble checks the names first: an unknown action with no names reads so.
        if (names.length === 0) {
          throw new ServiceRequestError(`must specify services for ${action} action`);
        }
        throw new ServiceRequestError(`invalid action ${JSON.stringify(action)}`);
    }
    const plan = this.plan();
    let stop: string[][] = [];
    let start: string[][] = [];
    let lanes: string[][] = [];
    let summaryNames = names;
    try {
      switch (action) {
        case "start":
        case "autostart":
          lanes = start = startLanes(plan, names);
          break;
        case "stop":
          lanes = stop = stopLanes(plan, names);
          break;
        case "restart":
          stop = intersectOrdered(names, stopLanes(plan, names));
          lanes = start = startLanes(plan, names);
          break;
        case "replan": {
          [stop, start] = this.replanLanes(plan);
          summaryNames = [...new Set([...stop.flat(), ...start.flat()])].sort();
          lanes = [];
          break;
        }
      }
    } catch (e) {
      if (e instanceof PlanError) {
        throw new ServiceRequestError(`cannot ${action} services: ${e.message}`);
      }
      throw e;
    }
    const count = action === "replan" ? summaryNames.length : lanes.flat().length;
    const title = ACTION_TITLE[action];
    const st = this.state;
    let change: Change;
    if (stop.length === 0 && start.length === 0) {
      change = st.newChange(action, `${title} - no services`);
      change.setStatus("Done");
    } else {
      const first = JSON.stringify(summaryNames[0]);
      const summary = count === 1
        ? `${title} service ${first}`
        : `${title} service ${first} and ${count - 1} more`;
      change = st.newChange(action, summary);
      const stopTasks = this.addTasks(change, "stop", stop);
      const startTasks = this.addTasks(change, "start", start);
      for (const t of startTasks) for (const s of stopTasks) t.waitFor(s);
      if (summaryNames.length > 0) change.set("service-names", summaryNames);
    }
    await st.commit();
    this.opts.runner.ensure();
    return change;
  }

  private addTasks(change: Change, kind: "start" | "stop", lanes: string[][]): Task[] {
    const all: Task[] = [];
    const verb = kind === "start" ? "Start" : "Stop";
    for (const lane of lanes) {
      let prev: Task | undefined;
      for (const name of lane) {
        const t = this.state.newTask(kind, `${verb} service ${JSON.stringify(name)}`);
        t.set("service-request", { Name: name });
        if (prev) t.waitFor(prev);
        change.addTask(t);
        all.push(t);
        prev = t;
      }
    }
    return all;
  }

  /** Pebble's Replan: changed services are stopped then started; enabled ones started. */
  private replanLanes(plan: Plan): [string[][], string[][]] {
    const restart = new Set<string>();
    for (const [name, s] of this.services) {
      const config = plan.services[name];
      if (config && configKey(config) === configKey(s.config)) continue;
      if (config) s.config = structuredClone(config);
      restart.add(name);
    }
    const start = Object.values(plan.services)
      .filter((s) => restart.has(s.name) || s.startup === "enabled")
      .map((s) => s.name);
    return [stopLanes(plan, [...restart]), startLanes(plan, start)];
  }

  // --- tasks --------------------------------------------------------------------------

  private requestName(task: Task): string {
    const req = task.data["service-request"] as { Name?: string } | undefined;
    if (!req?.Name) throw new Error("internal error: task has no service request");
    return req.Name;
  }

  private async doStart(task: Task, signal: AbortSignal): Promise<void> {
    if (task.data.started) throw new Error("service already started, not retrying");
    const name = this.requestName(task);
    const config = this.plan().services[name];
    if (!config) throw new Error(`cannot find service ${JSON.stringify(name)} in plan`);

    let service = this.services.get(name);
    if (!service) {
      service = new ServiceData(structuredClone(config), this.host);
      this.services.set(name, service);
    } else {
      service.config = structuredClone(config);
      switch (service.state) {
        case "initial":
        case "starting":
        case "running":
          task.logf(`Service ${JSON.stringify(name)} already started.`);
          return;
        case "backoff":
        case "stopped":
        case "exited":
          service.dispose();
          service.backoffNum = 0;
          service.backoffTime = 0;
          service.transition("initial");
          break;
      }
    }
    task.set("started", true);
    service.start();
    const aborted = new Promise<"aborted">((resolve) => {
      if (signal.aborted) resolve("aborted");
      signal.addEventListener("abort", () => resolve("aborted"), { once: true });
    });
    const result = await Promise.race([service.started.promise, aborted]);
    if (result === "aborted") {
      if (this.shuttingDown) return; // the daemon stops services itself
      if (!service.abortStart()) {
        throw new Error("start aborted, but cannot send SIGKILL to process: no such process");
      }
      throw new Error("start aborted, sent SIGKILL to process");
    }
    if (result instanceof Error) {
      this.addLastLogs(task, service.logs);
      throw new Error(`service start attempt: ${result.message}`);
    }
  }

  private addLastLogs(task: Task, logs: LogBuffer): void {
    const n = 20;
    const text = logs.last(n + 1).map(formatEntry).join("").trim();
    if (text === "") return;
    const lines = text.split("\n");
    if (lines.length > n) lines[0] = "(...)";
    const prefix = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z \[[^\]]+\] /;
    task.logf(
      "Most recent service output:\n" + lines.map((l) => "    " + l.replace(prefix, "")).join("\n"),
    );
  }

  private async doStop(task: Task, _signal: AbortSignal): Promise<void> {
    const name = this.requestName(task);
    const service = this.services.get(name);
    const q = JSON.stringify(name);
    if (!service) {
      task.logf(`Service ${q} has never been started.`);
      return;
    }
    switch (service.state) {
      case "terminating":
      case "killing":
        task.logf(`Service ${q} already stopping.`);
        return;
      case "stopped":
        task.logf(`Service ${q} already stopped.`);
        return;
      case "exited":
        service.transition("stopped");
        task.logf(`Service ${q} had already exited.`);
        return;
    }
    service.stop();
    // Pebble cannot abort a stop either: the signals are sent; wait for the outcome.
    const err = await service.stopped.promise;
    if (err) throw new Error(`cannot stop service: ${err.message}`);
  }

  // --- signals, checks, logs ------------------------------------------------------------

  /** Sends `signal` to each named service; one error naming every service that failed. */
  sendSignal(names: string[], signal: string): void {
    const errors: string[] = [];
    for (const name of names) {
      const s = this.services.get(name);
      if (!s) {
        errors.push(`cannot send signal to ${JSON.stringify(name)}: service is not running`);
        continue;
      }
      try {
        s.sendSignal(signal);
      } catch (e) {
        errors.push(`cannot send signal to ${JSON.stringify(name)}: ${(e as Error).message}`);
      }
    }
    if (errors.length > 0) throw new Error(errors.join("; "));
  }

  /**
   * A health check failed (called by the check manager): every service that names the
   * check in `on-check-failure` reacts with its configured action.
   */
  checkFailed(checkName: string): void {
    for (const s of this.services.values()) {
      const action = s.config.onCheckFailure[checkName];
      if (action !== undefined) s.checkFailed(action);
    }
  }

  /** The log buffers of the named services that have ever been started. */
  logBuffers(names: string[]): Map<string, LogBuffer> {
    const out = new Map<string, LogBuffer>();
    for (const name of names) {
      const s = this.services.get(name);
      if (s) out.set(name, s.logs);
    }
    return out;
  }

  /** The PID of a service's current process (0 when it has none). */
  pidOf(name: string): number {
    const s = this.services.get(name);
    return s && stateToStatus(s.state) === "active" ? s.pid : 0;
  }

  /** The longest time stopping every service may take (Pebble's StopTimeout). */
  stopTimeoutMs(): number {
    let max = this.host.defaultKillDelayMs;
    for (const s of this.services.values()) {
      if (s.state === "starting" || s.state === "running" || s.state === "terminating") {
        max = Math.max(max, s.killDelayMs());
      }
    }
    return max + this.host.failDelayMs + 100;
  }

  /**
   * Daemon shutdown: one change stops every starting, running or backing-off service in
   * reverse dependency order, honouring kill-delay; waits up to `stopTimeoutMs()`.
   */
  async stopAll(): Promise<void> {
    const plan = this.plan();
    let lanes: string[][];
    try {
      lanes = stopLanes(plan, Object.keys(plan.services));
    } catch (e) {
      logNotice(`Cannot stop running services: ${(e as Error).message}`);
      return;
    }
    lanes = lanes.map((l) =>
      l.filter((n) => {
        const s = this.services.get(n);
        return s && (s.state === "starting" || s.state === "running" || s.state === "backoff");
      })
    ).filter((l) => l.length > 0);
    if (lanes.length === 0) return;
    logNotice("Stopping all running services.");
    const change = this.state.newChange("stop", "Stop all running services");
    this.addTasks(change, "stop", lanes);
    this.opts.runner.ensure();
    const timeout = this.stopTimeoutMs();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const ok = await Promise.race([
      change.ready().then(() => true),
      new Promise<false>((r) => timer = setTimeout(() => r(false), timeout)),
    ]);
    clearTimeout(timer);
    if (!ok) logNotice("Cannot stop running services: timeout stopping running services");
    this.shuttingDown = true;
    await this.state.commit().catch(() => {});
  }

  /** Drops timers; the daemon calls this last. */
  dispose(): void {
    this.shuttingDown = true;
    for (const s of this.services.values()) s.dispose();
  }
}
