/**
 * The daemon state: changes, tasks and notices, persisted through a {@link StateStore}.
 *
 * Mutations happen in memory (single-threaded, so no locks); each marks what it touched
 * dirty. `commit()` makes every mutation so far durable, sharing one flush among all
 * callers waiting at the same time. API handlers await it before answering, so a client
 * never sees a state that a crash could take back.
 *
 * @module
 */

import { Change, StateHooks, Task } from "./change.ts";
import { StateStore, StoredRecord } from "./journal.ts";
import {
  DEFAULT_EXPIRE_AFTER_NS,
  Notice,
  noticeExpired,
  NoticeFilter,
  noticeFromRecord,
  noticeKey,
  noticeMatches,
  noticeToRecord,
  NoticeType,
  WARNING_REPEAT_AFTER_NS,
} from "./notices.ts";
import type { Status } from "./status.ts";
import { logNotice } from "../log.ts";

/** Options for {@link State.addNotice}. */
export interface AddNoticeOptions {
  data?: Record<string, string> | null;
  /** Nanoseconds; 0 means every occurrence counts as a repeat. */
  repeatAfterNs?: number;
  /** Occurrence time in microseconds since the epoch (default: now, strictly increasing). */
  time?: number;
}

/** Pruning limits, as Pebble's overlord sets them. */
export const PRUNE = {
  /** Ready changes older than this are removed. */
  waitMs: 7 * 24 * 3600 * 1000,
  /** At most this many ready changes are kept. */
  maxReadyChanges: 1000,
  /** At most this many notices are kept. */
  maxNotices: 1000,
};

/** The shared state of the daemon. */
export class State implements StateHooks {
  readonly changes = new Map<string, Change>();
  readonly tasks = new Map<string, Task>();
  /** Notices by {@link noticeKey}, kept in `last-repeated` order (oldest first). */
  private notices = new Map<string, Notice>();
  private noticesById = new Map<string, Notice>();
  private lastChangeId = 0;
  private lastTaskId = 0;
  private lastNoticeId = 0;
  private dirty = new Map<string, { k: string; id: string }>();
  private flushing: Promise<void> = Promise.resolve();
  private pendingCommit: Promise<void> | null = null;
  private noticeWaiters = new Set<(n: Notice) => void>();
  /** The last occurrence time handed out (µs), so that each is later than the one before. */
  private lastStampUs = 0;
  /** The greatest `last-repeated` in {@link notices} (its last entry's). */
  private tailRepeatedUs = -Infinity;
  private taskListeners: ((t: Task) => void)[] = [];
  /** Latest `last-repeated` of any warning notice (null if none). */
  latestWarning: Date | null = null;
  /** Identity records by name (their meaning is server/identities'). */
  private identities = new Map<string, unknown>();

  constructor(private store: StateStore) {}

  /** Loads what the store holds. Problems it recovered from become warnings. */
  async load(): Promise<void> {
    const { records, problems } = await this.store.load();
    const meta = (records.get("meta")?.get("ids") ?? {}) as Record<string, number>;
    this.lastChangeId = meta["last-change-id"] ?? 0;
    this.lastTaskId = meta["last-task-id"] ?? 0;
    this.lastNoticeId = meta["last-notice-id"] ?? 0;
    for (const r of records.get("task")?.values() ?? []) {
      const t = Task.fromRecord(this, r as Record<string, unknown>);
      this.tasks.set(t.id, t);
    }
    for (const r of records.get("change")?.values() ?? []) {
      const c = Change.fromRecord(this, r as Record<string, unknown>);
      this.changes.set(c.id, c);
    }
    const nowUs = Date.now() * 1000;
    const loaded: Notice[] = [];
    for (const r of records.get("notice")?.values() ?? []) {
      const n = noticeFromRecord(r as Record<string, unknown>);
      if (isNaN(n.lastRepeated) || isNaN(n.lastOccurred) || noticeExpired(n, nowUs)) continue;
      loaded.push(n);
    }
    loaded.sort((a, b) => a.lastRepeated - b.lastRepeated);
    for (const n of loaded) {
      this.notices.set(noticeKey(n.userId, n.type, n.key), n);
      this.noticesById.set(n.id, n);
      this.trackWarning(n);
      this.lastStampUs = Math.max(this.lastStampUs, n.lastOccurred, n.lastRepeated);
      this.tailRepeatedUs = n.lastRepeated;
    }
    for (const [name, v] of records.get("identity") ?? []) this.identities.set(name, v);
    for (const p of problems) {
      logNotice(p);
      this.warnf(p);
    }
    if (problems.length) await this.commit();
  }

  // --- StateHooks -------------------------------------------------------------------

  /** Marks an object dirty so that the next commit persists it. */
  touch(kind: string, id: string): void {
    this.dirty.set(`${kind}:${id}`, { k: kind, id });
  }

  /** The task with this id. */
  task(id: string): Task | undefined {
    return this.tasks.get(id);
  }

  taskStatusChanged(task: Task): void {
    const change = this.changes.get(task.changeId);
    change?.statusMaybeChanged();
    for (const l of this.taskListeners) l(task);
  }

  changeStatusChanged(change: Change): void {
    const status = change.status();
    const old = change.lastNoticeStatus;
    const skip = old === status || (old === "Doing" && status === "Do") ||
      (old === "Undoing" && status === "Undo");
    if (!skip) {
      change.lastNoticeStatus = status;
      this.touch("change", change.id);
      this.addChangeNotice(change);
    }
  }

  /** Calls `fn` whenever a task's status changed. */
  onTaskStatus(fn: (t: Task) => void): void {
    this.taskListeners.push(fn);
  }

  // --- changes and tasks -------------------------------------------------------------

  /** Creates a change (with a change-update notice, as Pebble records one). */
  newChange(kind: string, summary: string, noticeData?: Record<string, string>): Change {
    const id = String(++this.lastChangeId);
    const change = new Change(this, id, kind, summary);
    if (noticeData && Object.keys(noticeData).length) change.set("notice-data", noticeData);
    this.changes.set(id, change);
    this.touch("change", id);
    this.touch("meta", "ids");
    this.addChangeNotice(change);
    return change;
  }

  /** Creates a task; add it to a change with `change.addTask(task)`. */
  newTask(kind: string, summary: string): Task {
    const id = String(++this.lastTaskId);
    const task = new Task(this, id, kind, summary);
    this.tasks.set(id, task);
    this.touch("task", id);
    this.touch("meta", "ids");
    return task;
  }

  /** All changes, in id order. */
  changeList(): Change[] {
    return [...this.changes.values()];
  }

  /**
   * Aborts a change: tasks not started are held, running ones are told to stop, and
   * done ones are undone (by the task runner).
   */
  abortChange(change: Change): void {
    for (const t of change.tasks()) {
      const s: Status = t.status;
      if (s === "Do" || s === "Wait") t.setStatus("Hold");
      else if (s === "Doing") t.setStatus("Abort");
      else if (s === "Done") t.setStatus("Undo");
    }
  }

  // --- notices ------------------------------------------------------------------------

  private addChangeNotice(change: Change): void {
    const data: Record<string, string> = { kind: change.kind };
    const extra = change.data["notice-data"] as Record<string, string> | undefined;
    if (extra) Object.assign(data, extra);
    this.addNotice(null, "change-update", change.id, { data });
  }

  private trackWarning(n: Notice): void {
    if (n.type !== "warning") return;
    const ms = Math.floor(n.lastRepeated / 1000);
    if (!this.latestWarning || ms > this.latestWarning.getTime()) this.latestWarning = new Date(ms);
  }

  /** Now, in microseconds, later than every time handed out before. */
  private stampUs(): number {
    const us = Math.max(Date.now() * 1000, this.lastStampUs + 1);
    this.lastStampUs = us;
    return us;
  }

  /** Records an occurrence of a notice and returns its id. */
  addNotice(
    userId: number | null,
    type: NoticeType,
    key: string,
    opts: AddNoticeOptions = {},
  ): string {
    if (!key) throw new Error(`internal error: attempted to add ${type} notice with empty key`);
    const now = opts.time ?? this.stampUs();
    const repeatAfterNs = opts.repeatAfterNs ?? 0;
    const k = noticeKey(userId, type, key);
    let n = this.notices.get(k);
    let repeated = false;
    if (!n) {
      n = {
        id: String(++this.lastNoticeId),
        userId,
        type,
        key,
        firstOccurred: now,
        lastOccurred: now,
        lastRepeated: now,
        occurrences: 1,
        lastData: null,
        repeatAfterNs,
        expireAfterNs: DEFAULT_EXPIRE_AFTER_NS,
      };
      this.noticesById.set(n.id, n);
      this.touch("meta", "ids");
      repeated = true;
    } else {
      n.occurrences++;
      if (repeatAfterNs === 0 || now > n.lastRepeated + repeatAfterNs / 1e3) {
        n.lastRepeated = now;
        repeated = true;
      }
    }
    if (repeated) this.placeLast(k, n);
    n.lastOccurred = now;
    n.lastData = sortedData(opts.data);
    n.repeatAfterNs = repeatAfterNs;
    this.trackWarning(n);
    this.touch("notice", n.id);
    if (repeated) {
      for (const w of [...this.noticeWaiters]) w(n);
    }
    return n.id;
  }

  /** Moves a new or repeated notice to the end of the `last-repeated` order. */
  private placeLast(k: string, n: Notice): void {
    this.notices.delete(k);
    this.notices.set(k, n);
    if (n.lastRepeated >= this.tailRepeatedUs) {
      this.tailRepeatedUs = n.lastRepeated;
    } else {
      // Only an explicit, earlier `time` gets here: restore the order.
      const all = [...this.notices.entries()].sort((x, y) => x[1].lastRepeated - y[1].lastRepeated);
      this.notices = new Map(all);
    }
  }

  /** Records a warning notice (quiet for 24 hours after each repeat, as Pebble's are). */
  warnf(message: string): void {
    this.addNotice(null, "warning", message, { repeatAfterNs: WARNING_REPEAT_AFTER_NS });
  }

  /**
   * Notices passing the filter, oldest `last-repeated` first. The notices are kept in
   * that order, so this is one pass with no sorting.
   */
  noticeList(filter: NoticeFilter = {}): Notice[] {
    const nowUs = Date.now() * 1000;
    const out: Notice[] = [];
    for (const n of this.notices.values()) {
      if (noticeMatches(n, filter) && !noticeExpired(n, nowUs)) out.push(n);
    }
    return out;
  }

  /** The notice with this id. */
  notice(id: string): Notice | undefined {
    return this.noticesById.get(id);
  }

  /**
   * Waits until notices pass the filter and returns them (at once if some already do).
   * Returns [] when `signal` aborts. Only a new or repeated notice that itself passes
   * the filter makes a waiter look again, so idle waiters cost nothing per notice.
   */
  async waitNotices(filter: NoticeFilter, signal: AbortSignal): Promise<Notice[]> {
    for (;;) {
      const found = this.noticeList(filter);
      if (found.length || signal.aborted) return found;
      await new Promise<void>((resolve) => {
        const done = () => {
          this.noticeWaiters.delete(wake);
          signal.removeEventListener("abort", done);
          resolve();
        };
        const wake = (n: Notice) => {
          if (noticeMatches(n, filter)) done();
        };
        this.noticeWaiters.add(wake);
        signal.addEventListener("abort", done, { once: true });
      });
    }
  }

  // --- identities ---------------------------------------------------------------------

  /** The identity records, by name. */
  identityRecords(): ReadonlyMap<string, unknown> {
    return this.identities;
  }

  /** Sets (or with null, removes) an identity record; the next commit persists it. */
  setIdentityRecord(name: string, value: unknown | null): void {
    if (value === null) this.identities.delete(name);
    else this.identities.set(name, value);
    this.touch("identity", name);
  }

  // --- pruning ------------------------------------------------------------------------

  /** Removes old ready changes (and their tasks) and expired notices, as Pebble does. */
  prune(now = Date.now()): void {
    const ready = this.changeList().filter((c) => c.readyTime).sort((a, b) =>
      a.readyTime!.getTime() - b.readyTime!.getTime()
    );
    let readyCount = ready.length;
    for (const c of ready) {
      if (c.readyTime!.getTime() < now - PRUNE.waitMs || readyCount > PRUNE.maxReadyChanges) {
        for (const id of c.taskIds) {
          this.tasks.delete(id);
          this.touch("task", id);
        }
        this.changes.delete(c.id);
        this.touch("change", c.id);
        readyCount--;
      }
    }
    this.latestWarning = null;
    for (const [k, n] of this.notices) {
      const orphan = n.type === "change-update" && !this.changes.has(n.key);
      if (noticeExpired(n, now * 1000) || orphan) {
        this.notices.delete(k);
        this.noticesById.delete(n.id);
        this.touch("notice", n.id);
      } else {
        this.trackWarning(n);
      }
    }
    if (this.notices.size > PRUNE.maxNotices) {
      // As Pebble does: keep the most recently occurred.
      const byAge = [...this.notices.entries()].sort((a, b) =>
        a[1].lastOccurred - b[1].lastOccurred
      );
      for (const [k, n] of byAge.slice(0, this.notices.size - PRUNE.maxNotices)) {
        this.notices.delete(k);
        this.noticesById.delete(n.id);
        this.touch("notice", n.id);
      }
    }
  }

  // --- persistence --------------------------------------------------------------------

  private recordFor(k: string, id: string): StoredRecord {
    switch (k) {
      case "change": {
        const c = this.changes.get(id);
        return { k, id, v: c ? c.toRecord() : null };
      }
      case "task": {
        const t = this.tasks.get(id);
        return { k, id, v: t ? t.toRecord() : null };
      }
      case "notice": {
        const n = this.notice(id);
        return { k, id, v: n ? noticeToRecord(n) : null };
      }
      case "identity":
        return { k, id, v: this.identities.get(id) ?? null };
      case "meta":
        return {
          k,
          id,
          v: {
            "last-change-id": this.lastChangeId,
            "last-task-id": this.lastTaskId,
            "last-notice-id": this.lastNoticeId,
          },
        };
    }
    throw new Error(`internal error: unknown state record kind ${k}`);
  }

  private allRecords(): StoredRecord[] {
    const out: StoredRecord[] = [this.recordFor("meta", "ids")];
    for (const c of this.changes.values()) out.push({ k: "change", id: c.id, v: c.toRecord() });
    for (const t of this.tasks.values()) out.push({ k: "task", id: t.id, v: t.toRecord() });
    for (const n of this.notices.values()) {
      out.push({ k: "notice", id: n.id, v: noticeToRecord(n) });
    }
    for (const [id, v] of this.identities) out.push({ k: "identity", id, v });
    return out;
  }

  /**
   * Makes every mutation made so far durable. Callers that arrive while a flush is
   * under way share the next one.
   */
  commit(): Promise<void> {
    if (this.pendingCommit) return this.pendingCommit;
    const p = this.flushing.catch(() => {}).then(() => {
      this.pendingCommit = null;
      const batch = [...this.dirty.values()];
      this.dirty.clear();
      const records = batch.map((d) => this.recordFor(d.k, d.id));
      return this.store.write(records, () => this.allRecords());
    });
    this.pendingCommit = p;
    this.flushing = p;
    return p;
  }

  /** Flushes and closes the store. */
  async close(): Promise<void> {
    await this.commit().catch((e) => logNotice(`Cannot write state: ${e.message}`));
    this.store.close();
  }
}

/** Notice data with its keys sorted, as Go writes a map; null when empty. */
function sortedData(
  data: Record<string, string> | null | undefined,
): Record<string, string> | null {
  if (!data) return null;
  const keys = Object.keys(data);
  if (keys.length === 0) return null;
  if (keys.length === 1) return data;
  const out: Record<string, string> = {};
  for (const k of keys.sort()) out[k] = data[k];
  return out;
}
