/**
 * The check manager: runs the plan's health checks as Pebble's checkstate does.
 *
 * A check that is running has a change: `perform-check` while it is up, `recover-check`
 * while it is down. A `perform-check` change ends in Error when the failures reach the
 * threshold (the failure handlers are told first, for `on-check-failure`), and a
 * `recover-check` change takes over; that one ends Done at the first success and a new
 * `perform-check` change follows. Each of these status changes records a change-update
 * notice with the check's name in its data: what Juju turns into the charm's
 * `pebble-check-failed` and `pebble-check-recovered` events.
 *
 * A new plan stops the changes of checks that were removed or changed and starts
 * changed and new ones (those not `startup: disabled`); checks whose definition is the
 * same keep running with their counters. A stopped check is `inactive` and keeps the
 * counters it had.
 *
 * ```ts
 * const checks = new CheckManager(state, runner, planManager);
 * checks.onCheckFailed((name) => services.checkFailed(name));
 * checks.start(); // after the state is loaded, before the task runner first runs
 * ```
 *
 * @module
 */

import {
  type Check,
  type CheckLevel,
  copyCheck,
  mergeServiceContext,
  type Plan,
} from "../../plan/mod.ts";
import type { PlanManager } from "../plan_manager.ts";
import type { Change, Task } from "../state/change.ts";
import type { State } from "../state/state.ts";
import type { TaskRunner } from "../state/task_runner.ts";
import { isReady } from "../state/status.ts";
import { logNotice } from "../log.ts";
import { checkType, errorDetails, newChecker } from "./checker.ts";
import { CheckLoop, LOOP_ENDED, type RunOutcome } from "./check_loop.ts";

/** The kind of the change that drives a check while it is up. */
export const PERFORM_CHECK = "perform-check";
/** The kind of the change that drives a check while it is down. */
export const RECOVER_CHECK = "recover-check";
const DETAILS = "check-details";
const NO_PRUNE = "check-no-prune";

/** A check's status: `up`, `down` (failures reached the threshold) or `inactive`. */
export type CheckStatus = "up" | "down" | "inactive";

/** The status of one check, as `GET /v1/checks` reports it. */
export interface CheckInfo {
  name: string;
  level: CheckLevel;
  startup: "enabled" | "disabled";
  status: CheckStatus;
  successes: number;
  failures: number;
  threshold: number;
  changeId: string;
  prevChangeId: string;
}

interface CheckData extends CheckInfo {
  successMetric: number;
  failureMetric: number;
}

/** The check details kept in a check task's data (Pebble's `check-details`). */
interface CheckDetails {
  name: string;
  failures: number;
  successes: number;
  proceed?: boolean;
}

/** Start or stop named checks that are not all in the plan. */
export class ChecksNotFoundError extends Error {
  constructor(readonly names: string[]) {
    super(`cannot find checks in plan: ${[...names].sort().join(", ")}`);
    this.name = "ChecksNotFoundError";
  }
}

/** The result of {@link CheckManager.refresh}: the check's status and the run's error. */
export interface RefreshResult {
  info: CheckInfo;
  /** The run's error with its details; "" when the check passed. */
  error: string;
}

/** Runs the plan's health checks. */
export class CheckManager {
  private checks = new Map<string, CheckData>();
  /** The (service-context-merged) definition each live check change runs, by change ID. */
  private configs = new Map<string, Check>();
  /** The loop of each running check task, by change ID. */
  private loops = new Map<string, CheckLoop>();
  private failureHandlers: ((name: string) => void)[] = [];
  private started = false;

  constructor(
    private state: State,
    private runner: TaskRunner,
    private plans: PlanManager,
  ) {
    runner.addHandler(PERFORM_CHECK, (task, signal) => this.runTask(task, signal));
    runner.addHandler(RECOVER_CHECK, (task, signal) => this.runTask(task, signal));
    state.onTaskStatus((task) => this.taskStatusChanged(task));
    plans.onPlanChanged((plan) => {
      if (this.started) this.planChanged(plan);
    });
  }

  /**
   * Ends the check changes left running by a previous daemon and starts the checks of
   * the current plan. Call once the state is loaded and before the task runner runs.
   */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.planChanged(this.plans.plan());
  }

  /** Calls `fn` with the check's name whenever a check reaches its failure threshold. */
  onCheckFailed(fn: (name: string) => void): () => void {
    this.failureHandlers.push(fn);
    return () => {
      const i = this.failureHandlers.indexOf(fn);
      if (i >= 0) this.failureHandlers.splice(i, 1);
    };
  }

  /** Each known check's status and lifetime run counters, ordered by name (for metrics). */
  checkMetrics(): { name: string; status: CheckStatus; successes: number; failures: number }[] {
    return [...this.checks.keys()].sort().map((name) => {
      const d = this.checks.get(name)!;
      return { name, status: d.status, successes: d.successMetric, failures: d.failureMetric };
    });
  }

  /** Every known check, ordered by name. */
  checkInfos(): CheckInfo[] {
    const names = [...this.checks.keys()].sort();
    return names.map((n) => toInfo(this.checks.get(n)!));
  }

  /**
   * Starts the named checks that are not running; returns those it started.
   * @throws {ChecksNotFoundError} when a name is not in the plan (nothing is started).
   */
  startChecks(names: string[]): string[] {
    const plan = this.planWith(names);
    const started: string[] = [];
    for (const name of names) {
      const data = this.known(name);
      if (!data || data.changeId !== "") continue;
      this.startCheck(plan, plan.checks[name]);
      started.push(name);
    }
    this.runner.schedule();
    return started;
  }

  /**
   * Stops the named checks that are running (they become `inactive`, keeping their
   * counters); returns those it stopped.
   * @throws {ChecksNotFoundError} when a name is not in the plan (nothing is stopped).
   */
  stopChecks(names: string[]): string[] {
    const plan = this.planWith(names);
    const stopped: string[] = [];
    for (const name of names) {
      const data = this.known(name);
      if (!data || data.changeId === "") continue;
      const change = this.state.changes.get(data.changeId);
      if (change) {
        this.endChange(change);
        stopped.push(name);
      }
      this.updateCheckData(
        plan.checks[name],
        "",
        data.prevChangeId,
        data.successes,
        data.failures,
      );
    }
    return stopped;
  }

  /**
   * Starts the checks of the plan that are not running, except `startup: disabled`
   * ones (what `pebble replan` does for checks).
   */
  replan(): void {
    const plan = this.plans.plan();
    for (const config of Object.values(plan.checks)) {
      const data = this.known(config.name);
      if (!data || config.startup === "disabled" || data.changeId !== "") continue;
      this.startCheck(plan, config);
    }
    this.runner.schedule();
  }

  /** The plan, once every name is a check in it (else nothing is done). */
  private planWith(names: string[]): Plan {
    const plan = this.plans.plan();
    const missing = names.filter((n) => !Object.hasOwn(plan.checks, n));
    if (missing.length) throw new ChecksNotFoundError(missing);
    return plan;
  }

  /** The manager's data for a check of the plan (logged when there is none). */
  private known(name: string): CheckData | undefined {
    const data = this.checks.get(name);
    if (!data) logNotice(`check ${name} is in the plan but not known to the manager`);
    return data;
  }

  /** Starts a check that is not running, in a new perform-check change. */
  private startCheck(plan: Plan, config: Check): void {
    const changeId = this.performCheckChange(withServiceContext(plan, config));
    this.updateCheckData(config, changeId, "", 0, 0);
  }

  /**
   * Runs a check now and returns its status and the run's error. A running check runs
   * in its change (the result counts, and its period restarts); an inactive one runs
   * on its own and its status and counters stay as they are.
   * @throws {Error} when the check is not in the plan.
   */
  async refresh(name: string): Promise<RefreshResult> {
    const plan = this.plans.plan();
    if (!Object.hasOwn(plan.checks, name)) {
      throw new Error(`cannot find check with name ${JSON.stringify(name)}`);
    }
    const config = plan.checks[name];
    const data = this.ensureCheck(name);
    const loop = data.changeId ? this.loops.get(data.changeId) : undefined;
    let error: unknown = LOOP_ENDED;
    if (loop && !loop.isEnded) error = await loop.refresh();
    if (error === LOOP_ENDED) {
      const merged = withServiceContext(plan, config);
      error = null;
      try {
        await newChecker(merged).run(Math.max(merged.timeout.value / 1e6, 1));
      } catch (e) {
        error = e;
      }
    }
    return {
      info: toInfo(this.ensureCheck(name)),
      error: error === null ? "" : errorDetails(error),
    };
  }

  // ---- plan changes -------------------------------------------------------------------

  private planChanged(plan: Plan): void {
    const newOrModified = new Set<string>();
    const existing = new Set<string>();
    for (const change of this.state.changeList()) {
      if (change.kind !== PERFORM_CHECK && change.kind !== RECOVER_CHECK) continue;
      if (change.isReady()) continue;
      const old = this.configs.get(change.id);
      if (!old) {
        // Left running by a previous daemon.
        this.endChange(change);
        continue;
      }
      existing.add(old.name);
      if (Object.hasOwn(plan.checks, old.name)) {
        const next = plan.checks[old.name];
        if (deepEqual(old, withServiceContext(plan, next))) continue;
        // Now disabled: it keeps running until stopped, as in Pebble.
        if (next.startup === "disabled" && old.startup !== "disabled") continue;
        newOrModified.add(old.name);
      }
      this.endChange(change);
      this.checks.delete(old.name);
    }
    for (const config of Object.values(plan.checks)) {
      if (existing.has(config.name)) continue;
      if (config.startup !== "disabled") newOrModified.add(config.name);
      else this.updateCheckData(config, "", "", 0, 0);
    }
    for (const config of Object.values(plan.checks)) {
      if (newOrModified.has(config.name)) this.startCheck(plan, config);
    }
    this.runner.schedule();
  }

  /**
   * Ends a check change as Pebble's abort leaves it: a running task ends Done, one not
   * started yet is held, one left over from a previous daemon is Done.
   */
  private endChange(change: Change): void {
    const loop = this.loops.get(change.id);
    if (loop) {
      loop.stop();
      return;
    }
    for (const task of change.tasks()) {
      if (task.status === "Do") task.setStatus("Hold");
      else if (!isReady(task.status)) task.setStatus("Done");
    }
    this.commitSoon();
  }

  // ---- changes ------------------------------------------------------------------------

  private performCheckChange(config: Check): string {
    const summary = `Perform ${checkType(config)} check ${JSON.stringify(config.name)}`;
    return this.newCheckChange(PERFORM_CHECK, summary, config, 0, 0);
  }

  private recoverCheckChange(config: Check, successes: number, failures: number): string {
    const summary = `Recover ${checkType(config)} check ${JSON.stringify(config.name)}`;
    return this.newCheckChange(RECOVER_CHECK, summary, config, successes, failures);
  }

  private newCheckChange(
    kind: string,
    summary: string,
    config: Check,
    successes: number,
    failures: number,
  ): string {
    const task = this.state.newTask(kind, summary);
    const details: CheckDetails = { name: config.name, failures, successes };
    task.set(DETAILS, details);
    const change = this.state.newChange(kind, summary, { "check-name": config.name });
    change.set(NO_PRUNE, true);
    change.addTask(task);
    this.configs.set(change.id, config);
    return change.id;
  }

  /** Where one check change leads to the next (Pebble's changeStatusChanged). */
  private taskStatusChanged(task: Task): void {
    const perform = task.kind === PERFORM_CHECK;
    if (!perform && task.kind !== RECOVER_CHECK) return;
    if (!isReady(task.status)) return;
    const config = this.configs.get(task.changeId);
    this.configs.delete(task.changeId);
    const details = task.data[DETAILS] as CheckDetails | undefined;
    if (!config || !details?.proceed) return;
    if (perform && task.status === "Error") {
      const id = this.recoverCheckChange(config, details.successes, details.failures);
      this.updateCheckData(config, id, task.changeId, details.successes, details.failures);
      this.runner.schedule();
    } else if (!perform && task.status === "Done") {
      const id = this.performCheckChange(config);
      this.updateCheckData(config, id, task.changeId, details.successes, details.failures);
      this.runner.schedule();
    }
  }

  // ---- running ------------------------------------------------------------------------

  /** The handler of both task kinds: runs the check until its task ends. */
  private runTask(task: Task, signal: AbortSignal): Promise<void> {
    const changeId = task.changeId;
    const config = this.configs.get(changeId);
    // A task without a definition was left over by a previous daemon: it just ends.
    if (!config || signal.aborted) return Promise.resolve();
    let details = task.data[DETAILS] as CheckDetails | undefined;
    if (!details) task.set(DETAILS, details = { name: config.name, failures: 0, successes: 0 });
    const d: CheckDetails = details;
    const prevChangeId = this.ensureCheck(config.name).prevChangeId;
    const onResult = task.kind === PERFORM_CHECK
      ? (error: unknown) => this.performResult(task, config, d, prevChangeId, error)
      : (error: unknown) => this.recoverResult(task, config, d, prevChangeId, error);
    const loop = new CheckLoop(config, newChecker(config), { onResult });
    this.loops.set(changeId, loop);
    const onAbort = () => loop.stop();
    signal.addEventListener("abort", onAbort, { once: true });
    return loop.done.finally(() => {
      signal.removeEventListener("abort", onAbort);
      if (this.loops.get(changeId) === loop) this.loops.delete(changeId);
    });
  }

  private performResult(
    task: Task,
    config: Check,
    details: CheckDetails,
    prevChangeId: string,
    error: unknown,
  ): RunOutcome {
    const data = this.ensureCheck(config.name);
    if (error !== null) {
      data.failureMetric++;
      details.failures++;
      const atThreshold = details.failures >= config.threshold;
      if (atThreshold) details.proceed = true;
      else task.errorf(errorDetails(error));
      task.set(DETAILS, details);
      this.logFailure(config, details, error);
      if (atThreshold) {
        logNotice(
          `Check ${
            JSON.stringify(config.name)
          } threshold ${config.threshold} hit, triggering action and recovering`,
        );
        this.callFailureHandlers(config.name);
        return { exit: true, error: errorDetails(error) };
      }
      this.updateCheckData(
        config,
        task.changeId,
        prevChangeId,
        details.successes,
        details.failures,
      );
      this.commitSoon();
      return { exit: false };
    }
    data.successMetric++;
    details.successes++;
    if (details.failures > 0) {
      const old = details.failures;
      details.failures = 0;
      this.updateCheckData(config, task.changeId, prevChangeId, details.successes, 0);
      task.logf(`succeeded after ${old} ${old === 1 ? "failure" : "failures"}`);
      task.set(DETAILS, details);
      this.commitSoon();
    } else {
      // The common case touches nothing that needs writing.
      data.successes = details.successes;
    }
    return { exit: false };
  }

  private recoverResult(
    task: Task,
    config: Check,
    details: CheckDetails,
    prevChangeId: string,
    error: unknown,
  ): RunOutcome {
    const data = this.ensureCheck(config.name);
    if (error !== null) {
      data.failureMetric++;
      details.failures++;
      this.updateCheckData(
        config,
        task.changeId,
        prevChangeId,
        details.successes,
        details.failures,
      );
      task.set(DETAILS, details);
      task.errorf(errorDetails(error));
      this.logFailure(config, details, error);
      this.commitSoon();
      return { exit: false };
    }
    data.successMetric++;
    details.successes = 1;
    details.failures = 0;
    details.proceed = true;
    task.set(DETAILS, details);
    return { exit: true, error: null };
  }

  private logFailure(config: Check, details: CheckDetails, error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    logNotice(
      `Check ${
        JSON.stringify(config.name)
      } failure ${details.failures}/${config.threshold}: ${message}`,
    );
  }

  private callFailureHandlers(name: string): void {
    for (const fn of [...this.failureHandlers]) {
      try {
        fn(name);
      } catch (e) {
        logNotice(`Check ${JSON.stringify(name)} failure handler failed: ${(e as Error).message}`);
      }
    }
  }

  private commitSoon(): void {
    this.state.commit().catch((e) => logNotice(`Cannot write state: ${e.message}`));
  }

  // ---- check data ---------------------------------------------------------------------

  private ensureCheck(name: string): CheckData {
    let data = this.checks.get(name);
    if (!data) {
      data = {
        name,
        level: "",
        startup: "enabled",
        status: "inactive",
        successes: 0,
        failures: 0,
        threshold: 0,
        changeId: "",
        prevChangeId: "",
        successMetric: 0,
        failureMetric: 0,
      };
      this.checks.set(name, data);
    }
    return data;
  }

  private updateCheckData(
    config: Check,
    changeId: string,
    prevChangeId: string,
    successes: number,
    failures: number,
  ): void {
    const data = this.ensureCheck(config.name);
    data.level = config.level;
    data.startup = config.startup === "disabled" ? "disabled" : "enabled";
    data.status = changeId === "" ? "inactive" : failures >= config.threshold ? "down" : "up";
    data.successes = successes;
    data.failures = failures;
    data.threshold = config.threshold;
    data.changeId = changeId;
    data.prevChangeId = prevChangeId;
  }
}

function toInfo(d: CheckData): CheckInfo {
  return {
    name: d.name,
    level: d.level,
    startup: d.startup,
    status: d.status,
    successes: d.successes,
    failures: d.failures,
    threshold: d.threshold,
    changeId: d.changeId,
    prevChangeId: d.prevChangeId,
  };
}

/** The check with its `service-context` service's settings under its own (exec only). */
export function withServiceContext(plan: Plan, config: Check): Check {
  const exec = config.exec;
  if (!exec || exec.serviceContext === "") return config;
  const merged = mergeServiceContext(plan, exec.serviceContext, {
    environment: exec.environment,
    userId: exec.userId,
    user: exec.user,
    groupId: exec.groupId,
    group: exec.group,
    workingDir: exec.workingDir,
  });
  const copy = copyCheck(config);
  const e = copy.exec!;
  e.environment = merged.environment;
  e.user = merged.user;
  e.group = merged.group;
  e.workingDir = merged.workingDir;
  if (merged.userId === undefined) delete e.userId;
  else e.userId = merged.userId;
  if (merged.groupId === undefined) delete e.groupId;
  else e.groupId = merged.groupId;
  return copy;
}

/** Structural equality of plain data (what a check definition is made of). */
function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  for (const k of ka) {
    if (!deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) {
      return false;
    }
  }
  return true;
}
