// Options shared by several commands (Pebble's formatMixin, timeMixin, unicodeMixin).

import type { CliContext } from "./_context.ts";
import type { OptionSpec } from "./_flags.ts";

/** `--format=[text|json|yaml]`. */
export const FORMAT_OPTION: OptionSpec = {
  long: "format",
  kind: "string",
  choices: ["text", "json", "yaml"],
  default: "text",
  help: "Output format",
};

/** `--abs-time`. */
export const ABS_TIME_OPTION: OptionSpec = {
  long: "abs-time",
  help:
    "Display absolute times (in RFC 3339 format). Otherwise, display relative times up to 60 days, then YYYY-MM-DD.",
};

/** `--unicode=[auto|never|always]`. */
export const UNICODE_OPTION: OptionSpec = {
  long: "unicode",
  kind: "string",
  choices: ["auto", "never", "always"],
  default: "auto",
  help: "Use a little bit of Unicode to improve legibility.",
};

/** Prints `value` as JSON or YAML, as `--format` asks. */
export async function printStructured(
  ctx: CliContext,
  format: string,
  value: Record<string, unknown>,
): Promise<void> {
  const { toJson, toYaml } = await import("./_structured.ts");
  ctx.out(format === "json" ? toJson(value) : toYaml(value));
}
