/**
 * The daemon: built from options, never a global, so several can run in one process.
 *
 * ```ts
 * const d = await Daemon.create({ pebbleDir: "/tmp/pebble", createDirs: true });
 * await d.start();
 * // ... clients talk to /tmp/pebble/.pebble.socket ...
 * await d.stop();
 * ```
 *
 * @module
 */

import type { Server } from "node:net";
import { createHttpServer, type HttpServer } from "./http_server.ts";
import { connect } from "node:net";
import { join } from "node:path";
import { buildApi, type ConnInfo } from "./api/api.ts";
import type { ApiDeps } from "./api/context.ts";
import { PlanManager } from "./plan_manager.ts";
import { JournalStore, MemoryStore } from "./state/journal.ts";
import { State } from "./state/state.ts";
import { TaskRunner } from "./state/task_runner.ts";
import { logDebug, logNotice } from "./log.ts";
import { peerCredOfSocket } from "./peer_cred.ts";
import { VERSION } from "../version.ts";
import { ServiceManager, type ShutdownKind } from "./services/mod.ts";
import { StdoutSink } from "./logs/mod.ts";
import { ExecManager } from "./exec/manager.ts";
import { upgradeListener } from "./api/exec.ts";
import { CheckManager } from "./checks/manager.ts";
import { IdentityManager } from "./identities/manager.ts";

/** How the daemon is set up. */
export interface DaemonOptions {
  /** The pebble directory ($PEBBLE). */
  pebbleDir: string;
  /** The unix socket path; default `$pebbleDir/.pebble.socket`. */
  socketPath?: string;
  /** The layers directory; default `$pebbleDir/layers`. */
  layersDir?: string;
  /** Create the pebble directory if missing. */
  createDirs?: boolean;
  /** Also serve the API over TCP at this address (`:4000`, `127.0.0.1:4000`). */
  httpAddress?: string;
  /** `never` keeps the state in memory only. */
  persist?: "always" | "never";
  /** The version reported by `/v1/system-info`. */
  version?: string;
  /** Copy service output to standard output (`pebble run --verbose`). */
  verbose?: boolean;
}

/** A configuration or start-up problem, reported as `cannot run daemon: ...`. */
export class DaemonError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DaemonError";
  }
}

function readBootId(): string {
  try {
    return Deno.readTextFileSync("/proc/sys/kernel/random/boot_id").trim();
  } catch {
    return crypto.randomUUID();
  }
}

function parseHttpAddress(address: string): { host?: string; port: number } {
  const m = /^(?:\[([^\]]*)\]|([^:]*)):(\d+)$/.exec(address);
  if (!m) throw new DaemonError(`cannot listen on ${JSON.stringify(address)}: missing port`);
  const host = m[1] ?? m[2];
  return { host: host || undefined, port: Number(m[3]) };
}

/** Whether something answers on a unix socket path. */
function socketInUse(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

/** The daemon and its managers. */
export class Daemon {
  readonly state: State;
  readonly plan: PlanManager;
  readonly runner: TaskRunner;
  /** Commands run for clients (`/v1/exec`). */
  readonly exec: ExecManager;
  /** Supervises services (`/v1/services`, `/v1/signals`, `/v1/logs`). */
  readonly services: ServiceManager;
  /** Runs the plan's health checks (`/v1/checks`, `/v1/health`). */
  readonly checks: CheckManager;
  /** Named identities and their access levels (`/v1/identities`). */
  readonly identities: IdentityManager;
  /** Resolves when a service action (or a check failure) asks the daemon to exit. */
  readonly shutdownRequested: Promise<ShutdownKind>;
  readonly socketPath: string;
  private servers: HttpServer[] = [];
  private pruneTimer?: ReturnType<typeof setInterval>;
  private stopped = false;

  private constructor(readonly options: DaemonOptions) {
    this.socketPath = options.socketPath ?? join(options.pebbleDir, ".pebble.socket");
    const store = options.persist === "never"
      ? new MemoryStore()
      : new JournalStore(join(options.pebbleDir, ".pebble.state"));
    this.state = new State(store);
    this.runner = new TaskRunner(this.state);
    this.exec = new ExecManager(this.state, this.runner);
    this.plan = new PlanManager(options.layersDir ?? join(options.pebbleDir, "layers"));
    let requestShutdown!: (kind: ShutdownKind) => void;
    this.shutdownRequested = new Promise((resolve) => requestShutdown = resolve);
    const sink = options.verbose ? new StdoutSink() : null;
    this.services = new ServiceManager({
      state: this.state,
      runner: this.runner,
      plan: this.plan,
      onShutdown: requestShutdown,
      onLog: sink ? (buffer) => buffer.subscribe((e) => sink.write(e)) : undefined,
    });
    this.checks = new CheckManager(this.state, this.runner, this.plan);
    this.checks.onCheckFailed((name) => this.services.checkFailed(name));
    this.identities = new IdentityManager(this.state);
  }

  /**
   * Starts the services with `startup: enabled` (what `pebble run` does unless
   * `--hold`), and logs when they have started, as Pebble does. The returned `started`
   * settles when that change is ready (`pebble enter` waits for it).
   */
  async autostart(): Promise<{ started: Promise<void> }> {
    let change;
    try {
      change = await this.services.changeFor("autostart", []);
    } catch (e) {
      logNotice(`Cannot start default services: ${(e as Error).message}`);
      return { started: Promise.resolve() };
    }
    logDebug(`Waiting for default services to autostart with change ${change.id}.`);
    const started = change.ready().then(
      () => logNotice(`Started default services with change ${change.id}.`),
      () => {},
    );
    return { started };
  }

  /** Checks the directories, loads the state and the layers. Throws DaemonError. */
  static async create(options: DaemonOptions): Promise<Daemon> {
    const dir = options.pebbleDir;
    if (options.createDirs) {
      await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    } else {
      try {
        if (!(await Deno.stat(dir)).isDirectory) {
          throw new DaemonError(`${dir} is not a directory`);
        }
      } catch (e) {
        if (e instanceof Deno.errors.NotFound) {
          throw new DaemonError(
            `pebble directory ${
              JSON.stringify(dir)
            } does not exist (use --create-dirs to create it)`,
          );
        }
        throw e;
      }
    }
    const d = new Daemon(options);
    try {
      await d.plan.load();
    } catch (e) {
      throw new DaemonError(`cannot load layers: ${(e as Error).message}`);
    }
    await d.state.load();
    d.identities.load();
    return d;
  }

  /** Listens on the socket (and `httpAddress`), and starts the task runner. */
  async start(): Promise<void> {
    const deps: ApiDeps = {
      state: this.state,
      plan: this.plan,
      version: this.options.version ?? VERSION,
      bootId: readBootId(),
      httpAddress: this.options.httpAddress,
      daemonUid: Deno.uid() ?? 0,
      exec: this.exec,
      services: this.services,
      checks: this.checks,
      identities: this.identities,
    };
    const listener = buildApi(deps);

    if (await socketInUse(this.socketPath)) {
      throw new DaemonError(`socket ${JSON.stringify(this.socketPath)} already in use`);
    }
    await Deno.remove(this.socketPath).catch(() => {});
    const onUpgrade = upgradeListener(deps);
    const unix = createHttpServer(listener, onUpgrade);
    unix.on("connection", (socket) => {
      const cred = peerCredOfSocket(socket);
      const conn: ConnInfo = { transport: "http+unix", uid: cred ? cred.uid : null };
      Object.assign(socket, { pebbleConn: conn });
    });
    await listen(unix, (cb) => unix.listen(this.socketPath, cb), this.socketPath);
    await Deno.chmod(this.socketPath, 0o666);
    this.servers.push(unix);

    if (this.options.httpAddress) {
      const { host, port } = parseHttpAddress(this.options.httpAddress);
      const http = createHttpServer(listener, onUpgrade);
      await listen(http, (cb) => http.listen(port, host, cb), this.options.httpAddress);
      this.servers.push(http);
      logNotice(`HTTP API server listening on "${this.options.httpAddress}".`);
    }

    // As Pebble's overlord: the first prune is one interval after start-up.
    this.pruneTimer = setInterval(() => {
      this.state.prune();
      this.state.commit().catch((e) => logNotice(`Cannot write state: ${e.message}`));
    }, 10 * 60 * 1000);
    this.checks.start();
    await this.state.commit();
    this.runner.ensure();
    logNotice("Started daemon.");
  }

  /** Stops listening, stops running tasks, writes the state and removes the socket. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.services.stopAll();
    clearInterval(this.pruneTimer);
    await Promise.all(this.servers.map((s) =>
      new Promise<void>((resolve) => {
        s.close(() => resolve());
        s.closeAllConnections();
      })
    ));
    await this.runner.stop();
    this.services.dispose();
    await this.state.close();
    await Deno.remove(this.socketPath).catch(() => {});
    logNotice("Server exiting!");
  }
}

function listen(server: Server, go: (cb: () => void) => void, where: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error) =>
      reject(new DaemonError(`cannot listen on ${where}: ${e.message}`));
    server.once("error", onError);
    go(() => {
      server.off("error", onError);
      resolve();
    });
  });
}
