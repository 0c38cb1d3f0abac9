/**
 * Changes and tasks: the units of work that clients follow (`/v1/changes`).
 *
 * A change groups tasks; its status is derived from its tasks' statuses in Pebble's
 * order unless set explicitly. Every mutation marks the object dirty in its state so
 * that it is persisted with the next commit.
 *
 * @module
 */

import { isReady, Status, STATUS_ORDER } from "./status.ts";

/** What a Change or Task needs from the state that owns it. */
export interface StateHooks {
  touch(kind: "change" | "task", id: string): void;
  task(id: string): Task | undefined;
  changeStatusChanged(change: Change): void;
  taskStatusChanged(task: Task): void;
}

/** Progress of a task, as shown by `pebble tasks`. */
export interface Progress {
  label: string;
  done: number;
  total: number;
}

/** Formats a task log line the way Pebble does: RFC 3339 time (seconds), level, message. */
function logLine(level: "INFO" | "ERROR", message: string): string {
  return `${new Date().toISOString().replace(/\.\d+Z$/, "Z")} ${level} ${message}`;
}

const MAX_TASK_LOG = 10;

/** One step of a change, run by the task runner through the handler for its kind. */
export class Task {
  status: Status = "Do";
  log: string[] = [];
  progress: Progress | null = null;
  data: Record<string, unknown> = {};
  waitTasks: string[] = [];
  haltTasks: string[] = [];
  spawnTime: Date;
  readyTime: Date | null = null;
  changeId = "";

  constructor(
    private hooks: StateHooks,
    readonly id: string,
    readonly kind: string,
    readonly summary: string,
    spawnTime = new Date(),
  ) {
    this.spawnTime = spawnTime;
  }

  /** Sets the status, records the ready time, and lets the change re-derive its status. */
  setStatus(status: Status): void {
    if (status === this.status) return;
    if (status === "Done" && this.status === "Abort") return; // aborted meanwhile: undo next
    this.status = status;
    if (isReady(status) && !this.readyTime) this.readyTime = new Date();
    if (!isReady(status)) this.readyTime = null;
    this.hooks.touch("task", this.id);
    this.hooks.taskStatusChanged(this);
  }

  /** Appends an informational line to the task log (the last ten are kept). */
  logf(message: string): void {
    this.addLog("INFO", message);
  }

  /** Appends an error line to the task log; a change's `err` is built from these. */
  errorf(message: string): void {
    this.addLog("ERROR", message);
  }

  private addLog(level: "INFO" | "ERROR", message: string): void {
    this.log.push(logLine(level, message));
    if (this.log.length > MAX_TASK_LOG) this.log.splice(0, this.log.length - MAX_TASK_LOG);
    this.hooks.touch("task", this.id);
  }

  /** Sets the task's progress. */
  setProgress(label: string, done: number, total: number): void {
    this.progress = { label, done, total };
    this.hooks.touch("task", this.id);
  }

  /** Stores a value under `key` (persisted; `api-data` is shown to clients). */
  set(key: string, value: unknown): void {
    this.data[key] = value;
    this.hooks.touch("task", this.id);
  }

  /** Makes this task wait for `other` to be done before it runs. */
  waitFor(other: Task): void {
    if (!this.waitTasks.includes(other.id)) this.waitTasks.push(other.id);
    if (!other.haltTasks.includes(this.id)) other.haltTasks.push(this.id);
    this.hooks.touch("task", this.id);
    this.hooks.touch("task", other.id);
  }

  /** The JSON shape kept in the state file. */
  toRecord(): Record<string, unknown> {
    return {
      id: this.id,
      kind: this.kind,
      summary: this.summary,
      status: this.status,
      progress: this.progress ?? undefined,
      data: Object.keys(this.data).length ? this.data : undefined,
      "wait-tasks": this.waitTasks.length ? this.waitTasks : undefined,
      "halt-tasks": this.haltTasks.length ? this.haltTasks : undefined,
      log: this.log.length ? this.log : undefined,
      change: this.changeId,
      "spawn-time": this.spawnTime.toISOString(),
      "ready-time": this.readyTime?.toISOString(),
    };
  }

  /** Rebuilds a task from its state-file record. */
  static fromRecord(hooks: StateHooks, r: Record<string, unknown>): Task {
    const t = new Task(
      hooks,
      String(r.id),
      String(r.kind),
      String(r.summary ?? ""),
      new Date(String(r["spawn-time"])),
    );
    t.status = (r.status as Status) ?? "Do";
    t.progress = (r.progress as Progress) ?? null;
    t.data = (r.data as Record<string, unknown>) ?? {};
    t.waitTasks = (r["wait-tasks"] as string[]) ?? [];
    t.haltTasks = (r["halt-tasks"] as string[]) ?? [];
    t.log = (r.log as string[]) ?? [];
    t.changeId = String(r.change ?? "");
    t.readyTime = r["ready-time"] ? new Date(String(r["ready-time"])) : null;
    return t;
  }

  /** The JSON shape of `/v1/changes` for this task. */
  toInfo(): Record<string, unknown> {
    const p = this.progress;
    return {
      id: this.id,
      kind: this.kind,
      summary: this.summary,
      status: this.status,
      log: this.log.length ? this.log : undefined,
      progress: p ?? { label: "", done: this.status === "Do" ? 0 : 1, total: 1 },
      "spawn-time": this.spawnTime.toISOString(),
      "ready-time": this.readyTime?.toISOString(),
      data: this.data["api-data"] ?? undefined,
    };
  }
}

/** A change: a group of tasks that a client follows to completion. */
export class Change {
  /** An explicit status; "Default" means derived from the tasks. */
  explicitStatus: Status = "Default";
  data: Record<string, unknown> = {};
  taskIds: string[] = [];
  spawnTime: Date;
  readyTime: Date | null = null;
  /** The last status announced with a change-update notice. */
  lastNoticeStatus: Status = "Default";
  private readyWaiters: (() => void)[] = [];

  constructor(
    private hooks: StateHooks,
    readonly id: string,
    readonly kind: string,
    readonly summary: string,
    spawnTime = new Date(),
  ) {
    this.spawnTime = spawnTime;
  }

  /** The change's tasks, in the order they were added. */
  tasks(): Task[] {
    const out: Task[] = [];
    for (const id of this.taskIds) {
      const t = this.hooks.task(id);
      if (t) out.push(t);
    }
    return out;
  }

  /** Adds a task to this change. */
  addTask(task: Task): void {
    if (task.changeId) throw new Error(`internal error: task ${task.id} already in a change`);
    task.changeId = this.id;
    this.taskIds.push(task.id);
    this.hooks.touch("task", task.id);
    this.hooks.touch("change", this.id);
  }

  /** The status, derived from the tasks in Pebble's order unless set explicitly. */
  status(): Status {
    if (this.explicitStatus !== "Default") return this.explicitStatus;
    const tasks = this.tasks();
    if (tasks.length === 0) return "Hold";
    const seen = new Set(tasks.map((t) => t.status));
    for (const s of STATUS_ORDER) if (seen.has(s)) return s;
    return "Hold";
  }

  /** Whether the change has finished (done, undone, held or in error). */
  isReady(): boolean {
    return isReady(this.status());
  }

  /** Sets an explicit status (rarely needed: most changes derive it from their tasks). */
  setStatus(status: Status): void {
    this.explicitStatus = status;
    this.hooks.touch("change", this.id);
    this.statusMaybeChanged();
  }

  /** Stores a value under `key` (persisted; `api-data` is shown to clients). */
  set(key: string, value: unknown): void {
    this.data[key] = value;
    this.hooks.touch("change", this.id);
  }

  /** Called when a task's status changed: records readiness and tells the state. */
  statusMaybeChanged(): void {
    if (this.isReady() && !this.readyTime) {
      this.readyTime = new Date();
      this.hooks.touch("change", this.id);
      const waiters = this.readyWaiters.splice(0);
      for (const w of waiters) w();
    }
    this.hooks.changeStatusChanged(this);
  }

  /** Resolves when the change is ready, or at once if it already is. */
  ready(signal?: AbortSignal): Promise<void> {
    if (this.isReady()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = () => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      };
      const onAbort = () => {
        const i = this.readyWaiters.indexOf(done);
        if (i >= 0) this.readyWaiters.splice(i, 1);
        reject(signal!.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.readyWaiters.push(done);
    });
  }

  /**
   * The change's error, as Pebble words it, built from the ERROR lines of its failed
   * tasks; null unless the change is in Error status.
   */
  err(): string | null {
    if (this.status() !== "Error") return null;
    const lines: string[] = [];
    for (const t of this.tasks()) {
      if (t.status !== "Error") continue;
      for (const line of t.log) {
        const m = /^\S+ ERROR ([\s\S]*)$/.exec(line);
        if (m) lines.push(`- ${t.summary} (${m[1]})`);
      }
    }
    if (lines.length === 0) {
      return `internal inconsistency: change "${this.kind}" in ErrorStatus with no task errors logged`;
    }
    return `cannot perform the following tasks:\n${lines.join("\n")}`;
  }

  /** The JSON shape of `/v1/changes` for this change. */
  toInfo(): Record<string, unknown> {
    const status = this.status();
    return {
      id: this.id,
      kind: this.kind,
      summary: this.summary,
      status,
      tasks: this.tasks().map((t) => t.toInfo()),
      ready: isReady(status),
      err: this.err() ?? undefined,
      "spawn-time": this.spawnTime.toISOString(),
      "ready-time": this.readyTime?.toISOString(),
      data: this.data["api-data"] ?? undefined,
    };
  }

  /** The JSON shape kept in the state file. */
  toRecord(): Record<string, unknown> {
    return {
      id: this.id,
      kind: this.kind,
      summary: this.summary,
      status: this.explicitStatus,
      data: Object.keys(this.data).length ? this.data : undefined,
      "task-ids": this.taskIds.length ? this.taskIds : undefined,
      "spawn-time": this.spawnTime.toISOString(),
      "ready-time": this.readyTime?.toISOString(),
      "last-recorded-notice-status": this.lastNoticeStatus,
    };
  }

  /** Rebuilds a change from its state-file record. */
  static fromRecord(hooks: StateHooks, r: Record<string, unknown>): Change {
    const c = new Change(
      hooks,
      String(r.id),
      String(r.kind),
      String(r.summary ?? ""),
      new Date(String(r["spawn-time"])),
    );
    c.explicitStatus = (r.status as Status) ?? "Default";
    c.data = (r.data as Record<string, unknown>) ?? {};
    c.taskIds = (r["task-ids"] as string[]) ?? [];
    c.readyTime = r["ready-time"] ? new Date(String(r["ready-time"])) : null;
    c.lastNoticeStatus = (r["last-recorded-notice-status"] as Status) ?? "Default";
    return c;
  }
}
