// Flag values that go-flags converts for the notice commands (time.Duration, uint32),
// with its error messages.

import { UsageError } from "./_flags.ts";
import { formatDuration, parseDuration } from "../../plan/duration.ts";

/** A `time.Duration` flag in nanoseconds (0 when not given). */
export function durationFlag(name: string, value: string): number {
  if (value === "") return 0;
  try {
    return parseDuration(value);
  } catch (err) {
    throw new UsageError(
      `invalid argument for flag \`--${name}' (expected time.Duration): ${(err as Error).message}`,
    );
  }
}

/** A `*uint32` flag (undefined when not given). */
export function uint32Flag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const fail = (why: string) =>
    new UsageError(
      `invalid argument for flag \`--${name}' (expected *uint32): strconv.ParseUint: parsing ${
        JSON.stringify(value)
      }: ${why}`,
    );
  if (!/^\d+$/.test(value)) throw fail("invalid syntax");
  const n = Number(value);
  if (n > 0xffffffff) throw fail("value out of range");
  return n;
}

/** Go's `Duration.String()`. */
export { formatDuration };
