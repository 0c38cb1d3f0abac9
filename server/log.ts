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

/** Replaces the destination of log lines (default: standard error). */
export function setLogSink(next: LogSink): void {
  sink = next;
}

/** Logs a notice line. */
export function logNotice(message: string): void {
  sink(`${new Date().toISOString()} [pebble] ${message}\n`);
}

let debugOn: boolean | undefined;

/** Whether debug lines are logged (`PEBBLE_DEBUG=1`, read once). */
export function debugEnabled(): boolean {
  if (debugOn === undefined) {
    try {
      debugOn = Deno.env.get("PEBBLE_DEBUG") === "1";
    } catch {
      debugOn = false;
    }
  }
  return debugOn;
}

/** Logs a debug line (`... [pebble] DEBUG message`) when `PEBBLE_DEBUG=1`, as Pebble does. */
export function logDebug(message: string): void {
  if (debugEnabled()) logNotice(`DEBUG ${message}`);
}
