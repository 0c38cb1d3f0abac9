/**
 * Runs tasks through the handlers registered for their kinds.
 *
 * A task in `Do` runs once every task it waits for is `Done`; a failure marks it `Error`
 * (its message in the task log) and aborts the rest of its change: tasks not started
 * are held, running ones are signalled, done ones are undone through their undo
 * handler (or marked `Undone` when the kind has none). Later capabilities (services,
 * checks, exec) plug their handlers in with {@link TaskRunner.addHandler}.
 *
 * @module
 */

import { Task } from "./change.ts";
import { State } from "./state.ts";
import { logNotice } from "../log.ts";

/** Performs (or undoes) a task. `signal` aborts when the change is aborted. */
export type TaskHandler = (task: Task, signal: AbortSignal) => Promise<void>;

interface HandlerPair {
  do: TaskHandler;
  undo?: TaskHandler;
}

/** Runs the tasks of a {@link State}. */
export class TaskRunner {
  private handlers = new Map<string, HandlerPair>();
  private running = new Map<string, { controller: AbortController; done: Promise<void> }>();
  private scheduled = false;
  private stopped = false;

  constructor(private state: State) {
    state.onTaskStatus(() => this.schedule());
  }

  /** Registers the handlers for tasks of `kind`. */
  addHandler(kind: string, doFn: TaskHandler, undoFn?: TaskHandler): void {
    this.handlers.set(kind, { do: doFn, undo: undoFn });
  }

  /** Looks for runnable tasks soon (coalesced). */
  schedule(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      this.ensure();
    });
  }

  /** Starts every task that can run now and signals aborted ones. */
  ensure(): void {
    if (this.stopped) return;
    for (const t of this.state.tasks.values()) {
      if (!t.changeId) continue;
      const running = this.running.get(t.id);
      if (running) {
        if (t.status === "Abort") running.controller.abort(new Error("change aborted"));
        continue;
      }
      switch (t.status) {
        case "Doing":
        case "Do":
          if (t.waitTasks.every((id) => this.state.task(id)?.status === "Done")) {
            this.run(t, "do");
          } else if (t.waitTasks.some((id) => this.isDeadEnd(id))) {
            t.setStatus("Hold");
          }
          break;
        case "Abort":
          t.setStatus("Undo");
          break;
        case "Undoing":
        case "Undo":
          if (t.haltTasks.every((id) => !this.running.has(id) && !this.isUndoPending(id))) {
            if (this.handlers.get(t.kind)?.undo) this.run(t, "undo");
            else t.setStatus("Undone");
          }
          break;
      }
    }
  }

  private isDeadEnd(id: string): boolean {
    const s = this.state.task(id)?.status;
    return s === undefined || s === "Hold" || s === "Error" || s === "Undone" || s === "Undo" ||
      s === "Undoing";
  }

  private isUndoPending(id: string): boolean {
    const s = this.state.task(id)?.status;
    return s === "Undo" || s === "Undoing" || s === "Abort";
  }

  private run(t: Task, phase: "do" | "undo"): void {
    const pair = this.handlers.get(t.kind);
    const handler = phase === "do" ? pair?.do : pair?.undo;
    const controller = new AbortController();
    t.setStatus(phase === "do" ? "Doing" : "Undoing");
    const done = (async () => {
      let error: unknown = null;
      try {
        if (!handler) throw new Error(`no handler for task kind "${t.kind}"`);
        await handler(t, controller.signal);
      } catch (e) {
        error = e;
      }
      this.running.delete(t.id);
      if (this.stopped) return; // shutting down: leave the status for the next start
      if (error === null) {
        if (t.status === "Doing") t.setStatus("Done");
        else if (t.status === "Abort") t.setStatus("Undo");
        else if (t.status === "Undoing") t.setStatus("Undone");
      } else if (t.status === "Abort") {
        t.setStatus("Undone");
      } else {
        const message = error instanceof Error ? error.message : String(error);
        const change = this.state.changes.get(t.changeId);
        if (change) {
          for (const other of change.tasks()) {
            if (other === t) continue;
            if (other.status === "Do") other.setStatus("Hold");
            else if (other.status === "Doing") other.setStatus("Abort");
            else if (other.status === "Done") other.setStatus("Undo");
          }
        }
        t.errorf(message);
        t.setStatus("Error");
        logNotice(`Change ${t.changeId} task (${t.summary}) failed: ${message}`);
      }
      this.state.commit().catch((e) => logNotice(`Cannot write state: ${e.message}`));
      this.schedule();
    })();
    this.running.set(t.id, { controller, done });
  }

  /** Signals every running task to stop and waits for them. */
  async stop(): Promise<void> {
    this.stopped = true;
    const all = [...this.running.values()];
    for (const r of all) r.controller.abort(new Error("daemon stopping"));
    await Promise.all(all.map((r) => r.done));
  }
}
