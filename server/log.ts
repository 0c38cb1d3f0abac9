/**
 * The daemon's own log lines, in Pebble's layout:
 * `2024-05-03T03:55:49.654Z [pebble] Started daemon.` — scripts and tests wait for them.
 *
 * Lines go to standard error in order, but not in the middle of a request: they are
 * gathered and written once the current event-loop task is done (`setImmediate`), so a
 * request's log lines are written after its response rather than delaying it (a write to
 * a pipe also wakes its reader, which cost a small upload ~10 % of its time). They are
 * not held longer: a script that reads the log after a response finds the request's
 * lines there, as with Pebble. A message may be a function of the line's time (as an ISO
 * string), called only then, so that formatting it waits too. Lines are written at once
 * when 256 are waiting, when the process exits, and when it dies of an uncaught error.
 *
 * @module
 */

/** Where log lines go; tests and embedders can replace it. */
export type LogSink = (line: string) => void;

/**
 * A log message, or what makes it from the time of the line as `toISOString` spells it
 * (called when the line is written).
 */
export type LogMessage = string | ((iso: string) => string);

const encoder = new TextEncoder();
/** Waiting lines beyond this are written at once. */
const MAX_WAITING = 256;
/** Lines waiting to be written: each one's time and message. */
const waiting: [number, LogMessage][] = [];
let flushScheduled = false;

let isoTime = NaN;
let isoText = "";

/** `time` (ms) as an ISO string; the lines of one millisecond (a request's) share it. */
function isoString(time: number): string {
  if (time !== isoTime) {
    isoTime = time;
    isoText = new Date(time).toISOString();
  }
  return isoText;
}

function line(time: number, message: LogMessage): string {
  const iso = isoString(time);
  return `${iso} [pebble] ${typeof message === "string" ? message : message(iso)}\n`;
}

/** Writes the waiting log lines to standard error now. */
export function flushLog(): void {
  flushScheduled = false;
  if (waiting.length === 0) return;
  let text = "";
  for (const [time, message] of waiting) text += line(time, message);
  waiting.length = 0;
  let bytes = encoder.encode(text);
  try {
    while (bytes.length > 0) bytes = bytes.subarray(Deno.stderr.writeSync(bytes));
  } catch {
    // Standard error is gone: nobody can read the log.
  }
}

globalThis.addEventListener("unload", flushLog);
// Not prevented: the process still dies of the error, with what it logged written first.
globalThis.addEventListener("error", flushLog);
globalThis.addEventListener("unhandledrejection", flushLog);

/** The sink lines go to, or null for standard error (lines wait, see above). */
let sink: LogSink | null = null;

/** Replaces the destination of log lines (default: standard error). */
export function setLogSink(next: LogSink): void {
  flushLog();
  sink = next;
}

/** Logs a notice line. */
export function logNotice(message: LogMessage): void {
  const now = Date.now();
  if (sink) {
    sink(line(now, message));
    return;
  }
  waiting.push([now, message]);
  if (waiting.length >= MAX_WAITING) flushLog();
  else if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(flushLog);
  }
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
