// Errors thrown by the Pebble client. The names follow ops.pebble (Error, APIError,
// ConnectionError, ProtocolError, TimeoutError, ChangeError), except that the base class
// is PebbleError so that the global Error is not shadowed.

import type { Change } from "./types.ts";

/**
 * Base class of the errors thrown by {@linkcode Client}.
 *
 * @example Catch any client error
 * ```ts
 * import { Client, PebbleError } from "@pebble/pebble";
 *
 * const client = new Client({ socketPath: "/var/lib/pebble/default/.pebble.socket" });
 * try {
 *   await client.getSystemInfo();
 * } catch (err) {
 *   if (!(err instanceof PebbleError)) throw err;
 *   console.error(`pebble: ${err.message}`);
 * } finally {
 *   client.close();
 * }
 * ```
 */
export class PebbleError extends Error {
  /** Creates an error with the given message and optional cause. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * The daemon answered with an error: an HTTP status of 400 or more, or an envelope
 * of type `"error"`.
 *
 * `kind` is Pebble's machine-readable error kind when it sent one, for example
 * `"not-found"`, `"permission-denied"`, `"login-required"`, `"generic-file-error"`.
 *
 * @example Tell a missing change from other failures
 * ```ts
 * import { APIError, Client } from "@pebble/pebble";
 *
 * const client = new Client();
 * try {
 *   await client.getChange("42");
 * } catch (err) {
 *   if (err instanceof APIError && err.code === 404) console.log("no such change");
 *   else throw err;
 * } finally {
 *   client.close();
 * }
 * ```
 */
export class APIError extends PebbleError {
  /** The whole JSON body of the response (an empty object when it was not JSON). */
  readonly body: Record<string, unknown>;
  /** The HTTP status code, for example 404. */
  readonly code: number;
  /** The HTTP status text, for example `"Not Found"`. */
  readonly status: string;
  /** Pebble's error kind, when the response had one. */
  readonly kind?: string;
  /** Pebble's extra error value (`result.value`), when the response had one. */
  readonly value?: unknown;

  /** Not usually constructed by users; the client throws it. */
  constructor(
    body: Record<string, unknown>,
    code: number,
    status: string,
    message: string,
    options?: { kind?: string; value?: unknown },
  ) {
    super(message);
    this.body = body;
    this.code = code;
    this.status = status;
    if (options?.kind !== undefined) this.kind = options.kind;
    if (options?.value !== undefined) this.value = options.value;
  }
}

/**
 * The client could not reach the daemon: the socket file does not exist, the connection
 * was refused, or it broke while the request was in flight. The message names the
 * socket path or URL.
 */
export class ConnectionError extends PebbleError {}

/**
 * The daemon answered with something that does not follow Pebble's protocol:
 * a body that is not JSON, an unexpected content type, or a malformed envelope.
 */
export class ProtocolError extends PebbleError {}

/**
 * A wait ran out of time: {@linkcode Client.waitChange} when the change did not become
 * ready in time, or a request that got no response within the client's `timeout`.
 */
export class TimeoutError extends PebbleError {}

/**
 * A change became ready but failed. `err` is the change's error text and `change` the
 * change itself; the message adds the logs of its tasks, as ops does.
 */
export class ChangeError extends PebbleError {
  /** The change's error message. */
  readonly err: string;
  /** The change that failed. */
  readonly change: Change;

  /** Builds the error from a failed change. */
  constructor(err: string, change: Change) {
    super(changeErrorMessage(err, change));
    this.err = err;
    this.change = change;
  }
}

function changeErrorMessage(err: string, change: Change): string {
  const parts = [err];
  change.tasks.forEach((task, i) => {
    if (task.log.length === 0) return;
    parts.push(`\n----- Logs from task ${i} -----\n`, task.log.join("\n"));
  });
  if (parts.length > 1) parts.push("\n-----");
  return parts.join("");
}

/**
 * A file operation failed for one path: it does not exist, permission was denied, or
 * another file error. `kind` is Pebble's: `"not-found"`, `"permission-denied"` or
 * `"generic-file-error"`; `message` is the daemon's, naming the path.
 *
 * @example Read a file that may be missing
 * ```ts
 * import { Client, PathError } from "@pebble/pebble";
 *
 * using client = new Client();
 * try {
 *   const text = await new Response(await client.pull("/etc/app.conf")).text();
 *   console.log(text);
 * } catch (err) {
 *   if (err instanceof PathError && err.kind === "not-found") console.log("no config yet");
 *   else throw err;
 * }
 * ```
 */
export class PathError extends PebbleError {
  /** Pebble's error kind. */
  readonly kind: "not-found" | "permission-denied" | "generic-file-error" | string;

  /** Not usually constructed by users; the client throws it. */
  constructor(kind: string, message: string) {
    super(message);
    this.kind = kind;
  }
}

/**
 * Some files of {@linkcode Client.pushPath} or {@linkcode Client.pullPath} could not be
 * copied. The copy went on as far as it could; `errors` lists each source path that
 * failed with its error (as ops' `MultiPushPullError`).
 */
export class MultiPushPullError extends PebbleError {
  /** Each failed source path with the error that stopped it. */
  readonly errors: [string, Error][];

  /** Not usually constructed by users; the client throws it. */
  constructor(message: string, errors: [string, Error][]) {
    const first = errors[0]?.[1]?.message ?? "";
    super(`${message} (${errors.length} errors): ${first}${errors.length > 1 ? ", ..." : ""}`);
    this.errors = errors;
  }
}

/**
 * A command run by {@linkcode Client.exec} exited with a non-zero code. `stdout` and
 * `stderr` hold its output when it was collected by `waitOutput()` (null otherwise, and
 * `stderr` is null when combined with `stdout`). The message is ops': the command and
 * code, with the output truncated to 1024 characters each.
 *
 * @example
 * ```ts
 * import { Client, ExecError } from "@pebble/pebble";
 *
 * using client = new Client();
 * try {
 *   await (await client.exec(["ls", "/nope"])).waitOutput();
 * } catch (err) {
 *   if (err instanceof ExecError) console.log(err.exitCode, err.stderr);
 *   else throw err;
 * }
 * ```
 */
export class ExecError<T extends string | Uint8Array = string | Uint8Array> extends PebbleError {
  /** At most this many characters (or bytes) of each output are shown in the message. */
  static readonly STR_MAX_OUTPUT = 1024;
  /** The command line that ran. */
  readonly command: string[];
  /** The exit code (never 0; 128 + N for a process killed by signal N). */
  readonly exitCode: number;
  /** The standard output collected, if any. */
  readonly stdout: T | null;
  /** The standard error collected, if any. */
  readonly stderr: T | null;

  /** Not usually constructed by users; `ExecProcess` throws it. */
  constructor(command: string[], exitCode: number, stdout: T | null, stderr: T | null) {
    let message = `non-zero exit code ${exitCode} executing ${JSON.stringify(command[0] ?? "")}`;
    for (const [name, out] of [["stdout", stdout], ["stderr", stderr]] as const) {
      if (out === null || out === undefined) continue;
      const max = ExecError.STR_MAX_OUTPUT;
      const shown = typeof out === "string"
        ? JSON.stringify(out.slice(0, max))
        : `b${JSON.stringify(new TextDecoder().decode(out.subarray(0, max)))}`;
      message += `, ${name}=${shown}${out.length > max ? " [truncated]" : ""}`;
    }
    super(message);
    this.command = command;
    this.exitCode = exitCode;
    this.stdout = stdout;
    this.stderr = stderr;
  }
}
