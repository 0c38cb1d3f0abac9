/**
 * Durations in Go's syntax (`1m30s`, `500ms`, `1.5h`), as used by Pebble
 * layers for `backoff-delay`, `kill-delay`, check `period` and so on.
 *
 * Values are nanoseconds held in a JS number (exact up to about 104 days).
 *
 * @module
 */

import { goQuote } from "./_quote.ts";

/** One nanosecond. */
export const NANOSECOND = 1;
/** One microsecond in nanoseconds. */
export const MICROSECOND = 1_000;
/** One millisecond in nanoseconds. */
export const MILLISECOND = 1_000_000;
/** One second in nanoseconds. */
export const SECOND = 1_000_000_000;
/** One minute in nanoseconds. */
export const MINUTE = 60 * SECOND;
/** One hour in nanoseconds. */
export const HOUR = 60 * MINUTE;

const UNITS: Record<string, bigint> = {
  "ns": 1n,
  "us": 1_000n,
  "\u00b5s": 1_000n, // micro sign
  "\u03bcs": 1_000n, // Greek small letter mu
  "ms": 1_000_000n,
  "s": 1_000_000_000n,
  "m": 60_000_000_000n,
  "h": 3_600_000_000_000n,
};

const MAX_ABS = 1n << 63n;

/** Raised by {@link parseDuration} for text Go's time.ParseDuration rejects. */
export class DurationError extends Error {
  /** Creates the error with Go's message. */
  constructor(message: string) {
    super(message);
    this.name = "DurationError";
  }
}

function isDigit(c: string): boolean {
  return c >= "0" && c <= "9";
}

/**
 * Parses a duration exactly as Go's `time.ParseDuration` does: a possibly
 * signed sequence of decimal numbers, each with an optional fraction and a
 * unit suffix (`ns`, `us`/`µs`/`μs`, `ms`, `s`, `m`, `h`), or `0`.
 *
 * @returns the duration in nanoseconds.
 * @throws {DurationError} with Go's message, e.g. `time: invalid duration "5"`.
 *
 * @example
 * ```ts
 * import { parseDuration } from "./duration.ts";
 * parseDuration("1m30s"); // 90_000_000_000
 * parseDuration("1.5h"); // 5_400_000_000_000
 * ```
 */
export function parseDuration(text: string): number {
  const orig = text;
  const invalid = () => new DurationError("time: invalid duration " + goQuote(orig));
  let s = text;
  let neg = false;
  if (s !== "" && (s[0] === "-" || s[0] === "+")) {
    neg = s[0] === "-";
    s = s.slice(1);
  }
  if (s === "0") return 0;
  if (s === "") throw invalid();
  let total = 0n;
  while (s !== "") {
    if (!(s[0] === "." || isDigit(s[0]))) throw invalid();
    // Integer part.
    let i = 0;
    let whole = 0n;
    while (i < s.length && isDigit(s[i])) {
      whole = whole * 10n + BigInt(s.charCodeAt(i) - 48);
      if (whole > MAX_ABS) throw invalid();
      i++;
    }
    const pre = i > 0;
    s = s.slice(i);
    // Fraction part.
    let frac = 0n;
    let scale = 1n;
    let post = false;
    if (s !== "" && s[0] === ".") {
      s = s.slice(1);
      let j = 0;
      let overflow = false;
      while (j < s.length && isDigit(s[j])) {
        if (!overflow) {
          const next = frac * 10n + BigInt(s.charCodeAt(j) - 48);
          if (next > MAX_ABS) {
            overflow = true;
          } else {
            frac = next;
            scale *= 10n;
          }
        }
        j++;
      }
      post = j > 0;
      s = s.slice(j);
    }
    if (!pre && !post) throw invalid();
    // Unit.
    let u = 0;
    while (u < s.length && !(s[u] === "." || isDigit(s[u]))) u++;
    if (u === 0) throw new DurationError("time: missing unit in duration " + goQuote(orig));
    const unitName = s.slice(0, u);
    s = s.slice(u);
    const unit = UNITS[unitName];
    if (unit === undefined) {
      throw new DurationError(
        "time: unknown unit " + goQuote(unitName) + " in duration " + goQuote(orig),
      );
    }
    if (whole > MAX_ABS / unit) throw invalid();
    let v = whole * unit;
    if (frac > 0n) {
      // Go computes this part in floating point and truncates.
      v += BigInt(Math.trunc(Number(frac) * (Number(unit) / Number(scale))));
      if (v > MAX_ABS) throw invalid();
    }
    total += v;
    if (total > MAX_ABS) throw invalid();
  }
  if (neg) return -Number(total);
  if (total > MAX_ABS - 1n) throw invalid();
  return Number(total);
}

/** Writes the fraction of `v / 10**prec`, without trailing zeros (Go's fmtFrac). */
function fracPart(v: bigint, prec: number): [string, bigint] {
  let out = "";
  let print = false;
  for (let i = 0; i < prec; i++) {
    const digit = v % 10n;
    print = print || digit !== 0n;
    if (print) out = digit.toString() + out;
    v /= 10n;
  }
  return [print ? "." + out : "", v];
}

/**
 * Formats nanoseconds exactly as Go's `time.Duration.String()` does:
 * `0s`, `1.5µs`, `500ms`, `1m30s`, `1h0m0s`, `-2s`.
 *
 * @example
 * ```ts
 * import { formatDuration } from "./duration.ts";
 * formatDuration(90e9); // "1m30s"
 * formatDuration(3600e9); // "1h0m0s"
 * ```
 */
export function formatDuration(ns: number): string {
  let u = BigInt(Math.trunc(ns));
  const neg = u < 0n;
  if (neg) u = -u;
  let out: string;
  if (u < 1_000_000_000n) {
    if (u === 0n) return "0s";
    let prec: number;
    let unit: string;
    if (u < 1_000n) {
      prec = 0;
      unit = "ns";
    } else if (u < 1_000_000n) {
      prec = 3;
      unit = "\u00b5s";
    } else {
      prec = 6;
      unit = "ms";
    }
    const [frac, rest] = fracPart(u, prec);
    out = rest.toString() + frac + unit;
  } else {
    const [frac, secs] = fracPart(u, 9);
    out = (secs % 60n).toString() + frac + "s";
    const mins = secs / 60n;
    if (mins > 0n) {
      out = (mins % 60n).toString() + "m" + out;
      const hours = mins / 60n;
      if (hours > 0n) out = hours.toString() + "h" + out;
    }
  }
  return neg ? "-" + out : out;
}
