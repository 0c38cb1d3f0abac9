/**
 * One running check: the body of a `perform-check` or `recover-check` task.
 *
 * It runs the checker every `period` on a fixed phase, as Go's ticker does (a run that
 * overruns its slot is followed at once by the next, further missed slots are dropped;
 * unlike Pebble, the phase is spread: the first run comes at a random point of the
 * first period rather than at its end), and on refresh requests (which also
 * restart the phase). Between runs it holds one timer and nothing else; a passing run
 * touches no state at all, so a healthy check costs one timer and the check itself.
 *
 * The loop decides, run by run, whether its task goes on or ends: a `perform-check`
 * ends in error when the failures reach the threshold, a `recover-check` ends well at
 * the first success. {@link CheckLoop.stop} ends it without error (the check was
 * stopped or its definition changed).
 *
 * @module
 */

import type { Check } from "../../plan/mod.ts";
import type { Checker } from "./checker.ts";

/** What a run decided. */
export type RunOutcome =
  /** Keep going. */
  | { exit: false }
  /** End the task: well (`error` null) or with this error message. */
  | { exit: true; error: string | null };

/** What the loop asks of its owner after each run of the checker. */
export interface CheckLoopHooks {
  /** Handles a run's result (`error` null on success) and says whether to go on. */
  onResult(error: unknown): RunOutcome;
}

interface RefreshWaiter {
  resolve(error: unknown): void;
}

/** Drives one checker until the task it belongs to ends. */
export class CheckLoop {
  /** Settles when the task ends: resolves on a clean end, rejects with the task's error. */
  readonly done: Promise<void>;
  private resolveDone!: () => void;
  private rejectDone!: (e: Error) => void;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private due = 0;
  private running = false;
  private ended = false;
  private waiters: RefreshWaiter[] = [];
  private readonly periodMs: number;
  private readonly timeoutMs: number;
  private readonly tick = () => this.onTick();

  constructor(
    readonly config: Check,
    readonly checker: Checker,
    private hooks: CheckLoopHooks,
  ) {
    this.periodMs = Math.max(config.period.value / 1e6, 1);
    this.timeoutMs = Math.max(config.timeout.value / 1e6, 1);
    this.done = new Promise<void>((resolve, reject) => {
      this.resolveDone = resolve;
      this.rejectDone = reject;
    });
    // The first run comes at a random point of the first period (Pebble: at its end), so
    // that checks started together (at start-up, by one layer) do not all run at once.
    const first = Math.max(1, Math.ceil(Math.random() * this.periodMs));
    this.due = performance.now() + first;
    this.timer = setTimeout(this.tick, first);
  }

  /** Whether the loop has ended. */
  get isEnded(): boolean {
    return this.ended;
  }

  /**
   * Runs the check now (after a run in flight, if any), restarts the period, and
   * resolves with the run's error (null when it passed).
   */
  refresh(): Promise<unknown> {
    return new Promise((resolve) => {
      if (this.ended) {
        resolve(LOOP_ENDED);
        return;
      }
      this.waiters.push({ resolve });
      if (!this.running) {
        clearTimeout(this.timer);
        this.due = performance.now();
        this.runOnce();
      }
    });
  }

  /** Ends the loop without error; a run in flight is cancelled. */
  stop(): void {
    if (this.ended) return;
    this.finish(null);
    this.checker.cancel();
  }

  private onTick(): void {
    this.timer = undefined;
    if (this.ended || this.running) return;
    this.runOnce();
  }

  private runOnce(): void {
    this.running = true;
    const waiters = this.waiters;
    this.waiters = [];
    this.checker.run(this.timeoutMs).then(
      () => this.afterRun(null, waiters),
      (e) => this.afterRun(e ?? new Error("check failed"), waiters),
    );
  }

  private afterRun(error: unknown, waiters: RefreshWaiter[]): void {
    this.running = false;
    if (this.ended) {
      for (const w of waiters) w.resolve(LOOP_ENDED);
      return;
    }
    const outcome = this.hooks.onResult(error);
    for (const w of waiters) w.resolve(error);
    if (outcome.exit) {
      this.finish(outcome.error);
      return;
    }
    if (this.waiters.length > 0) {
      // Refreshes that arrived during the run: run again now, with a new phase.
      this.due = performance.now();
      this.runOnce();
      return;
    }
    // Next slot on the same phase; one overrun slot runs at once, the rest are dropped.
    const now = performance.now();
    this.due += this.periodMs;
    if (this.due <= now) {
      this.due += Math.floor((now - this.due) / this.periodMs) * this.periodMs;
      this.runOnce();
      return;
    }
    this.timer = setTimeout(this.tick, this.due - now);
  }

  private finish(error: string | null): void {
    this.ended = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    if (error === null) this.resolveDone();
    else this.rejectDone(new Error(error));
    // Refreshes still waiting get no run from this loop; their owner runs them directly.
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.resolve(LOOP_ENDED);
  }
}

/** What a refresh resolves with when the loop ended before running it. */
export const LOOP_ENDED: unique symbol = Symbol("loop ended");
