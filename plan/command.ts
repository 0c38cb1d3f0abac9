/**
 * Service command lines: shell-like splitting and quoting (the rules of
 * Pebble's shlex package) and the optional trailing `[ default args ]`
 * group that `pebble run --args` replaces.
 *
 * @module
 */

import { CommandError } from "./errors.ts";
import { goQuote } from "./_quote.ts";

const SPACE = new Set([" ", "\t", "\r", "\n"]);

/**
 * Splits a command line into words with shell-like rules: whitespace
 * separates words; `"..."` quotes with backslash escapes; `'...'` quotes
 * literally; a backslash escapes the next character; a word starting with
 * `#` starts a comment up to the end of the line. No expansion is done.
 *
 * @throws {CommandError} `EOF found when expecting closing quote` or
 * `EOF found after escape character`.
 *
 * @example
 * ```ts
 * import { splitCommand } from "./command.ts";
 * splitCommand(`cmd arg1 "arg2 arg3"`); // ["cmd", "arg1", "arg2 arg3"]
 * ```
 */
export function splitCommand(command: string): string[] {
  const words: string[] = [];
  const chars = Array.from(command);
  let i = 0;
  while (i < chars.length) {
    const c = chars[i];
    if (SPACE.has(c)) {
      i++;
      continue;
    }
    if (c === "#") {
      // Comment: skip to the end of the line.
      while (i < chars.length && chars[i] !== "\n") i++;
      continue;
    }
    let word = "";
    let state: "word" | "dquote" | "squote" = "word";
    for (;;) {
      if (i >= chars.length) {
        if (state !== "word") throw new CommandError("EOF found when expecting closing quote");
        break;
      }
      const ch = chars[i++];
      if (state === "word") {
        if (SPACE.has(ch)) {
          break;
        } else if (ch === '"') {
          state = "dquote";
        } else if (ch === "'") {
          state = "squote";
        } else if (ch === "\\") {
          if (i >= chars.length) throw new CommandError("EOF found after escape character");
          word += chars[i++];
        } else {
          word += ch;
        }
      } else if (state === "dquote") {
        if (ch === '"') {
          state = "word";
        } else if (ch === "\\") {
          if (i >= chars.length) throw new CommandError("EOF found after escape character");
          word += chars[i++];
        } else {
          word += ch;
        }
      } else {
        if (ch === "'") state = "word";
        else word += ch;
      }
    }
    words.push(word);
  }
  return words;
}

/**
 * Quotes one word so that {@link splitCommand} reads it back unchanged:
 * words made only of letters, digits and `_@%+=:,./-` stay as they are,
 * others are single-quoted, and `''` stands for the empty word.
 */
export function quoteWord(word: string): string {
  if (word === "") return "''";
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return "'" + word.replaceAll("'", `'"'"'`) + "'";
}

/** Joins words into a command line with {@link quoteWord}. */
export function joinCommand(words: string[]): string {
  return words.map(quoteWord).join(" ");
}

/** A service command split into its fixed part and its replaceable default arguments. */
export interface ParsedCommand {
  /** The command and its fixed arguments. */
  args: string[];
  /** The arguments inside the trailing `[ ... ]` group (empty if none). */
  defaultArgs: string[];
}

/**
 * Splits a service command into the fixed part and the default arguments
 * in a trailing `[ ... ]` group, with Pebble's rules: the group must come
 * last, cannot start the command, and cannot be nested.
 *
 * When `serviceName` is given, errors read as Pebble's do:
 * `cannot parse service "svc" command: cannot nest [ ... ] groups`.
 *
 * @throws {CommandError}
 *
 * @example
 * ```ts
 * import { parseCommand } from "./command.ts";
 * parseCommand("server -v [ --port 8080 ]");
 * // { args: ["server", "-v"], defaultArgs: ["--port", "8080"] }
 * ```
 */
export function parseCommand(command: string, serviceName?: string): ParsedCommand {
  try {
    return parseCommandWords(splitCommand(command));
  } catch (err) {
    if (err instanceof CommandError && serviceName !== undefined) {
      throw new CommandError(
        `cannot parse service ${goQuote(serviceName)} command: ${err.message}`,
      );
    }
    throw err;
  }
}

function parseCommandWords(words: string[]): ParsedCommand {
  const args: string[] = [];
  const defaultArgs: string[] = [];
  let inGroup = false;
  let hadGroup = false;
  words.forEach((word, index) => {
    if (inGroup) {
      if (word === "[") throw new CommandError("cannot nest [ ... ] groups");
      if (word === "]") {
        inGroup = false;
        return;
      }
      defaultArgs.push(word);
      return;
    }
    if (hadGroup) throw new CommandError("cannot have any arguments after [ ... ] group");
    if (word === "[") {
      if (index === 0) throw new CommandError("cannot start command with [ ... ] group");
      inGroup = true;
      hadGroup = true;
      return;
    }
    if (word === "]") throw new CommandError("cannot have ] outside of [ ... ] group");
    args.push(word);
  });
  return { args, defaultArgs };
}

/**
 * Builds a command line from fixed arguments and default arguments, the
 * latter in a `[ ... ]` group (omitted when empty), as Pebble's
 * CommandString does.
 *
 * @example
 * ```ts
 * import { commandString } from "./command.ts";
 * commandString(["cmd", "--foo"], ["-v"]); // "cmd --foo [ -v ]"
 * ```
 */
export function commandString(args: string[], defaultArgs: string[] = []): string {
  let out = joinCommand(args);
  if (defaultArgs.length > 0) out += " [ " + joinCommand(defaultArgs) + " ]";
  return out;
}
