/**
 * The daemon's own log lines, in Pebble's layout:
 * `2024-05-03T03:55:49.654Z [pebble] Started daemon.` — scripts and tests wait for them.
 *
 * @module
 */

/** Where log lines go; tests and embedders can replace it. */
export type LogSink = (line: string) => void;

const encoder = new TextEncoder();
let sink: LogSink = (line) => Deno.stderr.writeSync(encoder.encode(line));
let debugEnabled = Deno.env.get("PEBBLE_DEBUG") === "1";

/** Replaces the destination of log lines (default: standard error). */
export function setLogSink(next: LogSink): void {
  sink = next;
}

/** Turns debug lines on or off (`PEBBLE_DEBUG=1` turns them on at start-up). */
export function setDebug(enabled: boolean): void {
  debugEnabled = enabled;
}

/** Logs a notice line. */
export function logNotice(message: string): void {
  sink(`${new Date().toISOString()} [pebble] ${message}\n`);
}

/** Logs a debug line when debug output is enabled. */
export function logDebug(message: string): void {
  if (debugEnabled) sink(`${new Date().toISOString()} [pebble] DEBUG ${message}\n`);
}
