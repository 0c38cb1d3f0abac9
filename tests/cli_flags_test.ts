// Unit tests of the CLI's go-flags-compatible parser and of `pebble run`'s flags.

import assert from "node:assert/strict";
import {
  type CommandSpec,
  HelpRequested,
  parseArgs,
  UsageError,
  VersionRequested,
} from "../client/cli/_flags.ts";
import { convertServiceArgs, run } from "../client/cli/cmd_run.ts";
import { tasks } from "../client/cli/cmd_changes.ts";
import { add } from "../client/cli/cmd_add.ts";

const SPEC: CommandSpec = {
  name: "test",
  summary: "",
  description: "",
  options: [
    { long: "all" },
    { long: "verbose", short: "v" },
    { long: "quiet", short: "q" },
    { long: "format", kind: "string", choices: ["text", "json", "yaml"], default: "text" },
    { long: "name", short: "n", kind: "string" },
  ],
  args: [{ name: "<first>" }, { name: "<second>" }],
};

function usageError(fn: () => unknown, message: string) {
  assert.throws(fn, (err: unknown) => err instanceof UsageError && err.message === message);
}

Deno.test("flags: long, short, bundled, =value and separate values", () => {
  const p = parseArgs(SPEC, ["--all", "-vq", "--format=json", "-n", "x", "a", "b"]);
  assert.equal(p.bool("all"), true);
  assert.equal(p.bool("verbose"), true);
  assert.equal(p.bool("quiet"), true);
  assert.equal(p.string("format"), "json");
  assert.equal(p.string("name"), "x");
  assert.equal(p.arg("<first>"), "a");
  assert.equal(p.arg("<second>"), "b");
  assert.deepEqual(p.extra, []);
  assert.equal(parseArgs(SPEC, ["-nvalue"]).string("name"), "value");
  assert.equal(parseArgs(SPEC, ["-n=value"]).string("name"), "value");
  assert.equal(parseArgs(SPEC, []).string("format"), "text");
});

Deno.test("flags: options after positionals, -- ends options, extras kept", () => {
  const p = parseArgs(SPEC, ["a", "--all", "--", "--verbose", "c"]);
  assert.equal(p.bool("all"), true);
  assert.equal(p.bool("verbose"), false);
  assert.equal(p.arg("<first>"), "a");
  assert.equal(p.arg("<second>"), "--verbose");
  assert.deepEqual(p.extra, ["c"]);
  assert.equal(parseArgs(SPEC, ["-"]).arg("<first>"), "-");
});

Deno.test("flags: go-flags error messages", () => {
  usageError(() => parseArgs(SPEC, ["--bogus"]), "unknown flag `bogus'");
  usageError(() => parseArgs(SPEC, ["-x"]), "unknown flag `x'");
  usageError(() => parseArgs(SPEC, ["--all=1"]), "bool flag `--all' cannot have an argument");
  usageError(
    () => parseArgs(SPEC, ["-v=1"]),
    "bool flag `-v, --verbose' cannot have an argument",
  );
  usageError(() => parseArgs(SPEC, ["--format"]), "expected argument for flag `--format'");
  usageError(
    () => parseArgs(SPEC, ["--format", "--all"]),
    "expected argument for flag `--format', but got option `--all'",
  );
  usageError(
    () => parseArgs(SPEC, ["--format", "xml"]),
    "Invalid value `xml' for option `--format'. Allowed values are: text, json or yaml",
  );
});

Deno.test("flags: -h/--help and --version anywhere", () => {
  assert.throws(() => parseArgs(SPEC, ["a", "--help"]), HelpRequested);
  assert.throws(() => parseArgs(SPEC, ["-h"]), HelpRequested);
  assert.throws(() => parseArgs(SPEC, ["--version"]), VersionRequested);
  // An earlier error wins, as in go-flags.
  usageError(() => parseArgs(SPEC, ["--bogus", "-h"]), "unknown flag `bogus'");
});

Deno.test("flags: required positional arguments", () => {
  usageError(
    () => parseArgs(add.spec, []),
    "the required arguments `<label>` and `<layer-path>` were not provided",
  );
  usageError(
    () => parseArgs(add.spec, ["label"]),
    "the required argument `<layer-path>` was not provided",
  );
  assert.throws(() => parseArgs(add.spec, ["--help"]), HelpRequested);
});

Deno.test("run: --args collects words up to ';', several services", () => {
  const p = parseArgs(run.spec, [
    "--args",
    "svc1",
    "--port",
    "8080",
    "--",
    "-x",
    ";",
    "--hold",
    "--args",
    "svc2",
    "a",
    ";",
    "--http",
    ":4000",
    "-v",
  ]);
  assert.deepEqual(p.terminated("args"), [["svc1", "--port", "8080", "--", "-x"], ["svc2", "a"]]);
  assert.equal(p.bool("hold"), true);
  assert.equal(p.bool("verbose"), true);
  assert.equal(p.string("http"), ":4000");
  assert.deepEqual(convertServiceArgs(p.terminated("args")), {
    svc1: ["--port", "8080", "--", "-x"],
    svc2: ["a"],
  });
});

Deno.test("run: --args without terminator takes the rest; errors like Pebble's", () => {
  const p = parseArgs(run.spec, ["--hold", "--args", "svc", "--verbose"]);
  assert.deepEqual(p.terminated("args"), [["svc", "--verbose"]]);
  assert.equal(p.bool("verbose"), false);
  assert.throws(() => convertServiceArgs([[]]), /--args requires a service name/);
  assert.throws(
    () => convertServiceArgs([["a"], ["a", "x"]]),
    /--args provided more than once for "a" service/,
  );
  usageError(
    () => parseArgs(run.spec, ["--args=x"]),
    "terminated option's flag `--args' cannot use `='",
  );
  const all = parseArgs(run.spec, [
    "--create-dirs",
    "--https",
    ":8443",
    "--identities",
    "ids.yaml",
  ]);
  assert.equal(all.bool("create-dirs"), true);
  assert.equal(all.string("https"), ":8443");
  assert.equal(all.string("identities"), "ids.yaml");
});

Deno.test("tasks: --last and change ID", () => {
  const p = parseArgs(tasks.spec, ["--last=install?", "--abs-time"]);
  assert.equal(p.string("last"), "install?");
  assert.equal(p.bool("abs-time"), true);
  assert.equal(parseArgs(tasks.spec, ["42"]).arg("<change-id>"), "42");
});
