/**
 * One service's state machine, following Pebble's servstate:
 *
 * ```
 * initial → starting ─(okay delay passes)→ running
 *              │ exits                        │ exits
 *              └──────────→ on-success / on-failure action:
 *                  restart  → backoff ─(delay)→ running (started again)
 *                  ignore   → stopped (exit 0) or exited (error)
 *                  shutdown / success-shutdown / failure-shutdown → exited, daemon exits
 * running|starting ─stop→ terminating ─(kill-delay)→ killing ─(5 s)→ stopped (error)
 *                              └────── process gone ─────→ stopped
 * backoff ─stop→ stopped
 * ```
 *
 * States map to the API's `current`: starting and running are `active`; terminating,
 * killing and stopped are `inactive`; backoff is `backoff`; exited is `error`.
 *
 * @module
 */

import { SIGNALS } from "../process/signals.ts";
import { formatDuration, parseCommand, type Service, type ServiceAction } from "../../plan/mod.ts";
import { logNotice } from "../log.ts";
import { LogBuffer, LogStreamWriter, pumpStream } from "../logs/mod.ts";
import { growPipe, identityFor, killGroup, killProcess, spawnProcess } from "../process/mod.ts";

/** Internal states (see the module doc). */
export type ServiceState =
  | "initial"
  | "starting"
  | "running"
  | "terminating"
  | "killing"
  | "stopped"
  | "backoff"
  | "exited";

/** A service's status as `GET /v1/services` reports it. */
export type ServiceStatus = "active" | "inactive" | "backoff" | "error";

/** Maps an internal state to the API's status. */
export function stateToStatus(state: ServiceState): ServiceStatus {
  switch (state) {
    case "starting":
    case "running":
      return "active";
    case "terminating":
    case "killing":
    case "stopped":
      return "inactive";
    case "backoff":
      return "backoff";
    default:
      return "error";
  }
}

/** Why the daemon is asked to exit. */
export type ShutdownKind = "success" | "service-failure" | "check-failure";

/** What a service needs from its manager. */
export interface ServiceHost {
  okayDelayMs: number;
  failDelayMs: number;
  defaultKillDelayMs: number;
  /** 0 ≤ x < 1. */
  random(): number;
  requestShutdown(kind: ShutdownKind): void;
  /** Called with each log entry when output is copied to stdout (`--verbose`). */
  output?: (buffer: LogBuffer) => void;
}

const NS_PER_MS = 1e6;

interface Waiter {
  resolve(err: Error | null): void;
  promise: Promise<Error | null>;
}

function waiter(): Waiter {
  let resolve!: (err: Error | null) => void;
  const promise = new Promise<Error | null>((r) => resolve = r);
  return { resolve, promise };
}

/** The action for an exit, and which setting chose it. */
export function actionFor(config: Service, success: boolean): [ServiceAction, string] {
  const action = success ? config.onSuccess : config.onFailure;
  return [action === "" ? "restart" : action, success ? "on-success" : "on-failure"];
}

/**
 * The next backoff delay in nanoseconds: the first is `backoff-delay`, then each is the
 * previous times `backoff-factor`, capped at `backoff-limit`.
 */
export function nextBackoff(config: Service, current: number): number {
  const limit = config.backoffLimit.value;
  if (current === 0) return config.backoffDelay.value;
  if (current >= limit) return limit;
  return Math.min(Math.floor(current * config.backoffFactor.value), limit);
}

/** A backoff delay plus Pebble's jitter: 0–10 % more, from `random` in [0, 1). */
export function withJitter(delayNs: number, random: number): number {
  return delayNs + random * 0.1 * delayNs;
}

/** One supervised service. */
export class ServiceData {
  state: ServiceState = "initial";
  currentSince = new Date();
  restarting = false;
  backoffNum = 0;
  /** Nanoseconds. */
  backoffTime = 0;
  startCount = 0;
  pid = 0;
  readonly logs: LogBuffer;
  /** Settles when the okay delay passes (null) or the start fails (error). */
  started: Waiter = waiter();
  /** Settles when a stop completes (null) or fails. */
  stopped: Waiter = waiter();
  private timers = new Set<ReturnType<typeof setTimeout>>();
  private resetTimer?: ReturnType<typeof setTimeout>;
  /** Resolves when the current process has exited and its output is read. */
  exitedPromise: Promise<void> = Promise.resolve();

  constructor(public config: Service, private host: ServiceHost) {
    this.logs = new LogBuffer(config.name);
    host.output?.(this.logs);
  }

  get name(): string {
    return this.config.name;
  }

  private after(ms: number, fn: () => void): ReturnType<typeof setTimeout> {
    const t = setTimeout(() => {
      this.timers.delete(t);
      try {
        fn();
      } catch (e) {
        logNotice(String((e as Error)?.message ?? e));
      }
    }, ms);
    this.timers.add(t);
    return t;
  }

  /** Changes state; `current-since` moves when the API status changes. */
  transition(state: ServiceState, restarting = false): void {
    if (stateToStatus(this.state) !== stateToStatus(state)) this.currentSince = new Date();
    this.state = state;
    this.restarting = restarting;
  }

  /** kill-delay in ms (the default when unset). */
  killDelayMs(): number {
    return this.config.killDelay.isSet
      ? this.config.killDelay.value / NS_PER_MS
      : this.host.defaultKillDelayMs;
  }

  /** Starts the process from the initial state; throws when it cannot be started. */
  start(): void {
    if (this.state !== "initial") throw new Error(`cannot start service while ${this.state}`);
    this.started = waiter();
    try {
      this.startInternal();
    } catch (e) {
      this.transition("stopped");
      throw e;
    }
    this.transition("starting");
    this.after(this.host.okayDelayMs, () => this.okayWaitElapsed());
  }

  private startInternal(): void {
    const { args, defaultArgs } = parseCommand(this.config.command, this.config.name);
    const argv = [...args, ...defaultArgs];
    const { user, env } = identityFor(
      {
        user: this.config.user,
        userId: this.config.userId,
        group: this.config.group,
        groupId: this.config.groupId,
      },
      { ...this.config.environment },
    );
    logNotice(`Service ${JSON.stringify(this.name)} starting: ${this.config.command}`);
    let proc;
    try {
      proc = spawnProcess({ argv, env, cwd: this.config.workingDir || undefined, user });
    } catch (e) {
      throw new Error(`cannot start service: ${(e as Error).message}`);
    }
    this.pid = proc.pid;
    this.startCount++;
    if (this.resetTimer !== undefined) clearTimeout(this.resetTimer);
    this.resetTimer = this.after(
      this.config.backoffLimit.value / NS_PER_MS,
      () => this.backoffResetElapsed(),
    );
    const pid = proc.pid;
    const out = pumpStream(proc.stdout!, new LogStreamWriter(this.logs), {
      onFlood: () => growPipe(pid, 1),
    });
    const err = pumpStream(proc.stderr!, new LogStreamWriter(this.logs), {
      onFlood: () => growPipe(pid, 2),
    });
    this.exitedPromise = proc.status.then(async (status) => {
      // Output still in the pipes belongs before the exit; a grandchild holding the
      // pipes open must not delay the exit, though (Pebble's WaitDelay).
      await Promise.race([
        Promise.all([out, err]),
        new Promise((r) => setTimeout(r, 50)),
      ]);
      if (this.pid === pid) this.exited(status.code);
    });
  }

  private okayWaitElapsed(): void {
    if (this.state !== "starting") return;
    this.started.resolve(null);
    this.transition("running");
  }

  /** The process ended with `code` (128 + signal for a signal). */
  private exited(code: number): void {
    if (this.resetTimer !== undefined) {
      clearTimeout(this.resetTimer);
      this.timers.delete(this.resetTimer);
      this.resetTimer = undefined;
    }
    const q = JSON.stringify(this.name);
    switch (this.state) {
      case "starting":
      case "running": {
        const [action, onType] = actionFor(this.config, code === 0);
        if (this.state === "starting") {
          this.started.resolve(new Error(`exited quickly with code ${code}, will ${action}`));
        }
        logNotice(`Service ${q} stopped unexpectedly with code ${code}`);
        switch (action) {
          case "ignore":
            logNotice(`Service ${q} ${onType} action is "ignore", not doing anything further`);
            this.transition(code === 0 ? "stopped" : "exited");
            break;
          case "shutdown": {
            const kind = code === 0 ? "success" : "failure";
            logNotice(`Service ${q} ${onType} action is "shutdown", triggering ${kind} shutdown`);
            this.transition("exited");
            this.host.requestShutdown(code === 0 ? "success" : "service-failure");
            break;
          }
          case "success-shutdown":
            logNotice(
              `Service ${q} ${onType} action is "success-shutdown", triggering success shutdown`,
            );
            this.transition("exited");
            this.host.requestShutdown("success");
            break;
          case "failure-shutdown":
            logNotice(
              `Service ${q} ${onType} action is "failure-shutdown", triggering failure shutdown`,
            );
            this.transition("exited");
            this.host.requestShutdown("service-failure");
            break;
          default:
            this.doBackoff(action, onType);
        }
        break;
      }
      case "terminating":
      case "killing":
        if (this.restarting) {
          logNotice(`Service ${q} exited after check failure, restarting`);
          this.doBackoff("restart", "on-check-failure");
        } else {
          logNotice(`Service ${q} stopped`);
          this.stopped.resolve(null);
          this.transition("stopped");
        }
        break;
      default:
        // stopped: SIGKILL after an aborted start; nothing to do.
    }
  }

  private doBackoff(action: string, onType: string): void {
    this.backoffNum++;
    this.backoffTime = nextBackoff(this.config, this.backoffTime);
    logNotice(
      `Service ${JSON.stringify(this.name)} ${onType} action is ${JSON.stringify(action)}, ` +
        `waiting ~${formatDuration(this.backoffTime)} before restart (backoff ${this.backoffNum})`,
    );
    this.transition("backoff");
    const delay = withJitter(this.backoffTime, this.host.random());
    this.after(delay / NS_PER_MS, () => this.backoffTimeElapsed());
  }

  private backoffTimeElapsed(): void {
    if (this.state !== "backoff") return;
    this.startInternal();
    this.transition("running");
  }

  private backoffResetElapsed(): void {
    this.resetTimer = undefined;
    if (this.state !== "running") return;
    this.backoffNum = 0;
    this.backoffTime = 0;
  }

  /** Starts stopping: SIGTERM to the group now, SIGKILL after kill-delay. */
  stop(): void {
    this.stopped = waiter();
    switch (this.state) {
      case "starting":
        this.started.resolve(
          new Error(
            `stopped before the ${formatDuration(this.host.okayDelayMs * NS_PER_MS)} okay delay`,
          ),
        );
        // falls through
      case "running":
        this.terminate(false);
        break;
      case "backoff":
        logNotice(`Service ${JSON.stringify(this.name)} stopped while waiting for backoff`);
        this.stopped.resolve(null);
        this.transition("stopped");
        break;
      default:
        throw new Error(`cannot stop service while ${this.state}`);
    }
  }

  private terminate(restarting: boolean): void {
    if (!killGroup(this.pid, "SIGTERM")) {
      logNotice(`Cannot send SIGTERM to process: no such process`);
    }
    this.transition("terminating", restarting);
    this.after(this.killDelayMs(), () => this.terminateTimeElapsed());
  }

  private terminateTimeElapsed(): void {
    if (this.state !== "terminating") return;
    if (!killGroup(this.pid, "SIGKILL")) {
      logNotice(`Cannot send SIGKILL to process: no such process`);
    }
    this.transition("killing", this.restarting);
    this.after(this.host.failDelayMs, () => this.killTimeElapsed());
  }

  private killTimeElapsed(): void {
    if (this.state !== "killing") return;
    logNotice(`Service ${JSON.stringify(this.name)} still running after SIGTERM and SIGKILL`);
    if (!this.restarting) {
      this.stopped.resolve(new Error("process still running after SIGTERM and SIGKILL"));
    }
    this.transition("stopped");
  }

  /** Aborted start: SIGKILL the group and forget the process. */
  abortStart(): boolean {
    this.transition("stopped");
    return killGroup(this.pid, "SIGKILL");
  }

  /** Sends a signal to the service's process (not its group, as Pebble does). */
  sendSignal(signal: string): void {
    switch (this.state) {
      case "starting":
      case "running":
        if (!SIGNALS.has(signal)) throw new Error(`invalid signal name ${JSON.stringify(signal)}`);
        logNotice(`Sending ${signal} to service ${JSON.stringify(this.name)}`);
        if (!killProcess(this.pid, signal as Deno.Signal)) throw new Error("no such process");
        break;
      case "backoff":
      case "terminating":
      case "killing":
      case "stopped":
      case "exited":
        throw new Error("service is not running");
      default:
        throw new Error(`invalid in state ${JSON.stringify(this.state)}`);
    }
  }

  /** A check named in `on-check-failure` failed; `action` is the configured reaction. */
  checkFailed(action: ServiceAction): void {
    const q = JSON.stringify(this.name);
    if (this.state !== "running" && this.state !== "backoff" && this.state !== "exited") return;
    switch (action) {
      case "ignore":
        return;
      case "shutdown":
        logNotice(
          `Service ${q} on-check-failure action is "shutdown", triggering failure shutdown`,
        );
        this.host.requestShutdown("check-failure");
        return;
      case "success-shutdown":
        logNotice(
          `Service ${q} on-check-failure action is "success-shutdown", triggering success shutdown`,
        );
        this.host.requestShutdown("success");
        return;
      case "restart":
      case "":
        if (this.state === "running") {
          logNotice(
            `Service ${q} on-check-failure action is "restart", terminating process before restarting`,
          );
          this.terminate(true);
        } else if (this.state === "backoff") {
          logNotice(
            `Service ${q} on-check-failure action is "restart", waiting for current backoff`,
          );
        } else {
          this.doBackoff("restart", "on-check-failure");
        }
        return;
      default:
        logNotice(
          `Internal error: unexpected action ${JSON.stringify(action)} handling check failure ` +
            `for service ${q}`,
        );
    }
  }

  /** Drops pending timers (daemon shutdown). */
  dispose(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
