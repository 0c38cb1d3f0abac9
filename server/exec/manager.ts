/**
 * Commands run for clients (Pebble's `cmdstate`): each `POST /v1/exec` becomes an
 * `exec` change with one task whose ID names its WebSockets (`control`, `stdio` and,
 * with `split-stderr`, `stderr`). The task waits up to 5 seconds for the I/O
 * WebSockets, starts the process in its own session and process group (with pipes, or
 * a pseudo-terminal for `terminal`), forwards data both ways with back-pressure, obeys
 * control messages (`signal`, `resize`), and records the exit code in the task's
 * `api-data`.
 *
 * Output is read from the process only as fast as the client takes it, so a slow
 * reader makes the process block on its pipe. A client that goes away (a WebSocket
 * closed without a close frame) while the process runs gets the process group killed.
 * A `timeout` kills the group and fails the change with Pebble's message.
 *
 * @module
 */

import { SIGNALS } from "../process/signals.ts";
import type { Change, Task } from "../state/change.ts";
import type { State } from "../state/state.ts";
import type { TaskRunner } from "../state/task_runner.ts";
import { formatDuration } from "../../plan/mod.ts";
import { logNotice } from "../log.ts";
import type { WsConn } from "../../client/_ws.ts";
import { releaseBytes } from "../../client/_bytes.ts";
import type { ExecSetup } from "./setup.ts";
import {
  forgetChild,
  killGroup,
  killProcess,
  type SpawnedProcess,
  spawnProcess,
  trackChild,
} from "../process/spawn.ts";
import type { PtyProcess } from "./pty.ts";

const CONNECT_TIMEOUT_MS = 5000;
/** How long a finished exec's WebSockets wait for the client's close frame. */
const CLOSE_GRACE_MS = 2000;
const END = '{"command":"end"}';

/** The IDs of an exec's WebSockets. */
export type WebsocketId = "control" | "stdio" | "stderr";

/** Why a WebSocket could not be connected: an HTTP status and Pebble's message. */
export interface ConnectRefusal {
  status: number;
  message: string;
}

class Deferred {
  done = false;
  promise: Promise<void>;
  #resolve!: () => void;
  constructor() {
    this.promise = new Promise((r) => (this.#resolve = r));
  }
  resolve(): void {
    this.done = true;
    this.#resolve();
  }
}

/** One running exec. */
class Execution {
  readonly sockets = new Map<string, WsConn | null>();
  readonly ioConnected = new Deferred();
  readonly controlConnected = new Deferred();
  /** Resolved once the process has exited (or could not start). */
  readonly finished = new Deferred();
  /** Set while the process runs: kills its group. */
  running = false;
  pid = 0;
  pty: PtyProcess | null = null;

  constructor(readonly taskId: string, readonly setup: ExecSetup) {
    this.sockets.set("control", null);
    this.sockets.set("stdio", null);
    if (setup.splitStderr) this.sockets.set("stderr", null);
  }

  ws(id: string): WsConn | null {
    return this.sockets.get(id) ?? null;
  }

  attach(id: string, ws: WsConn): void {
    this.sockets.set(id, ws);
    if (id === "control") this.controlConnected.resolve();
    else if (this.ws("stdio") && (!this.setup.splitStderr || this.ws("stderr"))) {
      this.ioConnected.resolve();
    }
  }

  /** Kills the process group (the client went away, or it timed out). */
  kill(): void {
    if (!this.running || this.pid <= 1) return;
    killGroup(this.pid, "SIGKILL");
  }
}

/** Runs the `exec` tasks of a state and connects their WebSockets. */
export class ExecManager {
  readonly #setups = new Map<string, ExecSetup>();
  readonly #executions = new Map<string, Execution>();
  readonly #waiters = new Map<string, Set<() => void>>();

  constructor(private state: State, private runner: TaskRunner) {
    runner.addHandler("exec", (task, signal) => this.#doExec(task, signal));
  }

  /** Creates the change and task for a prepared exec and starts it at once. */
  start(setup: ExecSetup): { change: Change; task: Task } {
    const summary = `Execute command ${JSON.stringify(setup.command[0])}`;
    const task = this.state.newTask("exec", summary);
    const change = this.state.newChange("exec", summary);
    change.addTask(task);
    this.#setups.set(task.id, setup);
    this.runner.schedule();
    return { change, task };
  }

  /**
   * Connects WebSocket `id` of exec task `task`: waits for the task to start running
   * (or its change to end, or `signal`), then calls `accept` to finish the handshake.
   * Returns a refusal instead when the WebSocket cannot be connected.
   */
  async connect(
    task: Task,
    id: string,
    accept: () => Promise<WsConn>,
    signal: AbortSignal,
  ): Promise<ConnectRefusal | null> {
    const change = this.state.changes.get(task.changeId);
    let e = this.#executions.get(task.id);
    if (!e) {
      const ready = new AbortController();
      let wake!: () => void;
      const woken = new Promise<void>((r) => (wake = r));
      const set = this.#waiters.get(task.id) ?? new Set();
      set.add(wake);
      this.#waiters.set(task.id, set);
      try {
        await Promise.race([
          woken,
          change ? change.ready(AbortSignal.any([signal, ready.signal])) : new Promise(() => {}),
          new Promise<void>((r) => signal.addEventListener("abort", () => r(), { once: true })),
        ]).catch(() => {});
      } finally {
        ready.abort();
        set.delete(wake);
        if (set.size === 0) this.#waiters.delete(task.id);
      }
      e = this.#executions.get(task.id);
      if (!e) {
        if (signal.aborted) return { status: 500, message: "context canceled" };
        return { status: 500, message: change?.err() ?? `exec task ${task.id} has finished` };
      }
    }
    if (!e.sockets.has(id)) {
      logNotice(`Websocket ${task.id}: cannot find ${id} websocket`);
      return { status: 404, message: `cannot find ${id} websocket for task "${task.id}"` };
    }
    if (e.sockets.get(id)) return { status: 500, message: `${id} websocket already connected` };
    const ws = await accept();
    // A second client may have raced this one through the handshake.
    if (e.sockets.get(id)) {
      ws.abort();
      return null;
    }
    e.attach(id, ws);
    return null;
  }

  async #doExec(task: Task, signal: AbortSignal): Promise<void> {
    const setup = this.#setups.get(task.id);
    if (!setup) return; // retried after a restart: never run an exec twice
    const e = new Execution(task.id, setup);
    this.#executions.set(task.id, e);
    for (const wake of this.#waiters.get(task.id) ?? []) wake();
    try {
      await this.#run(e, task, signal);
    } finally {
      this.#executions.delete(task.id);
      this.#setups.delete(task.id);
      for (const ws of e.sockets.values()) if (ws) finish(ws);
    }
  }

  async #run(e: Execution, task: Task, signal: AbortSignal): Promise<void> {
    const setup = e.setup;
    // Wait for the I/O WebSockets, so no output is lost.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<"timeout">((r) => {
      timer = setTimeout(() => r("timeout"), CONNECT_TIMEOUT_MS);
    });
    const aborted = new Promise<"abort">((r) => {
      if (signal.aborted) r("abort");
      signal.addEventListener("abort", () => r("abort"), { once: true });
    });
    const first = await Promise.race([
      e.ioConnected.promise.then(() => "ok" as const),
      timedOut,
      aborted,
    ]);
    clearTimeout(timer);
    if (first === "timeout") {
      logNotice(
        `Exec ${task.id}: timeout waiting for websocket connections: context deadline exceeded`,
      );
      throw new Error(
        `exec ${task.id}: timeout waiting for websocket connections: context deadline exceeded`,
      );
    }
    if (first === "abort") throw new Error("context canceled");

    const stdio = e.ws("stdio")!;
    const stderrWs = e.ws("stderr");
    let exitCode = -1;
    let timedOutRun = false;
    let startError: Error | null = null;
    const outputs: Promise<void>[] = [];
    let exited: Promise<number> = Promise.resolve(-1);

    try {
      if (setup.terminal) {
        const { spawnPty } = await import("./pty.ts");
        const pty = await spawnPty({
          program: setup.program,
          args: setup.command.slice(1),
          env: setup.environment,
          cwd: setup.workingDir,
          uid: setup.uid,
          gid: setup.gid,
          cols: setup.width,
          rows: setup.height,
        });
        e.pty = pty;
        e.pid = pty.pid;
        trackChild(pty.pid);
        e.running = true;
        if (!setup.interactive) pty.disableEcho();
        outputs.push(pumpPty(pty, stdio));
        if (stderrWs) outputs.push(stderrWs.sendText(END).catch(() => {}));
        this.#watchInput(e, stdio, {
          write: (data) => pty.write(data),
          end: () => pty.write("\x04"),
        });
        exited = pty.exited.then((code) => {
          forgetChild(pty.pid);
          return code;
        });
      } else {
        const proc: SpawnedProcess = spawnProcess({
          argv: [setup.program, ...setup.command.slice(1)],
          env: setup.environment,
          clearEnv: true,
          cwd: setup.workingDir,
          user: setup.uid !== undefined && setup.gid !== undefined
            ? { uid: setup.uid, gid: setup.gid }
            : null,
          stdin: "piped",
          stdout: "piped",
          stderr: "piped",
        });
        e.pid = proc.pid;
        e.running = true;
        const onFail = () => e.kill();
        if (stderrWs) {
          outputs.push(pumpPipe(proc.stdout!, stdio, true, onFail));
          outputs.push(pumpPipe(proc.stderr!, stderrWs, true, onFail));
        } else {
          const both = [
            pumpPipe(proc.stdout!, stdio, false, onFail),
            pumpPipe(proc.stderr!, stdio, false, onFail),
          ];
          outputs.push(Promise.all(both).then(() => stdio.sendText(END)).catch(() => {}));
        }
        const writer = proc.stdin!.getWriter();
        this.#watchInput(e, stdio, {
          write: (data) => writer.write(data),
          end: () => writer.close(),
        }, () => writer.abort().catch(() => {}));
        exited = proc.status.then((s) => s.code);
      }
      if (stderrWs) this.#watchPassive(e, stderrWs);
      this.#control(e);
    } catch (err) {
      startError = err as Error;
    }

    let deadline: ReturnType<typeof setTimeout> | undefined;
    const onAbort = () => e.kill();
    if (!startError) {
      if (setup.timeout > 0) {
        deadline = setTimeout(() => {
          timedOutRun = true;
          e.kill();
        }, Math.max(1, setup.timeout / 1e6));
      }
      if (signal.aborted) e.kill();
      signal.addEventListener("abort", onAbort, { once: true });
      exitCode = await exited;
    }
    e.running = false;
    e.finished.resolve();
    clearTimeout(deadline);
    signal.removeEventListener("abort", onAbort);

    // As Pebble: the control WebSocket closes once the process is gone; the output
    // WebSockets end once everything written has been sent.
    const control = e.ws("control");
    if (control) finish(control);
    if (startError) {
      await Promise.all([stdio.sendText(END), stderrWs?.sendText(END)]).catch(() => {});
    }
    await Promise.all(outputs);
    e.pty?.close();

    if (timedOutRun) {
      task.set("api-data", { "exit-code": -1 });
      throw new Error(
        `timed out after ${formatDuration(setup.timeout)}: context deadline exceeded`,
      );
    }
    if (startError) {
      task.set("api-data", { "exit-code": -1 });
      throw startError;
    }
    if (signal.aborted) {
      task.set("api-data", { "exit-code": -1 });
      throw new Error("context canceled");
    }
    task.set("api-data", { "exit-code": exitCode });
  }

  /** Forwards the stdio WebSocket's data to the process's input until the end message. */
  #watchInput(
    e: Execution,
    ws: WsConn,
    input: { write(data: Uint8Array): unknown; end(): unknown },
    abort?: () => void,
  ): void {
    (async () => {
      let open = true;
      const close = async () => {
        if (!open) return;
        open = false;
        try {
          await input.end();
        } catch { /* the process is gone */ }
      };
      for (;;) {
        const m = await ws.receive();
        if (!m) break;
        if (m.type === "text") {
          let command: unknown;
          try {
            command = JSON.parse(m.data)?.command;
          } catch (err) {
            logNotice(`Cannot decode I/O command: ${(err as Error).message}`);
            continue;
          }
          if (command === "end") await close();
          else logNotice(`Invalid I/O command ${JSON.stringify(command)}`);
          continue;
        }
        if (!open) continue;
        try {
          await input.write(m.data);
          releaseBytes(m.data); // written: free it now rather than at the next scavenge
        } catch {
          open = false;
          abort?.();
        }
      }
      await close();
      if (ws.closeInfo?.code === 1006) e.kill();
      ws.abort();
    })().catch((err) => logNotice(`Exec ${e.taskId}: stdin: ${err?.message ?? err}`));
  }

  /** Watches a WebSocket the client only reads from, to notice it going away. */
  #watchPassive(e: Execution, ws: WsConn): void {
    (async () => {
      while (await ws.receive()) { /* nothing is expected from the client */ }
      if (ws.closeInfo?.code === 1006) e.kill();
      ws.abort();
    })().catch(() => {});
  }

  /** Obeys control messages until the control WebSocket ends. */
  #control(e: Execution): void {
    (async () => {
      await Promise.race([e.controlConnected.promise, e.finished.promise]);
      const ws = e.ws("control");
      if (!ws || e.finished.done) return;
      for (;;) {
        const m = await ws.receive();
        if (!m) break;
        if (m.type !== "text") continue;
        let cmd: { command?: unknown; signal?: { name?: unknown }; resize?: unknown };
        try {
          cmd = JSON.parse(m.data);
        } catch (err) {
          logNotice(
            `Exec ${e.taskId}: cannot decode control websocket command: ${(err as Error).message}`,
          );
          continue;
        }
        this.#command(e, cmd);
      }
      if (ws.closeInfo?.code === 1006) e.kill();
      ws.abort();
    })().catch((err) => logNotice(`Exec ${e.taskId}: control: ${err?.message ?? err}`));
  }

  #command(
    e: Execution,
    cmd: { command?: unknown; signal?: { name?: unknown }; resize?: unknown },
  ): void {
    const id = e.taskId;
    if (cmd.command === "resize" && e.setup.terminal) {
      const r = cmd.resize as { width?: unknown; height?: unknown } | null | undefined;
      if (!r || typeof r !== "object") {
        logNotice(`Exec ${id}: control command "resize" requires terminal width and height`);
        return;
      }
      const w = Number(r.width) || 0;
      const h = Number(r.height) || 0;
      try {
        e.pty?.resize(w, h);
      } catch (err) {
        logNotice(
          `Exec ${id}: control command "resize" cannot set terminal size to ${w}x${h}: ${
            (err as Error).message
          }`,
        );
      }
      return;
    }
    if (cmd.command === "signal") {
      const name = cmd.signal && typeof cmd.signal === "object" ? cmd.signal.name : undefined;
      if (name === undefined) {
        logNotice(`Exec ${id}: control command "signal" requires signal name`);
        return;
      }
      if (typeof name !== "string" || !SIGNALS.has(name)) {
        logNotice(`Exec ${id}: invalid signal name ${JSON.stringify(name)}`);
        return;
      }
      if (!e.running || !killProcess(e.pid, name as Deno.Signal)) {
        logNotice(
          `Exec ${id}: control command "signal" cannot forward ${name} to PID ${e.pid}: no such process`,
        );
        return;
      }
      logNotice(`Exec ${id}: forwarded signal ${name} to PID ${e.pid}`);
      return;
    }
    logNotice(`Exec ${id}: invalid control websocket command ${JSON.stringify(cmd.command ?? "")}`);
  }
}

/** Bytes read from a process's output pipe at a time. */
const PIPE_READ = 64 * 1024;

/**
 * Sends each chunk of `stream` as a binary message, then (when `end`) the end message.
 * The pipe is read into two buffers taken in turn (BYOB reads): one is read into while
 * the other is being sent, and a buffer is read into again only once its send has
 * completed, so output of any size moves through the same 128 KiB and the process waits
 * on its pipe while the client is slow.
 */
async function pumpPipe(
  stream: ReadableStream<Uint8Array>,
  ws: WsConn,
  end: boolean,
  onFail: () => void,
): Promise<void> {
  const reader = stream.getReader({ mode: "byob" });
  const free = [new ArrayBuffer(PIPE_READ), new ArrayBuffer(PIPE_READ)];
  let sending: Promise<void> | null = null;
  let sent: ArrayBuffer | null = null;
  try {
    for (;;) {
      const { value, done } = await reader.read(new Uint8Array(free.pop()!));
      if (sending) {
        await sending;
        free.push(sent!);
      }
      if (done || !value) break;
      sending = ws.sendBinary(value);
      sent = value.buffer as ArrayBuffer;
      sending.catch(() => {}); // awaited above; a failure ends the loop there
    }
    if (end) await ws.sendText(END);
  } catch {
    // The client went away: stop reading (the process gets EPIPE) and kill it.
    onFail();
    await reader.cancel().catch(() => {});
  }
}

/** Sends terminal output as binary messages, pausing the terminal while a send is pending. */
function pumpPty(pty: PtyProcess, ws: WsConn): Promise<void> {
  let pending = 0;
  let failed = false;
  let last: Promise<void> = Promise.resolve();
  pty.onData((data) => {
    if (failed) return;
    pending++;
    if (pending === 1) pty.pause();
    last = ws.sendBinary(data).then(() => {
      if (--pending === 0) pty.resume();
    }, () => {
      failed = true;
    });
  });
  return pty.exited.then(async () => {
    // Output written just before the exit is delivered before the exit event.
    await new Promise((r) => setTimeout(r, 0));
    await last;
    if (!failed) await ws.sendText(END).catch(() => {});
  });
}

/** Closes a WebSocket politely, then drops it if the client does not answer in time. */
function finish(ws: WsConn): void {
  ws.close().catch(() => {});
  const t = setTimeout(() => ws.abort(), CLOSE_GRACE_MS);
  Deno.unrefTimer(t);
}
