/**
 * `pebble run`: start the daemon and serve until SIGTERM, SIGINT or SIGQUIT (and, for
 * `pebble enter`, until the subcommand is done).
 *
 * @module
 */

import type { RunningDaemon, RunOptions } from "../client/cli/_daemon.ts";
import { join } from "node:path";
import { Daemon, DaemonError } from "./daemon.ts";
import { flushLog, logDebug, logNotice, setLogSink } from "./log.ts";
import { startReaper } from "./process/mod.ts";

/**
 * `PEBBLE_COPY_ONCE`: copies `src` into `dest` when `dest` is empty or missing, as
 * Pebble's maybeCopyPebbleDir (a missing source is skipped).
 */
export async function copyOnce(dest: string, src: string): Promise<void> {
  try {
    await Deno.stat(src);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return;
    throw e;
  }
  try {
    for await (const _ of Deno.readDir(dest)) return; // not empty
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  try {
    await copyTree(src, dest);
  } catch (e) {
    throw new DaemonError(
      `cannot copy ${JSON.stringify(src)} to ${JSON.stringify(dest)}: ${(e as Error).message}`,
    );
  }
  logDebug(`Copied ${src} to ${dest}.`);
}

async function copyTree(src: string, dest: string): Promise<void> {
  await Deno.mkdir(dest, { recursive: true, mode: 0o777 });
  for await (const entry of Deno.readDir(src)) {
    const from = join(src, entry.name);
    const to = join(dest, entry.name);
    if (entry.isDirectory) {
      await copyTree(from, to);
    } else if (entry.isFile) {
      const mode = ((await Deno.stat(from)).mode ?? 0) & 0o111;
      await Deno.copyFile(from, to);
      await Deno.chmod(to, (0o666 | mode) & ~Deno.umask());
    } else {
      throw new Error(`cannot copy non-regular file ${from}`);
    }
  }
}

/** Starts the daemon; returns a handle, or the exit code when it could not start. */
export async function launchDaemon(opts: RunOptions): Promise<RunningDaemon | number> {
  const t0 = performance.now();
  let daemon: Daemon;
  try {
    if (opts.httpsAddress) throw new DaemonError("--https is not implemented yet");
    if (opts.createDirs) await Deno.mkdir(opts.pebbleDir, { recursive: true, mode: 0o700 });
    const copySource = Deno.env.get("PEBBLE_COPY_ONCE");
    if (copySource) await copyOnce(opts.pebbleDir, copySource);
    daemon = await Daemon.create({
      pebbleDir: opts.pebbleDir,
      socketPath: opts.socketPath,
      createDirs: opts.createDirs,
      httpAddress: opts.httpAddress,
      persist: Deno.env.get("PEBBLE_PERSIST") === "never" ? "never" : "always",
      verbose: opts.verbose || Deno.env.get("PEBBLE_VERBOSE") === "1",
    });
    if (opts.args && Object.keys(opts.args).length) daemon.plan.setServiceArgs(opts.args);
    await daemon.start();
  } catch (e) {
    const message = e instanceof DaemonError || e instanceof Error ? e.message : String(e);
    flushLog();
    console.error(`cannot run daemon: ${message}`);
    return 1;
  }
  logDebug(`activation done in ${Math.round(performance.now() - t0)}ms`);

  if (opts.identities) {
    const problem = await seedIdentities(daemon, opts.identities);
    if (problem) {
      await daemon.stop();
      flushLog();
      console.error(`cannot run daemon: cannot replace identities: ${problem}`);
      return 1;
    }
  }

  // Orphans of services are re-parented to us (PID 1, or a subreaper): reap them.
  const reaper = startReaper();
  const ready = opts.hold ? Promise.resolve() : (await daemon.autostart()).started;

  let stopRequested!: () => void;
  const stopped = new Promise<string>((resolve) => stopRequested = () => resolve("stop"));
  const exit = (async () => {
    const listeners: [Deno.Signal, () => void][] = [];
    const signal = await new Promise<string>((resolve) => {
      for (const sig of ["SIGTERM", "SIGINT", "SIGQUIT"] as const) {
        const fn = () => resolve(sig);
        listeners.push([sig, fn]);
        Deno.addSignalListener(sig, fn);
      }
      daemon.shutdownRequested.then((kind) => resolve(kind));
      stopped.then(resolve);
    });
    for (const [sig, fn] of listeners) Deno.removeSignalListener(sig, fn);
    const names: Record<string, string> = {
      SIGTERM: "terminated",
      SIGINT: "interrupt",
      SIGQUIT: "quit",
    };
    // A service action (or a check failure) asked the daemon to exit: Pebble's codes.
    const codes: Record<string, number> = { "service-failure": 10, "check-failure": 11 };
    if (names[signal]) logNotice(`Exiting on ${names[signal]} signal.`);
    else if (signal !== "stop") logNotice("Server exiting! Reason: <nil>"); // as Pebble words it
    await daemon.stop();
    reaper?.stop();
    flushLog();
    return codes[signal] ?? 0;
  })();
  // What the daemon logged while starting comes before an `enter` subcommand's output.
  return { ready: ready.then(flushLog), stop: stopRequested, exit };
}

/** Applies `--identities` (like `update-identities --replace`); returns a problem or "". */
async function seedIdentities(daemon: Daemon, raw: Record<string, unknown>): Promise<string> {
  const { identityFromApi, loadX509 } = await import("./identities/identity.ts");
  const parsed = new Map();
  try {
    if (Object.values(raw).some((v) => v && typeof v === "object" && "cert" in v)) {
      await loadX509();
    }
    for (const name of Object.keys(raw).sort()) {
      try {
        parsed.set(name, identityFromApi(name, raw[name]));
      } catch (e) {
        throw new Error(`invalid identity for ${JSON.stringify(name)}: ${(e as Error).message}`);
      }
    }
    daemon.identities.apply("replace", parsed);
    await daemon.state.commit();
  } catch (e) {
    return (e as Error).message;
  }
  return "";
}

/** Runs the daemon until a signal; returns the process exit code. */
export async function runDaemon(opts: RunOptions): Promise<number> {
  const running = await launchDaemon(opts);
  return typeof running === "number" ? running : await running.exit;
}

/** Drops the daemon's own log lines (`pebble enter` with a subcommand that prints). */
export function silenceLog(): void {
  setLogSink(() => {}); // what waits is written first
}
