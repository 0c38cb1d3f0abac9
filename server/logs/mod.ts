/**
 * Service logs: per-service ring buffers, Pebble's line layout, followers.
 *
 * @module
 */

export {
  formatEntry,
  goJsonTime,
  LogBuffer,
  type LogEntry,
  type LogListener,
  LogStreamWriter,
  MAX_LOG_BYTES,
  MAX_PENDING_LINE,
  PARTIAL_LINE_DELAY,
  type PumpOptions,
  pumpStream,
} from "./log_buffer.ts";
export { StdoutSink } from "./stdout_sink.ts";
