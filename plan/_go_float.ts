/**
 * Go's `strconv.FormatFloat(f, 'g', -1, 64)` (also what `%g` and `%v`
 * print): the shortest digits that round-trip, in exponent form when the
 * decimal exponent is below -4 or at least 6.
 *
 * @module
 */

/** Formats `n` as Go's FormatFloat(n, 'g', -1, 64). */
export function formatGoFloat(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (n === Infinity) return "+Inf";
  if (n === -Infinity) return "-Inf";
  if (n === 0) return Object.is(n, -0) ? "-0" : "0";
  const neg = n < 0;
  const [mant, expText] = Math.abs(n).toExponential().split("e");
  const digits = mant.replace(".", "");
  const exp = Number(expText);
  let out: string;
  if (exp < -4 || exp >= 6) {
    // %e form with at least two exponent digits.
    const e = Math.abs(exp).toString().padStart(2, "0");
    out = digits[0] + (digits.length > 1 ? "." + digits.slice(1) : "") + "e" +
      (exp < 0 ? "-" : "+") + e;
  } else if (exp < 0) {
    out = "0." + "0".repeat(-exp - 1) + digits;
  } else if (digits.length <= exp + 1) {
    out = digits + "0".repeat(exp + 1 - digits.length);
  } else {
    out = digits.slice(0, exp + 1) + "." + digits.slice(exp + 1);
  }
  return neg ? "-" + out : out;
}
