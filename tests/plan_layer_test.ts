import assert from "node:assert/strict";
import {
  type Layer,
  LayerError,
  layerFromObject,
  layerToObject,
  layerToYaml,
  parseLayer,
  validateLayerLabel,
} from "../plan/mod.ts";

const S = 1_000_000_000;

/** Asserts that parsing `yaml` fails with a LayerError matching the expectations. */
function assertRejected(
  yaml: string,
  expected: { message: string | RegExp; path?: string; line?: number },
  label = "layer-0",
) {
  assert.throws(() => parseLayer(yaml, { label }), (err: unknown) => {
    assert.ok(err instanceof LayerError, `expected LayerError, got ${err}`);
    if (typeof expected.message === "string") {
      assert.equal(err.message, expected.message);
    } else {
      assert.match(err.message, expected.message);
    }
    assert.equal(err.label, label);
    if (expected.path !== undefined) assert.equal(err.path, expected.path);
    if (expected.line !== undefined) assert.equal(err.line, expected.line);
    return true;
  }, yaml);
}

// Pebble's TestMarshalLayer: parsing and printing gives back the same text.
const MARSHAL_LAYER = `summary: Simple layer
description: A simple layer.
services:
    srv1:
        summary: Service summary
        startup: enabled
        override: replace
        command: cmd arg1 "arg2 arg3"
        after:
            - srv2
        before:
            - srv3
        requires:
            - srv2
            - srv3
        environment:
            var0: val0
            var1: val1
            var2: val2
        backoff-delay: 1s
        backoff-factor: 1.5
        backoff-limit: 10s
    srv2:
        override: replace
        command: srv2cmd
    srv3:
        override: replace
        command: srv3cmd
`;

Deno.test("parseLayer then layerToYaml prints the layer as Pebble does", () => {
  const layer = parseLayer(MARSHAL_LAYER, { label: "layer1", order: 1 });
  assert.equal(layer.label, "layer1");
  assert.equal(layer.order, 1);
  assert.equal(layerToYaml(layer), MARSHAL_LAYER);
});

Deno.test("parseLayer reads every service field", () => {
  const layer = parseLayer(
    `
summary: Simple layer
description: A simple layer.
services:
  srv1:
    override: replace
    summary: Service summary
    description: The first service.
    command: cmd arg1 "arg2 arg3" [ --default ]
    kill-delay: 10s
    startup: enabled
    after: [srv2]
    before: [srv3]
    requires: [srv2, srv3]
    environment: {var1: val1, var0: val0}
    user: alice
    user-id: 1000
    group: staff
    group-id: 50
    working-dir: /workdir/srv1
    on-success: failure-shutdown
    on-failure: success-shutdown
    on-check-failure: {chk1: restart, chk2: ignore}
    backoff-delay: 1s
    backoff-factor: 1.5
    backoff-limit: 10s
    workload: wl
  srv2: {override: merge, command: cmd, user-id: 0}
  srv3: {override: replace, command: cmd}
`,
    { label: "layer-0" },
  );
  assert.equal(layer.summary, "Simple layer");
  assert.equal(layer.description, "A simple layer.");
  assert.deepEqual(layer.services.srv1, {
    name: "srv1",
    summary: "Service summary",
    description: "The first service.",
    startup: "enabled",
    override: "replace",
    command: 'cmd arg1 "arg2 arg3" [ --default ]',
    after: ["srv2"],
    before: ["srv3"],
    requires: ["srv2", "srv3"],
    workload: "wl",
    environment: { var1: "val1", var0: "val0" },
    userId: 1000,
    user: "alice",
    groupId: 50,
    group: "staff",
    workingDir: "/workdir/srv1",
    onSuccess: "failure-shutdown",
    onFailure: "success-shutdown",
    onCheckFailure: { chk1: "restart", chk2: "ignore" },
    backoffDelay: { value: S, isSet: true },
    backoffFactor: { value: 1.5, isSet: true },
    backoffLimit: { value: 10 * S, isSet: true },
    killDelay: { value: 10 * S, isSet: true },
  });
  // user-id 0 is set (not the same as unset).
  assert.equal(layer.services.srv2.userId, 0);
  assert.equal("userId" in layer.services.srv3, false);
  assert.deepEqual(layer.services.srv3.backoffDelay, { value: 0, isSet: false });
});

Deno.test("parseLayer converts typed scalars to strings and nulls to empty", () => {
  const layer = parseLayer(
    `
services:
  srv1:
    override: replace
    command: cmd
    environment:
      a: true
      b: 1.10
      c:
      d: ~
      e: 0x1F
`,
    { label: "layer-0" },
  );
  assert.deepEqual(layer.services.srv1.environment, {
    a: "true",
    b: "1.10",
    c: "",
    d: "",
    e: "0x1F",
  });
});

Deno.test("parseLayer reads integers as Go's yaml.v3 does", () => {
  const base = "services:\n  s:\n    override: replace\n    command: x\n    user-id: ";
  assert.equal(parseLayer(base + "0x10\n", { label: "l" }).services.s.userId, 16);
  assert.equal(parseLayer(base + "017\n", { label: "l" }).services.s.userId, 15);
  assert.equal(parseLayer(base + "1_000\n", { label: "l" }).services.s.userId, 1000);
  assert.equal(parseLayer(base + "5.7\n", { label: "l" }).services.s.userId, 5);
  assert.equal("userId" in parseLayer(base + "~\n", { label: "l" }).services.s, false);
});

Deno.test("parseLayer reads every check field", () => {
  const layer = parseLayer(
    `
checks:
  chk-http:
    override: replace
    level: alive
    period: 20s
    timeout: 500ms
    threshold: 7
    http:
      url: https://example.com/foo
      headers: {Foo: bar, Authorization: Basic password}
  chk-tcp:
    override: merge
    level: ready
    startup: enabled
    tcp: {port: 7777, host: somehost}
  chk-exec:
    override: replace
    startup: disabled
    exec:
      command: sleep 1
      service-context: srv1
      environment: {FOO: bar}
      user: alice
      user-id: 1000
      group: staff
      group-id: 50
      working-dir: /root
`,
    { label: "layer-0" },
  );
  assert.deepEqual(layer.checks["chk-http"], {
    name: "chk-http",
    override: "replace",
    level: "alive",
    startup: "",
    period: { value: 20 * S, isSet: true },
    timeout: { value: 500_000_000, isSet: true },
    threshold: 7,
    http: {
      url: "https://example.com/foo",
      headers: { Foo: "bar", Authorization: "Basic password" },
    },
  });
  assert.deepEqual(layer.checks["chk-tcp"].tcp, { port: 7777, host: "somehost" });
  assert.equal(layer.checks["chk-tcp"].startup, "enabled");
  assert.equal(layer.checks["chk-tcp"].threshold, 0);
  assert.deepEqual(layer.checks["chk-exec"].exec, {
    command: "sleep 1",
    serviceContext: "srv1",
    environment: { FOO: "bar" },
    user: "alice",
    userId: 1000,
    group: "staff",
    groupId: 50,
    workingDir: "/root",
  });
});

Deno.test("parseLayer reads log targets, workloads and pairing", () => {
  const layer = parseLayer(
    `
log-targets:
  tgt1:
    override: merge
    type: loki
    location: http://10.1.77.196:3100/loki/api/v1/push
    services: [all, -svc2]
    labels: {env: prod}
workloads:
  wl:
    override: replace
    environment: {A: b}
    user: alice
    user-id: 1000
    group: staff
    group-id: 50
pairing:
  mode: single
`,
    { label: "layer-0" },
  );
  assert.deepEqual(layer.logTargets.tgt1, {
    name: "tgt1",
    type: "loki",
    location: "http://10.1.77.196:3100/loki/api/v1/push",
    services: ["all", "-svc2"],
    override: "merge",
    labels: { env: "prod" },
  });
  assert.deepEqual(layer.workloads.wl, {
    name: "wl",
    override: "replace",
    environment: { A: "b" },
    user: "alice",
    userId: 1000,
    group: "staff",
    groupId: 50,
  });
  assert.deepEqual(layer.pairing, { mode: "single" });
});

Deno.test("parseLayer accepts empty layers, anchors and merge keys", () => {
  for (const text of ["", "{}", "~", "# only a comment\n", "services:\n"]) {
    const layer = parseLayer(text, { label: "empty" });
    assert.deepEqual(layer.services, {});
  }
  const layer = parseLayer(
    `
services:
  base: &base
    override: replace
    command: server
    environment: {A: b}
  copy: *base
  derived:
    <<: *base
    command: other
`,
    { label: "anchors" },
  );
  assert.equal(layer.services.copy.command, "server");
  assert.equal(layer.services.copy.name, "copy");
  assert.equal(layer.services.derived.command, "other");
  assert.deepEqual(layer.services.derived.environment, { A: "b" });
});

Deno.test("parseLayer accepts any service startup value, as Pebble does", () => {
  const layer = parseLayer("services: {s: {override: replace, command: x, startup: later}}", {
    label: "l",
  });
  assert.equal(layer.services.s.startup, "later");
});

Deno.test("parseLayer ignores a scalar pairing section, as Pebble does", () => {
  assert.deepEqual(parseLayer("pairing: foo\n", { label: "l" }).pairing, { mode: "" });
});

const SVC = "services:\n  svc1:\n    override: replace\n    command: cmd\n";

Deno.test("parseLayer rejects bad YAML and bad shapes, naming label, path and line", () => {
  assertRejected("a: b: c\n", {
    message: /^cannot parse layer "layer-0": yaml: line 1, column 4: /,
    line: 1,
  });
  assertRejected("services:\n  s: {a\n", { message: /^cannot parse layer "layer-0": yaml: / });
  assertRejected("- a\n- b\n", {
    message: 'cannot parse layer "layer-0": cannot unmarshal !!seq into a layer mapping (line 1)',
  });
  assertRejected("just text\n", {
    message: /^cannot parse layer "layer-0": cannot unmarshal !!str `just text` into/,
  });
  assertRejected("summary: x\nfuture: 1\n", {
    message: 'cannot parse layer "layer-0": unknown section "future" (line 2)',
    path: "future",
    line: 2,
  });
  assertRejected("services:\n  srv1:\n    future: true\n    override: replace\n", {
    message: 'cannot parse layer "layer-0" section "services": ' +
      "field future not found in type plan.Service (services.srv1.future, line 3)",
    path: "services.srv1.future",
    line: 3,
  });
  assertRejected(SVC + "    command: other\n", {
    message: 'cannot parse layer "layer-0" section "services": ' +
      'mapping key "command" already defined at line 4 (services.svc1.command, line 5)',
  });
  assertRejected("summary: a\nsummary: b\n", {
    message: 'cannot parse layer "layer-0": mapping key "summary" already defined at line 1 ' +
      "(summary, line 2)",
    path: "summary",
  });
  assertRejected("services: []\n", {
    message: 'cannot parse layer "layer-0" section "services": ' +
      "cannot unmarshal !!seq into map[string]*plan.Service (services, line 1)",
  });
  assertRejected("summary: [a]\n", {
    message: 'cannot parse layer "layer-0" section "summary": ' +
      "cannot unmarshal !!seq into string (summary, line 1)",
  });
  assertRejected("checks:\n  c:\n    http: {url: x, foo: y}\n", {
    message: /field foo not found in type plan\.HTTPCheck \(checks\.c\.http\.foo, line 3\)$/,
    path: "checks.c.http.foo",
  });
  assertRejected("log-targets:\n  t: {location: x, service: [a]}\n", {
    message: /field service not found in type plan\.LogTarget/,
    path: "log-targets.t.service",
  });
  assertRejected("workloads:\n  w: {override: merge, shell: bash}\n", {
    message: /field shell not found in type workloads\.Workload/,
  });
  assertRejected("pairing: {mode: single, other: 1}\n", {
    message: /field other not found in type pairingstate\.pairingConfig/,
  });
});

Deno.test("parseLayer rejects values of the wrong type", () => {
  const cases: [string, string, string][] = [
    ["    after: srv2\n", "cannot unmarshal !!str `srv2` into []string", "services.svc1.after"],
    ["    requires: [[a]]\n", "cannot unmarshal !!seq into string", "services.svc1.requires[0]"],
    [
      "    environment: [a]\n",
      "cannot unmarshal !!seq into map[string]string",
      "services.svc1.environment",
    ],
    [
      "    environment: {a: [b]}\n",
      "cannot unmarshal !!seq into string",
      "services.svc1.environment.a",
    ],
    ["    user-id: '5'\n", "cannot unmarshal !!str `5` into int", "services.svc1.user-id"],
    ["    user-id: true\n", "cannot unmarshal !!bool `true` into int", "services.svc1.user-id"],
    [
      "    group-id: a-long-string\n",
      "cannot unmarshal !!str `a-long-...` into int",
      "services.svc1.group-id",
    ],
    ["    summary: {a: b}\n", "cannot unmarshal !!map into string", "services.svc1.summary"],
    [
      "    on-check-failure: [a]\n",
      "cannot unmarshal !!seq into map[string]plan.ServiceAction",
      "services.svc1.on-check-failure",
    ],
    ["    backoff-delay: foo\n", 'invalid duration "foo"', "services.svc1.backoff-delay"],
    ["    backoff-limit: 5\n", 'invalid duration "5"', "services.svc1.backoff-limit"],
    ["    kill-delay: [1s]\n", "duration must be a YAML string", "services.svc1.kill-delay"],
    [
      "    backoff-factor: foo\n",
      'invalid floating-point number "foo"',
      "services.svc1.backoff-factor",
    ],
    [
      "    backoff-factor: {a: 1}\n",
      "value must be a YAML number",
      "services.svc1.backoff-factor",
    ],
  ];
  for (const [extra, reason, path] of cases) {
    assertRejected(SVC + extra, {
      message: `cannot parse layer "layer-0" section "services": ${reason} (${path}, line 5)`,
      path,
      line: 5,
    });
  }
  assertRejected("checks:\n  c:\n    override: replace\n    threshold: '5'\n", {
    message: /section "checks": cannot unmarshal !!str `5` into int \(checks\.c\.threshold/,
  });
  assertRejected("checks:\n  c:\n    override: replace\n    tcp: {port: eighty}\n", {
    message: /cannot unmarshal !!str `eighty` into int \(checks\.c\.tcp\.port, line 4\)/,
  });
  assertRejected("checks:\n  c:\n    override: replace\n    period: soon\n", {
    message: /section "checks": invalid duration "soon" \(checks\.c\.period, line 4\)/,
  });
  assertRejected("log-targets:\n  t: {override: merge, services: all}\n", {
    message: /cannot unmarshal !!str `all` into \[\]string \(log-targets\.t\.services/,
  });
});

Deno.test("parseLayer rejects what Pebble's layer validation rejects", () => {
  const cases: [string, string, string][] = [
    [
      "services:\n  pebble:\n    command: cmd\n",
      'cannot use reserved service name "pebble"',
      "services.pebble",
    ],
    ["services:\n  svc1: ~\n", 'service object cannot be null for service "svc1"', "services.svc1"],
    [
      'services:\n  "":\n    override: replace\n    command: cmd\n',
      "cannot use empty string as service name",
      "services.",
    ],
    [
      "services:\n  -svc1:\n    command: foo\n    override: merge\n",
      'cannot use service name "-svc1": starting with "-" not allowed',
      "services.-svc1",
    ],
    [
      SVC + "    on-success: foo\n",
      'plan service "svc1" on-success action "foo" invalid',
      "services.svc1.on-success",
    ],
    [
      SVC + "    on-success: success-shutdown\n",
      'plan service "svc1" on-success action "success-shutdown" invalid',
      "services.svc1.on-success",
    ],
    [
      SVC + "    on-failure: failure-shutdown\n",
      'plan service "svc1" on-failure action "failure-shutdown" invalid',
      "services.svc1.on-failure",
    ],
    [
      SVC + "    on-check-failure:\n      test: failure-shutdown\n",
      'plan service "svc1" on-check-failure action "failure-shutdown" invalid',
      "services.svc1.on-check-failure.test",
    ],
    [
      SVC + "    backoff-factor: 0\n",
      'plan service "svc1" backoff-factor must be 1.0 or greater, not 0',
      "services.svc1.backoff-factor",
    ],
    [
      SVC + "    backoff-factor: 0.5\n",
      'plan service "svc1" backoff-factor must be 1.0 or greater, not 0.5',
      "services.svc1.backoff-factor",
    ],
    [
      "services:\n  svc1:\n    override: replace\n    command: foo '\n",
      'plan service "svc1" command invalid: cannot parse service "svc1" command: ' +
      "EOF found when expecting closing quote",
      "services.svc1.command",
    ],
    [
      "services:\n  svc1:\n    override: replace\n    command: cmd -v [ --foo ] bar\n",
      'plan service "svc1" command invalid: cannot parse service "svc1" command: ' +
      "cannot have any arguments after [ ... ] group",
      "services.svc1.command",
    ],
    [
      "services:\n  svc1:\n    override: replace\n    command: cmd -v ] foo\n",
      'plan service "svc1" command invalid: cannot parse service "svc1" command: ' +
      "cannot have ] outside of [ ... ] group",
      "services.svc1.command",
    ],
    [
      "services:\n  svc1:\n    override: replace\n    command: cmd -v [ foo [ --bar ] ]\n",
      'plan service "svc1" command invalid: cannot parse service "svc1" command: ' +
      "cannot nest [ ... ] groups",
      "services.svc1.command",
    ],
    [
      "services:\n  svc1:\n    override: replace\n    command: '[ cmd ]'\n",
      'plan service "svc1" command invalid: cannot parse service "svc1" command: ' +
      "cannot start command with [ ... ] group",
      "services.svc1.command",
    ],
    [
      'checks:\n  "":\n    override: replace\n',
      "cannot use empty string as check name",
      "checks.",
    ],
    ["checks:\n  chk1: ~\n", 'check object cannot be null for check "chk1"', "checks.chk1"],
    [
      "checks:\n  chk1:\n    override: replace\n    level: bogus\n",
      'plan check "chk1" level must be "alive" or "ready"',
      "checks.chk1.level",
    ],
    [
      "checks:\n  chk1:\n    override: replace\n    startup: true\n",
      'plan check "chk1" startup must be "enabled" or "disabled"',
      "checks.chk1.startup",
    ],
    [
      "checks:\n  chk1:\n    override: replace\n    period: 0s\n",
      'plan check "chk1" period must not be zero',
      "checks.chk1.period",
    ],
    [
      "checks:\n  chk1:\n    override: replace\n    timeout: 0\n",
      'plan check "chk1" timeout must not be zero',
      "checks.chk1.timeout",
    ],
    [
      "checks:\n  chk1:\n    override: replace\n    exec:\n      command: foo '\n",
      'plan check "chk1" command invalid: EOF found when expecting closing quote',
      "checks.chk1.exec.command",
    ],
    [
      "log-targets:\n  tgt1: ~\n",
      'log target object cannot be null for log target "tgt1"',
      "log-targets.tgt1",
    ],
    [
      "log-targets:\n  tgt1:\n    override: merge\n    labels:\n      pebble_service: illegal\n",
      'log target "tgt1": label "pebble_service" uses reserved prefix "pebble_"',
      "log-targets.tgt1.labels.pebble_service",
    ],
    [
      "log-targets:\n  tgt1:\n    override: merge\n    type: foobar\n",
      'log target "tgt1" has unsupported type "foobar", must be "loki", "opentelemetry" or "syslog"',
      "log-targets.tgt1.type",
    ],
    ["workloads:\n  wl: ~\n", 'workload "wl": cannot have a null value', "workloads.wl"],
    [
      'workloads:\n  "": {override: merge}\n',
      'workload "": cannot have an empty name',
      "workloads.",
    ],
    [
      "pairing: {mode: bogus}\n",
      'invalid pairing mode "bogus": should be "disabled", "single" or "multiple"',
      "pairing.mode",
    ],
  ];
  for (const [yaml, reason, path] of cases) {
    assertRejected(yaml, { message: `layer "layer-0": ${reason}`, path });
  }
});

Deno.test("parseLayer requires a valid override everywhere", () => {
  const cases: [string, string, string][] = [
    [
      "services:\n  srv1:\n    command: cmd\n",
      'layer "layer-0" must define "override" for service "srv1"',
      "services.srv1.override",
    ],
    [
      "services:\n  srv1:\n    override: bogus\n    command: cmd\n",
      'layer "layer-0" has invalid "override" value for service "srv1"',
      "services.srv1.override",
    ],
    [
      "checks:\n  chk1:\n    exec: {command: x}\n",
      'layer "layer-0" must define "override" for check "chk1"',
      "checks.chk1.override",
    ],
    [
      "checks:\n  chk1:\n    override: update\n",
      'layer "layer-0" has invalid "override" value for check "chk1"',
      "checks.chk1.override",
    ],
    [
      "log-targets:\n  tgt1:\n    type: loki\n",
      'layer "layer-0" must define "override" for log target "tgt1"',
      "log-targets.tgt1.override",
    ],
    [
      "log-targets:\n  tgt1:\n    override: x\n",
      'layer "layer-0" has invalid "override" value for log target "tgt1"',
      "log-targets.tgt1.override",
    ],
    [
      "workloads:\n  wl:\n    user: bob\n",
      'layer "layer-0": workload "wl": must define an "override" policy',
      "workloads.wl.override",
    ],
    [
      "workloads:\n  wl:\n    override: x\n",
      'layer "layer-0": workload "wl": has an invalid "override" policy: "x"',
      "workloads.wl.override",
    ],
  ];
  for (const [yaml, message, path] of cases) assertRejected(yaml, { message, path });
});

Deno.test("layer labels with the reserved prefix are rejected", () => {
  assertRejected("{}", {
    message: 'layer "pebble-foo": cannot use reserved label prefix "pebble-"',
  }, "pebble-foo");
  assert.throws(() => validateLayerLabel("pebble-x"), LayerError);
  validateLayerLabel("my-pebble-layer");
});

Deno.test("exec checks' user and group go through the caller's check", () => {
  const yaml = "checks:\n  c:\n    override: replace\n    exec: {command: x, user: nobody2}\n";
  assert.throws(
    () =>
      parseLayer(yaml, {
        label: "l",
        checkUserGroup: (ids) => {
          throw new Error(`user: unknown user ${ids.user}`);
        },
      }),
    (err: unknown) => {
      assert.ok(err instanceof LayerError);
      assert.equal(
        err.message,
        'layer "l": plan check "c" has invalid user/group: user: unknown user nobody2',
      );
      return true;
    },
  );
  parseLayer(yaml, { label: "l", checkUserGroup: () => {} });
});

Deno.test("layerFromObject applies the same checks to plain objects", () => {
  const layer = layerFromObject({
    summary: "from JSON",
    services: {
      web: {
        override: "replace",
        command: "server",
        "kill-delay": "10s",
        "backoff-factor": 3,
        "user-id": 0,
        environment: { PORT: 8080, DEBUG: true, EMPTY: null },
      },
    },
    checks: { up: { override: "replace", threshold: 2, tcp: { port: 80 } } },
  }, { label: "dynamic", order: 5 });
  assert.equal(layer.order, 5);
  assert.deepEqual(layer.services.web.killDelay, { value: 10 * S, isSet: true });
  assert.deepEqual(layer.services.web.backoffFactor, { value: 3, isSet: true });
  assert.equal(layer.services.web.userId, 0);
  assert.deepEqual(layer.services.web.environment, { PORT: "8080", DEBUG: "true", EMPTY: "" });
  assert.equal(layer.checks.up.tcp?.port, 80);

  const rejects = (obj: unknown, message: string | RegExp) =>
    assert.throws(() => layerFromObject(obj, { label: "dynamic" }), (err: unknown) => {
      assert.ok(err instanceof LayerError);
      if (typeof message === "string") assert.equal(err.message, message);
      else assert.match(err.message, message);
      return true;
    });
  rejects(
    { services: { web: { override: "replace", command: "x", "kill-delay": 10 } } },
    'cannot parse layer "dynamic" section "services": invalid duration "10" (services.web.kill-delay)',
  );
  rejects(
    { services: { web: { override: "replace", command: ["x"] } } },
    'cannot parse layer "dynamic" section "services": cannot unmarshal !!seq into string (services.web.command)',
  );
  rejects(
    { services: { web: { override: "replace", command: "x", "user-id": "0" } } },
    /cannot unmarshal !!str `0` into int \(services\.web\.user-id\)$/,
  );
  rejects({ services: { web: { command: "x" } } }, /must define "override" for service "web"/);
  rejects({ services: { web: { override: "replace", command: "x", userId: 1 } } }, /userId/);
  rejects({ extra: 1 }, 'cannot parse layer "dynamic": unknown section "extra"');
  rejects([1], 'cannot parse layer "dynamic": cannot unmarshal !!seq into a layer mapping');
  rejects({ summary: new Date(0) }, /unsupported value of type Date/);
});

Deno.test("layerToObject gives the YAML shape and round-trips through layerFromObject", () => {
  const layer = parseLayer(
    `
summary: s
services:
  srv2: {override: merge, command: b, after: [srv1], kill-delay: 90s, backoff-factor: 2}
  srv10: {override: replace, command: a, user-id: 0, environment: {B: "1", A: "2"}}
checks:
  chk: {override: replace, period: 1500ms, http: {url: "http://x", headers: {X: y}}}
log-targets:
  tgt: {override: merge, type: loki, location: "http://l", services: [all]}
workloads:
  wl: {override: replace, user-id: 7}
pairing: {mode: multiple}
`,
    { label: "l" },
  );
  const obj = layerToObject(layer);
  assert.deepEqual(obj, {
    summary: "s",
    services: {
      srv2: {
        override: "merge",
        command: "b",
        after: ["srv1"],
        "backoff-factor": 2,
        "kill-delay": "1m30s",
      },
      srv10: { override: "replace", command: "a", environment: { A: "2", B: "1" }, "user-id": 0 },
    },
    checks: {
      chk: { override: "replace", period: "1.5s", http: { url: "http://x", headers: { X: "y" } } },
    },
    "log-targets": {
      tgt: { type: "loki", location: "http://l", services: ["all"], override: "merge" },
    },
    pairing: { mode: "multiple" },
    workloads: { wl: { override: "replace", "user-id": 7 } },
  });
  // Natural key order, as Go's yaml.v3 sorts: srv2 before srv10.
  assert.deepEqual(Object.keys(obj.services as object), ["srv2", "srv10"]);
  const again: Layer = layerFromObject(obj, { label: "l" });
  assert.deepEqual(again, layer);
  assert.equal(layerToYaml(again), layerToYaml(layer));
});

Deno.test("layerToYaml quotes strings exactly as yaml.v3 does", () => {
  // Expected text produced by Pebble (Go yaml.v3) for the same plan.
  const layer = parseLayer(
    `
services:
  a:
    override: replace
    command: x
    description: |
      hello
        world

      end
    summary: "  lead"
    environment:
      A: 'true'
      B: ''
      C: '1.5'
      D: '- x'
      E: 'x: y'
      F: "tab\\there"
      G: '2024-01-02'
      H: 'yes'
      I: '0x1F'
      K: '#x'
      L: 'a #b'
      M: '12:30'
      N: '~'
      O: 'it''s'
      P: "emoji \\U0001F600"
      Q: '.5'
      S: '[a]'
      V: ' '
`,
    { label: "l" },
  );
  assert.equal(
    layerToYaml(layer),
    `services:
    a:
        summary: '  lead'
        description: |
            hello
              world

            end
        override: replace
        command: x
        environment:
            A: "true"
            B: ""
            C: "1.5"
            D: '- x'
            E: 'x: y'
            F: "tab\\there"
            G: "2024-01-02"
            H: "yes"
            I: "0x1F"
            K: '#x'
            L: 'a #b'
            M: "12:30"
            "N": "~"
            O: it's
            P: "emoji \\U0001F600"
            Q: ".5"
            S: '[a]'
            V: ' '
`,
  );
});
