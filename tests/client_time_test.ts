import assert from "node:assert/strict";
import {
  formatPreciseTime,
  formatTimeout,
  parseDuration,
  parsePreciseTime,
  parseTime,
} from "../client/_time.ts";

Deno.test("parseTime reads Go's RFC 3339 times, nanoseconds and zero time included", () => {
  assert.equal(parseTime("2024-05-03T03:55:49Z").toISOString(), "2024-05-03T03:55:49.000Z");
  assert.equal(
    parseTime("2024-05-03T03:55:49.654321987Z").toISOString(),
    "2024-05-03T03:55:49.654Z",
  );
  assert.equal(parseTime("2024-05-03T03:55:49.5-07:30").toISOString(), "2024-05-03T11:25:49.500Z");
  assert.equal(parseTime("2024-05-03 03:55:49z").toISOString(), "2024-05-03T03:55:49.000Z");
  const zero = parseTime("0001-01-01T00:00:00Z");
  assert.equal(zero.getUTCFullYear(), 1);
  assert.equal(zero.toISOString(), "0001-01-01T00:00:00.000Z");
  assert.throws(() => parseTime("yesterday"), RangeError);
  assert.throws(() => parseTime("2024-05-03T03:55:49"), RangeError);
});

Deno.test("precise times keep nanoseconds and format back like Go's RFC3339Nano", () => {
  const t = parsePreciseTime("2024-05-03T03:55:49.000000123+01:00");
  assert.equal(t.nanos, BigInt(Date.UTC(2024, 4, 3, 2, 55, 49)) * 1_000_000n + 123n);
  assert.equal(formatPreciseTime(t.nanos), "2024-05-03T02:55:49.000000123Z");
  assert.equal(
    formatPreciseTime(parsePreciseTime("2024-05-03T03:55:49.5Z").nanos),
    "2024-05-03T03:55:49.5Z",
  );
  assert.equal(
    formatPreciseTime(parsePreciseTime("2024-05-03T03:55:49Z").nanos),
    "2024-05-03T03:55:49Z",
  );
});

Deno.test("parseDuration reads Go durations in seconds", () => {
  assert.equal(parseDuration("168h0m0s"), 168 * 3600);
  assert.equal(parseDuration("1m30s"), 90);
  assert.equal(parseDuration("1.5s"), 1.5);
  assert.equal(parseDuration("250ms"), 0.25);
  assert.equal(parseDuration("-2h"), -7200);
  assert.equal(parseDuration("0"), 0);
  assert.ok(Math.abs(parseDuration("3µs") - 3e-6) < 1e-12);
  assert.throws(() => parseDuration("10"), RangeError);
  assert.throws(() => parseDuration("1x"), RangeError);
  assert.throws(() => parseDuration(""), RangeError);
});

Deno.test("formatTimeout writes seconds with millisecond resolution, like ops", () => {
  assert.equal(formatTimeout(4), "4.000s");
  assert.equal(formatTimeout(0.25), "0.250s");
});
