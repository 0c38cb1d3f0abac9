import assert from "node:assert/strict";
import { DurationError, formatDuration, parseDuration } from "../plan/mod.ts";

// Expected values were taken from Go's time.ParseDuration and Duration.String.
const PARSE_CASES: [string, number, string][] = [
  ["0", 0, "0s"],
  ["+0", 0, "0s"],
  ["-0", 0, "0s"],
  ["0s", 0, "0s"],
  ["1s", 1_000_000_000, "1s"],
  ["1.5s", 1_500_000_000, "1.5s"],
  ["1m30s", 90_000_000_000, "1m30s"],
  ["1h", 3_600_000_000_000, "1h0m0s"],
  ["1.5h", 5_400_000_000_000, "1h30m0s"],
  ["-1.5h", -5_400_000_000_000, "-1h30m0s"],
  ["+5ms", 5_000_000, "5ms"],
  ["500ms", 500_000_000, "500ms"],
  ["1us", 1_000, "1µs"],
  ["1\u00b5s", 1_000, "1µs"],
  ["1\u03bcs", 1_000, "1µs"],
  ["1ns", 1, "1ns"],
  ["1.000000001s", 1_000_000_001, "1.000000001s"],
  ["0.1ns", 0, "0s"],
  [".5s", 500_000_000, "500ms"],
  ["5.s", 5_000_000_000, "5s"],
  ["1.s", 1_000_000_000, "1s"],
  ["00.5s", 500_000_000, "500ms"],
  ["1h2m3s4ms5us6ns", 3_723_004_005_006, "1h2m3.004005006s"],
  ["100h", 360_000_000_000_000, "100h0m0s"],
  ["3.14159265358979323846h", 11_309_733_552_923, "3h8m29.733552923s"],
  ["1.0000000000000000000001s", 1_000_000_000, "1s"],
];

Deno.test("parseDuration accepts what Go accepts", () => {
  for (const [text, ns, printed] of PARSE_CASES) {
    assert.equal(parseDuration(text), ns, text);
    assert.equal(formatDuration(parseDuration(text)), printed, text);
  }
});

Deno.test("parseDuration rejects what Go rejects, with Go's messages", () => {
  const cases: [string, string][] = [
    ["", 'time: invalid duration ""'],
    ["s", 'time: invalid duration "s"'],
    ["-", 'time: invalid duration "-"'],
    [".s", 'time: invalid duration ".s"'],
    ["1", 'time: missing unit in duration "1"'],
    ["1e3s", 'time: unknown unit "e" in duration "1e3s"'],
    ["1 s", 'time: unknown unit " s" in duration "1 s"'],
    ["5x", 'time: unknown unit "x" in duration "5x"'],
    ["1sm", 'time: unknown unit "sm" in duration "1sm"'],
    ["2562048h", 'time: invalid duration "2562048h"'],
    ["9223372036854775808ns", 'time: invalid duration "9223372036854775808ns"'],
    ["1\n", 'time: unknown unit "\\n" in duration "1\\n"'],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => parseDuration(text), (err: unknown) => {
      assert.ok(err instanceof DurationError);
      assert.equal(err.message, message);
      return true;
    }, text);
  }
});

Deno.test("parseDuration handles the limits of Go's range", () => {
  // Beyond 2^53 ns the value is rounded, but no error is raised.
  assert.equal(parseDuration("2562047h"), 9223369200000000000);
  assert.equal(parseDuration("9223372036854775807ns"), 9223372036854775807);
  assert.equal(parseDuration("-9223372036854775808ns"), -9223372036854775808);
});

Deno.test("formatDuration prints as Go's Duration.String", () => {
  const cases: [number, string][] = [
    [0, "0s"],
    [1, "1ns"],
    [999, "999ns"],
    [1000, "1µs"],
    [1500, "1.5µs"],
    [999999, "999.999µs"],
    [1000000, "1ms"],
    [1500000, "1.5ms"],
    [999999999, "999.999999ms"],
    [1000000000, "1s"],
    [1500000000, "1.5s"],
    [59999999999, "59.999999999s"],
    [60000000000, "1m0s"],
    [90000000000, "1m30s"],
    [3600000000000, "1h0m0s"],
    [3661000000000, "1h1m1s"],
    [-1, "-1ns"],
    [-1500000, "-1.5ms"],
    [-3600000000000, "-1h0m0s"],
    [86400000000000, "24h0m0s"],
    [1234567890123, "20m34.567890123s"],
  ];
  for (const [ns, text] of cases) {
    assert.equal(formatDuration(ns), text, String(ns));
  }
});

Deno.test("durations round-trip through format and parse", () => {
  for (
    const ns of [1, 999, 1_001, 123_456_789, 1_000_000_000, 61_500_000_000, 7_322_000_000_001]
  ) {
    assert.equal(parseDuration(formatDuration(ns)), ns);
    assert.equal(parseDuration(formatDuration(-ns)), -ns);
  }
});
