// What a running CLI command sees: its output streams, environment, the daemon's
// location, a lazily created API client, and the CLI state file that `warnings` and
// `okay` share with Canonical Pebble ($XDG_CONFIG_HOME/pebble/cli.json).

import type { Client } from "../client.ts";
import type { ServerMode } from "./_daemon.ts";
import type { CommandSpec, ParsedArgs } from "./_flags.ts";
import { VERSION } from "../../version.ts";

/** Where a command writes. Tests pass collectors; the program writes to fds 1 and 2. */
export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
}

/** Options of {@linkcode CliContext}. */
export interface CliContextOptions {
  io?: CliIO;
  /** Environment lookup (default: `Deno.env.get`). */
  env?: (name: string) => string | undefined;
  /** The current time, for relative times (default: the clock). */
  now?: () => Date;
  /** Client version to report (default: this program's). */
  version?: string;
  /** Loads server mode, for `run` and `enter` (main.ts passes server/run.ts). */
  server?: () => Promise<ServerMode>;
}

/** A command module's export: its spec and what it does. */
export interface Command {
  spec: CommandSpec;
  /** Runs the command; resolves to the exit status (0 when omitted). */
  run(ctx: CliContext, args: ParsedArgs): Promise<number | void>;
}

/** An error a command reports as `error: <message>` (exit status 1). */
export class CliError extends Error {
  override name = "CliError";
}

/** Pebble's `ErrExtraArgs`. */
export function extraArgsError(): CliError {
  return new CliError("too many arguments for command");
}

function writeAll(fd: { writeSync(p: Uint8Array): number }, text: string): void {
  let bytes = new TextEncoder().encode(text);
  try {
    while (bytes.length > 0) {
      const n = fd.writeSync(bytes);
      bytes = bytes.subarray(n);
    }
  } catch (err) {
    if (err instanceof Deno.errors.BrokenPipe) return;
    throw err;
  }
}

/** Writes to the process's stdout and stderr. */
export const processIO: CliIO = {
  stdout: (text) => writeAll(Deno.stdout, text),
  stderr: (text) => writeAll(Deno.stderr, text),
};

function defaultEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}

/** The run-time context of one CLI invocation. */
export class CliContext {
  readonly io: CliIO;
  readonly env: (name: string) => string | undefined;
  readonly now: () => Date;
  readonly version: string;
  /** `$PEBBLE`, or /var/lib/pebble/default. */
  readonly pebbleDir: string;
  /** `$PEBBLE_SOCKET`, or `$PEBBLE/.pebble.socket`. */
  readonly socketPath: string;
  /** `$PEBBLE_BASEURL`, when set. */
  readonly baseUrl: string | undefined;
  readonly #server: (() => Promise<ServerMode>) | undefined;
  #client: Client | undefined;

  constructor(options: CliContextOptions = {}) {
    this.io = options.io ?? processIO;
    this.env = options.env ?? defaultEnv;
    this.now = options.now ?? (() => new Date());
    this.version = options.version ?? VERSION;
    this.pebbleDir = this.env("PEBBLE") || "/var/lib/pebble/default";
    this.socketPath = this.env("PEBBLE_SOCKET") ||
      `${this.pebbleDir.replace(/\/+$/, "") || ""}/.pebble.socket`;
    this.baseUrl = this.env("PEBBLE_BASEURL") || undefined;
    this.#server = options.server;
  }

  /** Server mode; an error when this program was built without it. */
  async server(): Promise<ServerMode> {
    if (!this.#server) throw new CliError("this program has no server mode");
    return await this.#server();
  }

  /** Writes to stdout. */
  out(text: string): void {
    this.io.stdout(text);
  }

  /** Writes to stderr. */
  err(text: string): void {
    this.io.stderr(text);
  }

  /** The API client, created (and its module loaded) on first use. */
  async client(): Promise<Client> {
    if (!this.#client) {
      const { Client } = await import("../client.ts");
      this.#client = this.baseUrl !== undefined
        ? new Client({ baseUrl: this.baseUrl })
        : new Client({ socketPath: this.socketPath });
    }
    return this.#client;
  }

  /** The client if one was created. */
  get existingClient(): Client | undefined {
    return this.#client;
  }

  /** Releases the client's connection. */
  close(): void {
    this.#client?.close();
  }

  /** Path of the CLI state file, as Pebble computes it. */
  cliStatePath(): string {
    let configDir = this.env("XDG_CONFIG_HOME");
    if (!configDir) configDir = `${this.env("HOME") ?? ""}/.config`;
    return `${configDir.replace(/\/+$/, "")}/pebble/cli.json`;
  }

  /**
   * Loads this socket's CLI state (zero times when there is none).
   * @throws {CliError} `cannot load CLI state: ...`
   */
  async loadCliState(): Promise<CliState> {
    try {
      const full = await this.#loadFull();
      return full.pebble[this.socketPath] ?? emptyCliState();
    } catch (err) {
      throw new CliError(`cannot load CLI state: ${(err as Error).message}`);
    }
  }

  /**
   * Saves this socket's CLI state, keeping the other sockets' entries.
   * @throws {CliError} `cannot save CLI state: ...`
   */
  async saveCliState(state: CliState): Promise<void> {
    try {
      const full = await this.#loadFull();
      full.pebble[this.socketPath] = state;
      const path = this.cliStatePath();
      const dir = path.slice(0, path.lastIndexOf("/"));
      await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
      await Deno.writeTextFile(path, stringifyFullState(full), { mode: 0o600 });
    } catch (err) {
      throw new CliError(`cannot save CLI state: ${(err as Error).message}`);
    }
  }

  async #loadFull(): Promise<FullCliState> {
    let text: string;
    try {
      text = await Deno.readTextFile(this.cliStatePath());
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return { pebble: {} };
      throw err;
    }
    return parseFullState(text);
  }
}

/** Zero time as Go's encoding/json writes it. */
export const ZERO_TIME = "0001-01-01T00:00:00Z";

/** One socket's CLI state; times as RFC 3339 text with nanoseconds, as Go stores them. */
export interface CliState {
  noticesLastListed: string;
  noticesLastOkayed: string;
  warningsLastListed: string;
  warningsLastOkayed: string;
}

interface FullCliState {
  pebble: Record<string, CliState>;
}

/** A state with every time zero. */
export function emptyCliState(): CliState {
  return {
    noticesLastListed: ZERO_TIME,
    noticesLastOkayed: ZERO_TIME,
    warningsLastListed: ZERO_TIME,
    warningsLastOkayed: ZERO_TIME,
  };
}

/** Whether a stored time is Go's zero time. */
export function isZeroTime(t: string): boolean {
  return t === "" || /^0001-01-01T00:00:00(\.0+)?(Z|[+-]00:00)$/.test(t);
}

const FIELDS: [keyof CliState, string][] = [
  ["noticesLastListed", "notices-last-listed"],
  ["noticesLastOkayed", "notices-last-okayed"],
  ["warningsLastListed", "warnings-last-listed"],
  ["warningsLastOkayed", "warnings-last-okayed"],
];

function parseFullState(text: string): FullCliState {
  const raw = JSON.parse(text);
  const full: FullCliState = { pebble: {} };
  const entries = raw && typeof raw === "object" && raw.pebble && typeof raw.pebble === "object"
    ? raw.pebble as Record<string, unknown>
    : {};
  for (const [socket, value] of Object.entries(entries)) {
    const state = emptyCliState();
    if (value && typeof value === "object") {
      const v = value as Record<string, unknown>;
      for (const [field, key] of FIELDS) {
        if (typeof v[key] === "string") state[field] = v[key] as string;
      }
    }
    full.pebble[socket] = state;
  }
  return full;
}

function stringifyFullState(full: FullCliState): string {
  const pebble: Record<string, Record<string, string>> = {};
  for (const socket of Object.keys(full.pebble).sort()) {
    const state = full.pebble[socket];
    const entry: Record<string, string> = {};
    for (const [field, key] of FIELDS) entry[key] = state[field] || ZERO_TIME;
    pebble[socket] = entry;
  }
  return JSON.stringify({ pebble });
}
