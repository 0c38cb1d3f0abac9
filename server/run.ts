/**
 * `pebble run`: start the daemon and serve until SIGTERM, SIGINT or SIGQUIT.
 *
 * @module
 */

import { Daemon, DaemonError } from "./daemon.ts";
import { logNotice } from "./log.ts";

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
    });
    if (opts.args && Object.keys(opts.args).length) daemon.plan.setServiceArgs(opts.args);
    await daemon.start();
  } catch (e) {
    const message = e instanceof DaemonError || e instanceof Error ? e.message : String(e);
    console.error(`cannot run daemon: ${message}`);
    return 1;
  }

  const signal = await new Promise<string>((resolve) => {
    for (const sig of ["SIGTERM", "SIGINT", "SIGQUIT"] as const) {
      Deno.addSignalListener(sig, () => resolve(sig));
    }
  });
  const names: Record<string, string> = {
    SIGTERM: "terminated",
    SIGINT: "interrupt",
    SIGQUIT: "quit",
  };
  logNotice(`Exiting on ${names[signal]} signal.`);
  await daemon.stop();
  return 0;
}
