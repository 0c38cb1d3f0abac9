/**
 * What every checker shares: the interface, the failure type that carries Pebble's
 * "details" (response body or command output), and the factory that picks a checker for
 * a check definition.
 *
 * @module
 */

import type { Check } from "../../plan/mod.ts";
import { formatDuration } from "../../plan/mod.ts";
import { HttpChecker } from "./http_checker.ts";
import { TcpChecker } from "./tcp_checker.ts";
import { ExecChecker } from "./exec_checker.ts";

/**
 * Performs one kind of check. `run` resolves when the check passes and rejects with an
 * Error (a {@link CheckFailure} when there are details) when it fails or when `timeoutMs`
 * passes first; whatever it started (a connection, a process group) is gone by the
 * time it settles. `cancel` ends a run in flight early (the check was stopped).
 */
export interface Checker {
  run(timeoutMs: number): Promise<void>;
  cancel(): void;
}

/** A failed check with extra lines (HTTP body, command output) shown after the message. */
export class CheckFailure extends Error {
  constructor(message: string, readonly details = "") {
    super(message);
    this.name = "CheckFailure";
  }
}

/** Pebble's `errorDetails`: the message, then `; details` when there are any. */
export function errorDetails(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof CheckFailure && err.details !== "") return `${message}; ${err.details}`;
  return message;
}

/** The error of a run that hit its timeout, worded as Pebble's. */
export function timedOut(timeoutMs: number): Error {
  return new Error(`check timed out after ${formatDuration(Math.round(timeoutMs * 1e6))}`);
}

/** The check type as Pebble names it in change summaries: `HTTP`, `TCP` or `exec`. */
export function checkType(check: Check): string {
  if (check.http) return "HTTP";
  if (check.tcp) return "TCP";
  if (check.exec) return "exec";
  return "<unknown>";
}

/** A checker for a (service-context-merged) check definition. */
export function newChecker(check: Check): Checker {
  if (check.http) return new HttpChecker(check.http.url, check.http.headers);
  if (check.tcp) return new TcpChecker(check.tcp.host, check.tcp.port);
  if (check.exec) return new ExecChecker(check.exec);
  throw new Error(`internal error: check ${JSON.stringify(check.name)} has no type`);
}

/**
 * The last `n` lines of `text` as Pebble's `LastLines` gives them: trimmed, with the
 * first replaced by `(...)` when there were more.
 */
export function lastLines(text: string, n: number): string {
  const lines = text.trim().split("\n");
  if (lines.length > n) {
    const kept = lines.slice(lines.length - n - 1);
    kept[0] = "(...)";
    return kept.join("\n");
  }
  return lines.join("\n");
}
