/**
 * `pebble run`: start the daemon and serve until SIGTERM, SIGINT or SIGQUIT.
 *
 * @module
 */

import { Daemon, DaemonError } from "./daemon.ts";
import { logNotice } from "./log.ts";
import { startReaper } from "./process/mod.ts";

/** Options of `pebble run`, as the CLI parsed them. */
export interface RunOptions {
  pebbleDir: string;
  socketPath: string;
  createDirs?: boolean;
  hold?: boolean;
  httpAddress?: string;
  /** HTTPS needs TLS identities, which are not implemented yet. */
  httpsAddress?: string;
  verbose?: boolean;
  /** `--args SERVICE ARGS... ;` per service. */
  args?: Record<string, string[]>;
  identitiesFile?: string;
}

/** Runs the daemon until a signal; returns the process exit code. */
export async function runDaemon(opts: RunOptions): Promise<number> {
  let daemon: Daemon;
  try {
    if (opts.identitiesFile) throw new DaemonError("--identities is not implemented yet");
    if (opts.httpsAddress) throw new DaemonError("--https is not implemented yet");
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
    console.error(`cannot run daemon: ${message}`);
    return 1;
  }

  // Orphans of services are re-parented to us (PID 1, or a subreaper): reap them.
  const reaper = startReaper();
  if (!opts.hold) await daemon.autostart();

  const signal = await new Promise<string>((resolve) => {
    for (const sig of ["SIGTERM", "SIGINT", "SIGQUIT"] as const) {
      Deno.addSignalListener(sig, () => resolve(sig));
    }
    daemon.shutdownRequested.then((kind) => resolve(kind));
  });
  const names: Record<string, string> = {
    SIGTERM: "terminated",
    SIGINT: "interrupt",
    SIGQUIT: "quit",
  };
  // A service action (or a check failure) asked the daemon to exit: Pebble's codes.
  const codes: Record<string, number> = { "service-failure": 10, "check-failure": 11 };
  if (names[signal]) logNotice(`Exiting on ${names[signal]} signal.`);
  else logNotice("Server exiting! Reason: <nil>"); // as Pebble words it
  await daemon.stop();
  reaper?.stop();
  return codes[signal] ?? 0;
}
