// Command-line flag parsing with the semantics of the go-flags library that Canonical
// Pebble uses: `--flag=value`, `--flag value`, `-f value`, `-fvalue`, bundled short bool
// flags, `--` ending the options, positional arguments interleaved with options, and
// options terminated by a word (`--args svc a b \;`). Error messages follow go-flags'.

/** One option of a command. */
export interface OptionSpec {
  /** Long name without the dashes, for example `"abs-time"`. */
  long: string;
  /** Optional one-letter short name, for example `"v"`. */
  short?: string;
  /**
   * `"bool"` (default) takes no value; `"string"` takes one (the last one wins);
   * `"list"` takes one each time and keeps them all; `"terminated"` takes every
   * following word up to `terminator` (each use is kept as one list).
   */
  kind?: "bool" | "string" | "list" | "terminated";
  /** Allowed values of a `string` option. */
  choices?: readonly string[];
  /** Value used when the option is not given (shown in help as `(default: …)`). */
  default?: string;
  /** The word that ends a `terminated` option (Pebble uses `";"`). */
  terminator?: string;
  /** The description shown in help. */
  help?: string;
  /** Accepted but not shown in help. */
  hidden?: boolean;
  /** Only the short name exists on the command line (`long` is just the key). */
  shortOnly?: boolean;
}

/** One positional argument of a command. */
export interface ArgSpec {
  /** The name shown in usage, for example `"<change-id>"`. */
  name: string;
  /** Whether the argument must be given. */
  required?: boolean;
  /** Takes all remaining positional words (at least one when required). */
  rest?: boolean;
  /** Description shown under "[cmd command arguments]" when set. */
  help?: string;
}

/** The static description of a command: enough to parse its flags and print its help. */
export interface CommandSpec {
  name: string;
  summary: string;
  /** Long description; `{{.ProgramName}}`-style placeholders are already substituted. */
  description: string;
  options?: readonly OptionSpec[];
  args?: readonly ArgSpec[];
  /** Everything after the first positional word is positional (go-flags' PassAfterNonOption). */
  passAfterNonOption?: boolean;
}

/** A command-line error, printed as `error: <message>` with exit status 1. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** Thrown by the parser when `-h`/`--help` is seen. */
export class HelpRequested extends Error {
  override name = "HelpRequested";
}

/** Thrown by the parser when the hidden global `--version` is seen. */
export class VersionRequested extends Error {
  override name = "VersionRequested";
}

type Value = boolean | string | string[] | string[][];

/** The result of parsing a command's arguments. */
export class ParsedArgs {
  readonly #values = new Map<string, Value>();
  readonly #set = new Set<string>();
  /** Positional values by argument name (a list for a `rest` argument). */
  readonly positional = new Map<string, string | string[]>();
  /** Positional words beyond the declared arguments. */
  readonly extra: string[] = [];

  /** Whether the option was given on the command line. */
  isSet(long: string): boolean {
    return this.#set.has(long);
  }

  /** The value of a bool option. */
  bool(long: string): boolean {
    return this.#values.get(long) === true;
  }

  /** The value of a string option (its default, or `""` when it has none). */
  string(long: string): string {
    const v = this.#values.get(long);
    return typeof v === "string" ? v : "";
  }

  /** The values of a `list` option. */
  list(long: string): string[] {
    const v = this.#values.get(long);
    return Array.isArray(v) ? v as string[] : [];
  }

  /** The uses of a `terminated` option, each a list of words. */
  terminated(long: string): string[][] {
    const v = this.#values.get(long);
    return Array.isArray(v) ? v as string[][] : [];
  }

  /** A positional argument's value, or `""`. */
  arg(name: string): string {
    const v = this.positional.get(name);
    return typeof v === "string" ? v : "";
  }

  /** A `rest` positional argument's values. */
  rest(name: string): string[] {
    const v = this.positional.get(name);
    return Array.isArray(v) ? v : [];
  }

  /** @internal */
  _set(long: string, value: Value): void {
    this.#values.set(long, value);
    this.#set.add(long);
  }

  /** @internal */
  _default(long: string, value: Value): void {
    this.#values.set(long, value);
  }

  /** @internal */
  _get(long: string): Value | undefined {
    return this.#values.get(long);
  }
}

/** go-flags' rendering of an option in error messages: `-v, --verbose` or `--format`. */
export function optionDisplayName(opt: OptionSpec): string {
  if (opt.shortOnly) return `-${opt.short}`;
  if (opt.short && opt.long) return `-${opt.short}, --${opt.long}`;
  if (opt.short) return `-${opt.short}`;
  return `--${opt.long}`;
}

/** Whether go-flags treats a word as an option (`-x`, `--xyz`; not `-`, `--`, `---x`). */
export function argumentIsOption(arg: string): boolean {
  if (arg.length > 1 && arg[0] === "-" && arg[1] !== "-") return true;
  return arg.length > 2 && arg[0] === "-" && arg[1] === "-" && arg[2] !== "-";
}

/** Options every command accepts (hidden in help): `-h`/`--help` and `--version`. */
const BUILTIN: readonly OptionSpec[] = [
  { long: "help", short: "h", hidden: true },
  { long: "version", hidden: true },
];

function kindOf(opt: OptionSpec): NonNullable<OptionSpec["kind"]> {
  return opt.kind ?? "bool";
}

function unquoteIfPossible(s: string): string {
  if (s.length === 0 || s[0] !== '"') return s;
  try {
    const v = JSON.parse(s);
    if (typeof v === "string") return v;
  } catch {
    // fall through
  }
  throw new UsageError(`invalid syntax`);
}

/**
 * Parses `args` (the words after the command name) for `spec`. Throws
 * {@linkcode UsageError}, {@linkcode HelpRequested} or {@linkcode VersionRequested}.
 */
export function parseArgs(spec: CommandSpec, args: readonly string[]): ParsedArgs {
  const options = [...(spec.options ?? []), ...BUILTIN];
  const byLong = new Map<string, OptionSpec>();
  const byShort = new Map<string, OptionSpec>();
  for (const o of options) {
    if (!o.shortOnly) byLong.set(o.long, o);
    if (o.short) byShort.set(o.short, o);
  }
  const parsed = new ParsedArgs();
  for (const o of spec.options ?? []) {
    const kind = kindOf(o);
    if (kind === "bool") parsed._default(o.long, false);
    else if (kind === "string") parsed._default(o.long, o.default ?? "");
    else parsed._default(o.long, []);
  }

  const queue = [...(spec.args ?? [])];
  const addPositional = (...words: string[]) => {
    for (const word of words) {
      const arg = queue[0];
      if (!arg) {
        parsed.extra.push(word);
        continue;
      }
      if (arg.rest) {
        const list = parsed.positional.get(arg.name) as string[] | undefined;
        if (list) list.push(word);
        else parsed.positional.set(arg.name, [word]);
      } else {
        parsed.positional.set(arg.name, word);
        queue.shift();
      }
    }
  };

  let i = 0;
  const eof = () => i >= args.length;
  const pop = () => args[i++];

  const setOption = (opt: OptionSpec, canArg: boolean, inline: string | undefined) => {
    const kind = kindOf(opt);
    if (opt.long === "help") throw new HelpRequested();
    if (opt.long === "version") {
      if (inline !== undefined) {
        throw new UsageError(`bool flag \`${optionDisplayName(opt)}' cannot have an argument`);
      }
      throw new VersionRequested();
    }
    if (kind === "bool") {
      if (inline !== undefined) {
        throw new UsageError(`bool flag \`${optionDisplayName(opt)}' cannot have an argument`);
      }
      parsed._set(opt.long, true);
      return;
    }
    if (kind === "terminated") {
      if (inline !== undefined) {
        throw new UsageError(
          `terminated option's flag \`${optionDisplayName(opt)}' cannot use \`='`,
        );
      }
      const words: string[] = [];
      while (!eof()) {
        const word = pop();
        if (word === (opt.terminator ?? ";")) break;
        words.push(word);
      }
      const prev = parsed.isSet(opt.long) ? parsed.terminated(opt.long) : [];
      parsed._set(opt.long, [...prev, words]);
      return;
    }
    let value: string;
    if (inline !== undefined) {
      value = inline;
    } else if (canArg && !eof()) {
      value = pop();
      if (argumentIsOption(value)) {
        throw new UsageError(
          `expected argument for flag \`${optionDisplayName(opt)}', but got option \`${value}'`,
        );
      }
      if (value === "--") {
        throw new UsageError(
          `expected argument for flag \`${optionDisplayName(opt)}', but got double dash \`--'`,
        );
      }
    } else {
      throw new UsageError(`expected argument for flag \`${optionDisplayName(opt)}'`);
    }
    value = unquoteIfPossible(value);
    if (opt.choices && !opt.choices.includes(value)) {
      const c = opt.choices;
      let allowed = c.length > 1 ? c.slice(0, -1).join(", ") + " or " + c[c.length - 1] : c[0];
      if (allowed === undefined) allowed = "";
      throw new UsageError(
        `Invalid value \`${value}' for option \`${
          optionDisplayName(opt)
        }'. Allowed values are: ${allowed}`,
      );
    }
    if (kind === "list") {
      const prev = parsed.isSet(opt.long) ? parsed.list(opt.long) : [];
      parsed._set(opt.long, [...prev, value]);
    } else {
      parsed._set(opt.long, value);
    }
  };

  while (!eof()) {
    const arg = pop();
    if (arg === "--") {
      addPositional(...args.slice(i));
      break;
    }
    if (!argumentIsOption(arg)) {
      if (spec.passAfterNonOption) {
        addPositional(arg, ...args.slice(i));
        break;
      }
      addPositional(arg);
      continue;
    }
    if (arg.startsWith("--")) {
      let name = arg.slice(2);
      let inline: string | undefined;
      const eq = name.indexOf("=");
      if (eq >= 0) {
        inline = name.slice(eq + 1);
        name = name.slice(0, eq);
      }
      const opt = byLong.get(name);
      if (!opt) throw new UsageError(`unknown flag \`${name}'`);
      setOption(opt, true, inline);
      continue;
    }
    // Short options: "-abc", "-fvalue", "-f=value".
    let name = arg.slice(1);
    let inline: string | undefined;
    if (name.indexOf("=") === 1) {
      inline = name.slice(2);
      name = name.slice(0, 1);
    } else if (name.length > 1) {
      const first = byShort.get(name[0]);
      if (first && kindOf(first) !== "bool") {
        inline = name.slice(1);
        name = name[0];
      }
    }
    const chars = [...name];
    for (let j = 0; j < chars.length; j++) {
      const opt = byShort.get(chars[j]);
      if (!opt) throw new UsageError(`unknown flag \`${chars[j]}'`);
      setOption(opt, j === chars.length - 1, j === 0 ? inline : undefined);
    }
  }

  // Required positional arguments.
  const missing: string[] = [];
  for (const a of queue) {
    if (!a.required) continue;
    if (a.rest) {
      if (parsed.rest(a.name).length < 1) missing.push(`\`${a.name} (at least 1 argument)\``);
    } else {
      missing.push(`\`${a.name}\``);
    }
  }
  if (missing.length === 1) {
    throw new UsageError(`the required argument ${missing[0]} was not provided`);
  }
  if (missing.length > 1) {
    throw new UsageError(
      `the required arguments ${missing.slice(0, -1).join(", ")} and ${
        missing[missing.length - 1]
      } were not provided`,
    );
  }
  return parsed;
}
