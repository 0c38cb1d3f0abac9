import assert from "node:assert/strict";
import {
  appendLayer,
  buildPlan,
  CommandError,
  commandString,
  type Layer,
  logsTo,
  mergeServiceContext,
  parseCommand,
  parseLayer,
  PlanError,
  planToYaml,
  quoteWord,
  SERVICE_ARGS_LABEL,
  setServiceArgs,
  splitCommand,
} from "../plan/mod.ts";

Deno.test("splitCommand splits like Pebble's shlex", () => {
  const cases: [string, string[]][] = [
    ["", []],
    ["   ", []],
    ["one two", ["one", "two"]],
    ['cmd arg1 "arg2 arg3"', ["cmd", "arg1", "arg2 arg3"]],
    ["a 'b c' d", ["a", "b c", "d"]],
    [`"a\\"b" 'c\\d'`, ['a"b', "c\\d"]],
    ["a\\ b c", ["a b", "c"]],
    ['""', [""]],
    ["x''y", ["xy"]],
    ["a\tb\nc\rd", ["a", "b", "c", "d"]],
    ["a # comment\nb", ["a", "b"]],
    ["a#b", ["a#b"]],
    ["# only", []],
    ['-e "x [ y ] z"', ["-e", "x [ y ] z"]],
  ];
  for (const [input, words] of cases) assert.deepEqual(splitCommand(input), words, input);
  assert.throws(
    () => splitCommand("foo '"),
    new CommandError("EOF found when expecting closing quote"),
  );
  assert.throws(
    () => splitCommand('foo "'),
    new CommandError("EOF found when expecting closing quote"),
  );
  assert.throws(() => splitCommand("foo \\"), new CommandError("EOF found after escape character"));
  assert.throws(
    () => splitCommand('"foo \\'),
    new CommandError("EOF found after escape character"),
  );
});

Deno.test("quoteWord and commandString quote as Pebble's shlex.Join", () => {
  assert.equal(quoteWord(""), "''");
  assert.equal(quoteWord("abc-1.2_@%+=:,./"), "abc-1.2_@%+=:,./");
  assert.equal(quoteWord("a b"), "'a b'");
  assert.equal(quoteWord("it's"), `'it'"'"'s'`);
  assert.equal(commandString(["cmd", "a b"], ["--x", ""]), "cmd 'a b' [ --x '' ]");
  for (const words of [["a", "b c", "it's", "", "$HOME", "x\ny"]]) {
    assert.deepEqual(splitCommand(commandString(words)), words);
  }
});

Deno.test("parseCommand follows Pebble's command tests", () => {
  const cases: {
    command: string;
    cmdArgs?: string[];
    base: string[];
    extra: string[];
    newCommand: string;
  }[] = [
    {
      command: "cmd --foo bar",
      base: ["cmd", "--foo", "bar"],
      extra: [],
      newCommand: "cmd --foo bar",
    },
    {
      command: "cmd --foo bar",
      cmdArgs: ["-v", "--opt"],
      base: ["cmd", "--foo", "bar"],
      extra: [],
      newCommand: "cmd --foo bar [ -v --opt ]",
    },
    { command: "cmd [ --foo bar ]", base: ["cmd"], extra: ["--foo", "bar"], newCommand: "cmd" },
    {
      command: "cmd [ --foo bar ]",
      cmdArgs: ["--bar", "foo"],
      base: ["cmd"],
      extra: ["--foo", "bar"],
      newCommand: "cmd [ --bar foo ]",
    },
    {
      command: "cmd --foo bar [ ]",
      base: ["cmd", "--foo", "bar"],
      extra: [],
      newCommand: "cmd --foo bar",
    },
    {
      command: "cmd --foo bar [ ]",
      cmdArgs: ["-v", "--opt"],
      base: ["cmd", "--foo", "bar"],
      extra: [],
      newCommand: "cmd --foo bar [ -v --opt ]",
    },
  ];
  for (const c of cases) {
    const parsed = parseCommand(c.command, "svc");
    assert.deepEqual(parsed, { args: c.base, defaultArgs: c.extra });
    const newCommand = commandString(parsed.args, c.cmdArgs ?? []);
    assert.equal(newCommand, c.newCommand);
    assert.deepEqual(parseCommand(newCommand), { args: c.base, defaultArgs: c.cmdArgs ?? [] });
  }
  assert.deepEqual(parseCommand('cmd -v [ --foo bar -e "x [ y ] z" ]'), {
    args: ["cmd", "-v"],
    defaultArgs: ["--foo", "bar", "-e", "x [ y ] z"],
  });
  const errors: [string, string][] = [
    ["cmd [ --foo ] --bar", "cannot have any arguments after [ ... ] group"],
    ["[ cmd --foo ]", "cannot start command with [ ... ] group"],
    ["cmd -v ] foo", "cannot have ] outside of [ ... ] group"],
    ["cmd -v [ foo [ --bar ] ]", "cannot nest [ ... ] groups"],
    ["cmd 'x", "EOF found when expecting closing quote"],
  ];
  for (const [command, reason] of errors) {
    assert.throws(
      () => parseCommand(command, "svc"),
      new CommandError(`cannot parse service "svc" command: ${reason}`),
    );
    assert.throws(() => parseCommand(command), new CommandError(reason));
  }
});

Deno.test("setServiceArgs replaces default arguments as pebble run --args does", () => {
  const layers: Layer[] = appendLayer(
    [],
    parseLayer(
      `
services:
    svc1:
        override: replace
        command: foo [ --bar ]
    svc2:
        override: replace
        command: foo
    svc3:
        override: replace
        command: foo
`,
      { label: "label1" },
    ),
  );
  const updated = setServiceArgs(layers, { svc1: ["-abc", "--xyz"], svc2: ["--bar"] });
  assert.equal(updated.length, 2);
  assert.equal(updated[1].label, SERVICE_ARGS_LABEL);
  assert.equal(updated[1].order, 2000);
  assert.equal(
    planToYaml(buildPlan(updated)),
    `services:
    svc1:
        override: replace
        command: foo [ -abc --xyz ]
    svc2:
        override: replace
        command: foo [ --bar ]
    svc3:
        override: replace
        command: foo
`,
  );
  assert.equal(layers.length, 1);
  assert.throws(
    () => setServiceArgs(layers, { nope: ["x"] }),
    new CommandError('service "nope" not found in plan'),
  );
});

Deno.test("logsTo follows Pebble's rules", () => {
  const cases: [string[], Record<string, boolean>][] = [
    [[], { svc1: false, svc2: false }],
    [["all"], { svc1: true, svc2: true }],
    [["svc1"], { svc1: true, svc2: false }],
    [["svc1", "svc2"], { svc1: true, svc2: true, svc3: false }],
    [["all", "-svc2"], { svc1: true, svc2: false, svc3: true }],
    [["svc1", "svc2", "-svc1", "all"], { svc1: true, svc2: true, svc3: true }],
    [["svc1", "svc2", "-all"], { svc1: false, svc2: false, svc3: false }],
    [["all", "-all"], { svc1: false, svc2: false, svc3: false }],
    [["svc1", "svc2", "-all", "svc3", "svc1", "-svc3"], { svc1: true, svc2: false, svc3: false }],
  ];
  for (const [services, expected] of cases) {
    for (const [name, want] of Object.entries(expected)) {
      assert.equal(logsTo(name, { services }), want, `${name} in ${services}`);
    }
  }
});

Deno.test("mergeServiceContext merges overrides on top of a service", () => {
  const plan = buildPlan([parseLayer(
    `
services:
  svc1:
    override: replace
    command: x
    environment: {x: y, w: z}
    user-id: 10
    user: svcuser
    group-id: 20
    group: svcgroup
    working-dir: /working/svc
`,
    { label: "l" },
  )]);
  const none = { environment: {}, user: "", group: "", workingDir: "" };
  assert.deepEqual(mergeServiceContext(plan, "svc1", none), {
    environment: { x: "y", w: "z" },
    userId: 10,
    user: "svcuser",
    groupId: 20,
    group: "svcgroup",
    workingDir: "/working/svc",
  });
  const overrides = {
    environment: { x: "a" },
    userId: 11,
    user: "usr",
    groupId: 22,
    group: "grp",
    workingDir: "/working/dir",
  };
  assert.deepEqual(mergeServiceContext(plan, "svc1", overrides), {
    ...overrides,
    environment: { x: "a", w: "z" },
  });
  assert.equal(mergeServiceContext(plan, "", overrides), overrides);
  assert.throws(
    () => mergeServiceContext(plan, "nosvc", none),
    new PlanError('context service "nosvc" not found'),
  );
});
