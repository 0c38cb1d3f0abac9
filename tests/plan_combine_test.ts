import assert from "node:assert/strict";
import {
  buildPlan,
  combineLayers,
  type Layer,
  newLayer,
  newService,
  parseLayer,
  PlanError,
} from "../plan/mod.ts";

const S = 1_000_000_000;
const MS = 1_000_000;

function layers(...texts: string[]): Layer[] {
  return texts.map((text, i) => parseLayer(text, { label: `layer-${i}`, order: i }));
}

Deno.test("combineLayers follows Pebble's first plan test", () => {
  // From Pebble's plan_test.go: "Relatively simple layer with override on top".
  const combined = combineLayers(...layers(
    `
summary: Simple layer
description: A simple layer.
services:
  srv1:
    override: replace
    summary: Service summary
    command: cmd arg1 "arg2 arg3"
    kill-delay: 10s
    startup: enabled
    after: [srv2]
    before: [srv3]
    requires: [srv2, srv3]
    environment: {var1: val1, var0: val0, var2: val2}
    backoff-delay: 1s
    backoff-factor: 1.5
    backoff-limit: 10s
    working-dir: /workdir/srv1
  srv2: {override: replace, startup: enabled, command: cmd, before: [srv3], working-dir: /workdir/srv2}
  srv3: {override: replace, command: cmd}
  srv6: {override: replace, command: cmd6a}
`,
    `
summary: Simple override layer.
description: The second layer.
services:
  srv1:
    override: merge
    environment: {var3: val3}
    after: [srv4]
    before: [srv5]
    working-dir: /workdir/srv1/override
  srv2: {override: replace, startup: disabled, command: cmd, summary: Replaced service}
  srv4: {override: replace, command: cmd, startup: enabled}
  srv5: {override: replace, command: cmd}
  srv6:
    override: merge
    command: cmd6b
    environment: {foo: bar, baz: buz}
    on-check-failure: {chk1: restart}
`,
  ));
  assert.equal(combined.summary, "Simple override layer.");
  assert.equal(combined.description, "The second layer.");
  const srv1 = combined.services.srv1;
  assert.equal(srv1.override, "replace");
  assert.equal(srv1.command, 'cmd arg1 "arg2 arg3"');
  assert.deepEqual(srv1.after, ["srv2", "srv4"]);
  assert.deepEqual(srv1.before, ["srv3", "srv5"]);
  assert.deepEqual(srv1.requires, ["srv2", "srv3"]);
  assert.deepEqual(srv1.environment, { var1: "val1", var0: "val0", var2: "val2", var3: "val3" });
  assert.equal(srv1.workingDir, "/workdir/srv1/override");
  assert.deepEqual(srv1.killDelay, { value: 10 * S, isSet: true });
  assert.deepEqual(srv1.backoffDelay, { value: S, isSet: true });
  assert.deepEqual(srv1.backoffFactor, { value: 1.5, isSet: true });
  assert.deepEqual(srv1.backoffLimit, { value: 10 * S, isSet: true });
  // Replaced: nothing of the first definition is left.
  const srv2 = combined.services.srv2;
  assert.equal(srv2.summary, "Replaced service");
  assert.equal(srv2.startup, "disabled");
  assert.deepEqual(srv2.before, []);
  assert.equal(srv2.workingDir, "");
  // Defaults are filled in but not marked as set.
  assert.deepEqual(srv2.backoffDelay, { value: 500 * MS, isSet: false });
  assert.deepEqual(srv2.backoffFactor, { value: 2, isSet: false });
  assert.deepEqual(srv2.backoffLimit, { value: 30 * S, isSet: false });
  assert.deepEqual(srv2.killDelay, { value: 0, isSet: false });
  const srv6 = combined.services.srv6;
  assert.equal(srv6.override, "replace");
  assert.equal(srv6.command, "cmd6b");
  assert.deepEqual(srv6.environment, { foo: "bar", baz: "buz" });
  assert.deepEqual(srv6.onCheckFailure, { chk1: "restart" });
});

Deno.test("merge: scalars set later win, unset ones keep earlier values", () => {
  const combined = combineLayers(...layers(
    `
services:
  s:
    override: replace
    summary: one
    description: first
    startup: enabled
    command: a
    user: alice
    user-id: 1
    group: staff
    group-id: 2
    working-dir: /one
    on-success: shutdown
    on-failure: restart
    kill-delay: 1s
    backoff-delay: 2s
    backoff-factor: 3
    backoff-limit: 4s
    workload: w1
`,
    `
services:
  s:
    override: merge
    user-id: 0
    group: wheel
    on-failure: ignore
    backoff-factor: 1
`,
  ));
  const s = combined.services.s;
  assert.equal(s.summary, "one");
  assert.equal(s.description, "first");
  assert.equal(s.startup, "enabled");
  assert.equal(s.command, "a");
  assert.equal(s.user, "alice");
  assert.equal(s.userId, 0);
  assert.equal(s.group, "wheel");
  assert.equal(s.groupId, 2);
  assert.equal(s.workingDir, "/one");
  assert.equal(s.onSuccess, "shutdown");
  assert.equal(s.onFailure, "ignore");
  assert.deepEqual(s.killDelay, { value: S, isSet: true });
  assert.deepEqual(s.backoffDelay, { value: 2 * S, isSet: true });
  assert.deepEqual(s.backoffFactor, { value: 1, isSet: true });
  assert.deepEqual(s.backoffLimit, { value: 4 * S, isSet: true });
  assert.equal(s.workload, "w1");
});

Deno.test("merge: lists append and maps merge key by key; replace starts over", () => {
  const [a, b, c] = layers(
    `
services:
  s:
    override: replace
    command: a
    after: [x]
    before: [y]
    requires: [z]
    environment: {A: "1", B: "2"}
    on-check-failure: {c1: restart, c2: shutdown}
`,
    `
services:
  s:
    override: merge
    after: [x2]
    before: [y2]
    requires: [z, z2]
    environment: {B: "3", C: "4"}
    on-check-failure: {c2: ignore}
`,
    `
services:
  s:
    override: replace
    command: b
    environment: {D: "5"}
`,
  );
  const merged = combineLayers(a, b).services.s;
  assert.deepEqual(merged.after, ["x", "x2"]);
  assert.deepEqual(merged.before, ["y", "y2"]);
  assert.deepEqual(merged.requires, ["z", "z", "z2"]);
  assert.deepEqual(merged.environment, { A: "1", B: "3", C: "4" });
  assert.deepEqual(merged.onCheckFailure, { c1: "restart", c2: "ignore" });
  const replaced = combineLayers(a, b, c).services.s;
  assert.equal(replaced.command, "b");
  assert.deepEqual(replaced.after, []);
  assert.deepEqual(replaced.requires, []);
  assert.deepEqual(replaced.environment, { D: "5" });
  assert.deepEqual(replaced.onCheckFailure, {});
});

Deno.test("merge into nothing copies; the inputs are never changed", () => {
  const [a, b] = layers(
    "services: {s: {override: merge, command: a, environment: {A: '1'}, after: [x]}}",
    "services: {s: {override: merge, environment: {B: '2'}, after: [y]}}",
  );
  const before = structuredClone([a, b]);
  const combined = combineLayers(a, b);
  assert.deepEqual(combined.services.s.environment, { A: "1", B: "2" });
  assert.deepEqual([a, b], before);
  combined.services.s.after.push("z");
  assert.deepEqual(a.services.s.after, ["x"]);
});

Deno.test("checks: replace and merge as Pebble does, with defaults", () => {
  const replaced = combineLayers(...layers(
    `
checks:
  chk-http: {override: replace, period: 20s, http: {url: "https://example.com/foo", headers: {Foo: bar}}}
  chk-tcp: {override: replace, level: ready, tcp: {port: 7777, host: somehost}}
  chk-exec: {override: replace, exec: {command: sleep 1, working-dir: /root}}
`,
    `
checks:
  chk-http: {override: replace, http: {url: "https://example.com/bar"}}
  chk-tcp: {override: replace, tcp: {port: 8888}}
  chk-exec: {override: replace, exec: {command: sleep 2}}
`,
  )).checks;
  assert.deepEqual(replaced["chk-http"], {
    name: "chk-http",
    override: "replace",
    level: "",
    startup: "",
    period: { value: 10 * S, isSet: false },
    timeout: { value: 3 * S, isSet: false },
    threshold: 3,
    http: { url: "https://example.com/bar", headers: {} },
  });
  assert.deepEqual(replaced["chk-tcp"].tcp, { port: 8888, host: "" });
  assert.equal(replaced["chk-tcp"].level, "");
  assert.equal(replaced["chk-exec"].exec?.workingDir, "");

  const merged = combineLayers(...layers(
    `
checks:
  chk-http: {override: merge, period: 1s}
  chk-tcp: {override: merge, timeout: 300ms, tcp: {host: foobar}}
  chk-exec: {override: merge, threshold: 5, exec: {working-dir: /root, environment: {A: b}}}
`,
    `
checks:
  chk-http: {override: merge, http: {url: "https://example.com/bar", headers: {Foo: bar}}}
  chk-tcp: {override: merge, tcp: {port: 80}}
  chk-exec: {override: merge, timeout: 7s, exec: {command: sleep 2, environment: {FOO: bar}}}
`,
  )).checks;
  assert.deepEqual(merged["chk-http"].period, { value: S, isSet: true });
  // The default timeout (3s) is capped at the period, and stays unset.
  assert.deepEqual(merged["chk-http"].timeout, { value: S, isSet: false });
  assert.deepEqual(merged["chk-http"].http, {
    url: "https://example.com/bar",
    headers: { Foo: "bar" },
  });
  assert.deepEqual(merged["chk-tcp"].timeout, { value: 300 * MS, isSet: true });
  assert.deepEqual(merged["chk-tcp"].tcp, { port: 80, host: "foobar" });
  assert.equal(merged["chk-exec"].threshold, 5);
  assert.deepEqual(merged["chk-exec"].timeout, { value: 7 * S, isSet: true });
  assert.deepEqual(merged["chk-exec"].exec, {
    command: "sleep 2",
    serviceContext: "",
    environment: { A: "b", FOO: "bar" },
    user: "",
    group: "",
    workingDir: "/root",
  });
});

Deno.test("checks: a timeout longer than the period is capped, keeping isSet", () => {
  const [set] = layers(
    "checks: {c: {override: replace, period: 100ms, timeout: 2s, tcp: {host: foobar, port: 80}}}",
  );
  assert.deepEqual(combineLayers(set).checks.c.timeout, { value: 100 * MS, isSet: true });
  const [unset] = layers(
    "checks: {c: {override: replace, period: 100ms, tcp: {host: foobar, port: 80}}}",
  );
  assert.deepEqual(combineLayers(unset).checks.c.timeout, { value: 100 * MS, isSet: false });
});

Deno.test("log targets: services append, labels merge, replace starts over", () => {
  const [a, b] = layers(
    `
log-targets:
  tgt1: {override: merge, type: loki, location: "http://a", services: [all], labels: {l1: a, l2: b}}
  tgt2: {override: merge, type: loki, location: "http://b", services: [all], labels: {l1: c}}
`,
    `
log-targets:
  tgt1: {override: merge, services: [-all, svc1], labels: {l2: x, l3: y}}
  tgt2: {override: replace, type: syslog, location: "udp://c", labels: {l4: z}}
`,
  );
  const combined = combineLayers(a, b).logTargets;
  assert.deepEqual(combined.tgt1, {
    name: "tgt1",
    type: "loki",
    location: "http://a",
    services: ["all", "-all", "svc1"],
    override: "merge",
    labels: { l1: "a", l2: "x", l3: "y" },
  });
  assert.deepEqual(combined.tgt2, {
    name: "tgt2",
    type: "syslog",
    location: "udp://c",
    services: [],
    override: "replace",
    labels: { l4: "z" },
  });
});

Deno.test("workloads merge and replace; pairing mode set last wins", () => {
  const combined = combineLayers(...layers(
    `
workloads:
  w1: {override: replace, user: alice, environment: {A: "1"}}
  w2: {override: replace, user: bob, group: staff}
pairing: {mode: single}
`,
    `
workloads:
  w1: {override: merge, user-id: 5, environment: {B: "2"}}
  w2: {override: replace, user: carol}
`,
    "pairing: {mode: multiple}",
    "summary: no pairing here",
  ));
  assert.deepEqual(combined.workloads.w1, {
    name: "w1",
    override: "replace",
    environment: { A: "1", B: "2" },
    user: "alice",
    userId: 5,
    group: "",
  });
  assert.deepEqual(combined.workloads.w2.group, "");
  assert.equal(combined.workloads.w2.user, "carol");
  assert.deepEqual(combined.pairing, { mode: "multiple" });
  assert.equal(combined.summary, "no pairing here");
});

Deno.test("a required field can come from any layer", () => {
  const plan = buildPlan(layers(
    "services: {srv1: {override: replace, command: sleep 1000}}",
    "services: {srv1: {override: merge, environment: {VAR1: foo}}}",
    "services: {srv1: {override: merge, environment: {VAR2: bar}}}",
  ));
  assert.equal(plan.services.srv1.command, "sleep 1000");
  assert.deepEqual(plan.services.srv1.environment, { VAR1: "foo", VAR2: "bar" });
  assert.throws(
    () =>
      buildPlan(layers(
        "services: {srv1: {override: replace}}",
        "services: {srv1: {override: merge, environment: {VAR1: foo}}}",
      )),
    new PlanError('plan must define "command" for service "srv1"'),
  );
});

Deno.test("combineLayers rejects hand-built entries without a valid override", () => {
  const layer = newLayer("label2", 2);
  layer.services.srv1 = { ...newService("srv1"), command: "cmd" };
  assert.throws(
    () => combineLayers(newLayer("label1", 1), layer),
    new PlanError('layer "label2" must define "override" for service "srv1"'),
  );
  layer.services.srv1.override = "bogus" as "merge";
  assert.throws(
    () => combineLayers(layer),
    new PlanError('layer "label2" has invalid "override" value for service "srv1"'),
  );
  assert.deepEqual(combineLayers(), newLayer());
});
