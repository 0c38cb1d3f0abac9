// What `pebble run` and `pebble enter` need from server mode. The CLI never imports the
// server: main.ts hands it a loader for server/run.ts (see CliContextOptions.server), so
// client-only programs and tests that embed the CLI carry no server code.

/** The options of `pebble run`, as the CLI parsed them. */
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
  /** `--identities FILE`, already read: identities in the API's JSON shape (null: remove). */
  identities?: Record<string, unknown>;
}

/** A daemon started by {@linkcode ServerMode.launchDaemon}. */
export interface RunningDaemon {
  /** Settles once the default services have started (at once with `hold`). */
  ready: Promise<void>;
  /** Asks the daemon to stop (as a signal would, without the log line). */
  stop(): void;
  /** Resolves to the process exit code once the daemon has stopped. */
  exit: Promise<number>;
}

/** Server mode, as server/run.ts provides it. */
export interface ServerMode {
  /** Runs the daemon until a signal; resolves to the exit code. */
  runDaemon(opts: RunOptions): Promise<number>;
  /** Starts the daemon and returns at once (or an exit code when it cannot start). */
  launchDaemon(opts: RunOptions): Promise<RunningDaemon | number>;
  /** Drops the daemon's own log lines (for `enter` subcommands that print output). */
  silenceLog(): void;
}
