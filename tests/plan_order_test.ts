import assert from "node:assert/strict";
import {
  buildPlan,
  type Layer,
  newPlan,
  parseLayer,
  type Plan,
  PlanError,
  planToObject,
  planToYaml,
  startLanes,
  startOrder,
  stopLanes,
  stopOrder,
  tarjanSort,
} from "../plan/mod.ts";

function layers(...texts: string[]): Layer[] {
  return texts.map((text, i) => parseLayer(text, { label: `layer-${i}`, order: i }));
}

function plan(...texts: string[]): Plan {
  return buildPlan(layers(...texts));
}

function assertPlanError(texts: string[], message: string) {
  assert.throws(() => plan(...texts), (err: unknown) => {
    assert.ok(err instanceof PlanError, `expected PlanError, got ${err}`);
    assert.equal(err.message, message);
    return true;
  });
}

Deno.test("buildPlan rejects what Pebble's plan validation rejects", () => {
  const cases: [string[], string][] = [
    [["services: {srv1: {override: replace}}"], 'plan must define "command" for service "srv1"'],
    [
      ["checks: {chk1: {override: replace}}"],
      'plan must specify one of "http", "tcp", or "exec" for check "chk1"',
    ],
    [
      ["checks: {chk1: {override: replace, http: {url: x}, tcp: {port: 1}}}"],
      'plan must specify one of "http", "tcp", or "exec" for check "chk1"',
    ],
    [
      ["checks: {chk1: {override: replace, http: {}}}"],
      'plan must set "url" for http check "chk1"',
    ],
    [["checks: {chk2: {override: replace, tcp: {}}}"], 'plan must set "port" for tcp check "chk2"'],
    [
      ["checks: {chk3: {override: replace, exec: {}}}"],
      'plan must set "command" for exec check "chk3"',
    ],
    [
      ["checks: {chk1: {override: replace, exec: {command: foo, service-context: nosvc}}}"],
      'plan check "chk1" service context specifies non-existent service "nosvc"',
    ],
    [
      ["log-targets: {tgt1: {override: merge, location: 'http://x'}}"],
      'plan must define "type" ("loki", "opentelemetry" or "syslog") for log target "tgt1"',
    ],
    [
      ["log-targets: {tgt1: {override: merge, type: loki, services: [all]}}"],
      'plan must define "location" for log target "tgt1"',
    ],
    [
      ["log-targets: {tgt1: {override: merge, type: loki, location: x, services: [nonexistent]}}"],
      'log target "tgt1" specifies unknown service "nonexistent"',
    ],
    [
      ["log-targets: {tgt1: {override: merge, type: loki, location: x, services: [-nope]}}"],
      'log target "tgt1" specifies unknown service "nope"',
    ],
    [
      ["services: {s: {override: replace, command: x, requires: [nope]}}"],
      'service "nope" does not exist',
    ],
    [
      [`
services:
  srv1: {override: replace, command: cmd, after: [srv3]}
  srv2: {override: replace, command: cmd, after: [srv1], before: [srv3]}
  srv3: {override: replace, command: cmd}
`],
      "services in before/after loop: srv1, srv2, srv3",
    ],
    [
      [
        "services: {srv1: {override: replace, command: cmd, after: [srv2]}}",
        "services: {srv2: {override: replace, command: cmd, after: [srv1]}}",
      ],
      "services in before/after loop: srv1, srv2",
    ],
    [
      ["services: {s: {override: replace, command: x, workload: nope}}"],
      'workload "nope": not defined for service "s"',
    ],
    [
      [
        "workloads: {w: {override: replace}}\n" +
        "services: {s: {override: replace, command: x, workload: w, user: bob}}",
      ],
      'plan service "s" cannot have user information and a workload at the same time',
    ],
    [
      [
        "workloads: {w: {override: replace}}\n" +
        "services: {s: {override: replace, command: x, workload: w, group-id: 0}}",
      ],
      'plan service "s" cannot have group information and a workload at the same time',
    ],
  ];
  for (const [texts, message] of cases) assertPlanError(texts, message);
});

Deno.test("buildPlan accepts what Pebble accepts", () => {
  // after/before naming unknown services are ignored, as in Pebble.
  const p = plan(`
services:
  s: {override: replace, command: x, after: [ghost], before: [ghost2]}
log-targets:
  t: {override: merge, type: syslog, location: "udp://x", services: [all, -s, s, -all]}
checks:
  c: {override: replace, threshold: -1, exec: {command: x, service-context: s}}
`);
  assert.deepEqual(Object.keys(p.services), ["s"]);
  assert.equal(p.checks.c.threshold, -1);
  assert.equal(p.layers.length, 1);
  assert.deepEqual(buildPlan([]), newPlan());
  assert.throws(
    () =>
      buildPlan(layers("workloads: {w: {override: replace, user: nobody9}}"), {
        checkUserGroup: (ids) => {
          throw new Error(`user: unknown user ${ids.user}`);
        },
      }),
    new PlanError('workload "w": user: unknown user nobody9'),
  );
});

Deno.test("planToYaml prints what GET /v1/plan?format=yaml returns in Pebble", () => {
  assert.equal(planToYaml(newPlan()), "{}\n");
  assert.equal(planToYaml(buildPlan([])), "{}\n");
  // From Pebble's api_plan_test.go.
  assert.equal(
    planToYaml(plan(`
summary: this is a summary
description: this is a description
services:
    static:
        override: replace
        command: echo static
`)),
    "services:\n    static:\n        override: replace\n        command: echo static\n",
  );
  // From Pebble's TestSectionOrder: sections in a fixed order, defaults hidden
  // except the threshold, log target fields always printed.
  assert.equal(
    planToYaml(plan(`
checks:
    chk1:
        override: replace
        exec:
            command: ping 8.8.8.8
log-targets:
    lt1:
        override: replace
        type: loki
        location: http://192.168.1.2:3100/loki/api/v1/push
services:
    srv1:
        override: replace
        command: cmd
`)),
    `services:
    srv1:
        override: replace
        command: cmd
checks:
    chk1:
        override: replace
        threshold: 3
        exec:
            command: ping 8.8.8.8
log-targets:
    lt1:
        type: loki
        location: http://192.168.1.2:3100/loki/api/v1/push
        services: []
        override: replace
`,
  );
});

Deno.test("planToYaml sorts names as Go does and prints every section", () => {
  const p = plan(
    `
services:
  srv10: {override: replace, command: x}
  srv2: {override: replace, command: x, kill-delay: 1m30s, backoff-factor: 1e6}
  Srv1: {override: replace, command: x}
checks:
  up: {override: replace, period: 100ms, timeout: 2s, http: {url: "http://x", headers: {B: "1", A: "2"}}}
workloads:
  w1: {override: replace, user-id: 5}
pairing: {mode: single}
`,
    'services: {srv2: {override: merge, description: "line 1\\nline 2\\n"}}',
  );
  assert.equal(
    planToYaml(p),
    `services:
    Srv1:
        override: replace
        command: x
    srv2:
        description: |
            line 1
            line 2
        override: replace
        command: x
        backoff-factor: 1e+06
        kill-delay: 1m30s
    srv10:
        override: replace
        command: x
checks:
    up:
        override: replace
        period: 100ms
        timeout: 100ms
        threshold: 3
        http:
            url: http://x
            headers:
                A: "2"
                B: "1"
workloads:
    w1:
        override: replace
        user-id: 5
pairing:
    mode: single
`,
  );
  const obj = planToObject(p);
  assert.deepEqual(Object.keys(obj), ["services", "checks", "workloads", "pairing"]);
  assert.deepEqual(Object.keys(obj.services as object), ["Srv1", "srv2", "srv10"]);
});

const ORDER_PLAN = `
services:
  srv1:
    override: replace
    command: cmd
    after: [srv2, srv4]
    before: [srv3, srv5]
    requires: [srv2, srv3]
  srv2: {override: replace, command: cmd, before: [srv3]}
  srv3: {override: replace, command: cmd}
  srv4: {override: replace, command: cmd}
  srv5: {override: replace, command: cmd}
`;

Deno.test("startOrder and stopOrder follow Pebble's plan tests", () => {
  const p = plan(ORDER_PLAN);
  assert.deepEqual(startOrder(p, ["srv1"]), ["srv2", "srv1", "srv3"]);
  assert.deepEqual(startOrder(p, ["srv2"]), ["srv2"]);
  assert.deepEqual(startOrder(p, ["srv3"]), ["srv3"]);
  assert.deepEqual(stopOrder(p, ["srv1"]), ["srv1"]);
  assert.deepEqual(stopOrder(p, ["srv2"]), ["srv1", "srv2"]);
  assert.deepEqual(stopOrder(p, ["srv3"]), ["srv3", "srv1"]);
  assert.deepEqual(startLanes(p, ["srv1"]), [["srv2", "srv1", "srv3"]]);
  assert.deepEqual(stopLanes(p, ["srv3"]), [["srv3", "srv1"]]);
});

Deno.test("lanes: services linked by requires share a lane", () => {
  const single = plan(`
services:
  srv1: {override: replace, command: cmd, requires: [srv2], before: [srv2]}
  srv2: {override: replace, command: cmd, requires: [srv3], before: [srv3]}
  srv3: {override: replace, command: cmd}
`);
  assert.deepEqual(startLanes(single, ["srv1", "srv2", "srv3"]), [["srv1", "srv2", "srv3"]]);
  assert.deepEqual(stopLanes(single, ["srv1", "srv2", "srv3"]), [["srv3", "srv2", "srv1"]]);

  const multiple = plan(`
services:
  srv1: {override: replace, command: cmd}
  srv2: {override: replace, command: cmd}
  srv3: {override: replace, command: cmd}
`);
  assert.deepEqual(startLanes(multiple, ["srv1", "srv2", "srv3"]), [["srv1"], ["srv2"], ["srv3"]]);
  assert.deepEqual(stopLanes(multiple, ["srv3", "srv2", "srv1"]), [["srv1"], ["srv2"], ["srv3"]]);

  const mixed = plan(`
services:
  srv1: {override: replace, command: cmd}
  srv2: {override: replace, command: cmd}
  srv3: {override: replace, command: cmd}
  srv4: {override: replace, command: cmd, requires: [srv1], after: [srv1]}
`);
  const all = ["srv1", "srv2", "srv3", "srv4"];
  assert.deepEqual(startLanes(mixed, all), [["srv1", "srv4"], ["srv2"], ["srv3"]]);
  assert.deepEqual(stopLanes(mixed, all), [["srv4", "srv1"], ["srv2"], ["srv3"]]);
  assert.deepEqual(startOrder(mixed, ["srv4"]), ["srv1", "srv4"]);
  assert.deepEqual(stopOrder(mixed, ["srv1"]), ["srv4", "srv1"]);
});

Deno.test("lanes match Pebble for a plan where a lane ends up empty", () => {
  // Checked against Pebble: lane 0 is empty (Go returns a nil slice there).
  const p = plan(`
services:
  s: {override: replace, command: x, after: [t], before: [u]}
  t: {override: replace, command: x, before: [u]}
  u: {override: replace, command: x, requires: [s, t]}
  v: {override: replace, command: x}
`);
  const all = ["s", "t", "u", "v"];
  assert.deepEqual(startLanes(p, all), [[], ["t", "s", "u"], ["v"]]);
  assert.deepEqual(stopLanes(p, all), [["u", "s", "t"], ["v"]]);
  assert.deepEqual(startOrder(p, all), ["t", "s", "u", "v"]);
});

Deno.test("startOrder and stopOrder report unknown services and loops", () => {
  const p = plan(ORDER_PLAN);
  assert.throws(() => startOrder(p, ["nope"]), new PlanError('service "nope" does not exist'));
  assert.throws(() => stopOrder(p, ["nope"]), new PlanError('service "nope" does not exist'));
  assert.throws(() => startLanes(p, ["nope"]), new PlanError('service "nope" does not exist'));
  // A loop in a hand-built plan (buildPlan would reject it).
  const looped: Plan = structuredClone(p);
  looped.services.srv3.before = ["srv2"];
  looped.services.srv2.before = ["srv3"];
  assert.throws(
    () => startOrder(looped, ["srv2", "srv3"]),
    new PlanError("services in before/after loop: srv2, srv3"),
  );
  // Stopping srv2 and srv3 also stops srv1, which requires them.
  assert.throws(
    () => stopOrder(looped, ["srv2", "srv3"]),
    new PlanError("services in before/after loop: srv1, srv2, srv3"),
  );
  // Only services taking part are ordered: the loop is not reached from srv4.
  assert.deepEqual(startOrder(looped, ["srv4"]), ["srv4"]);
});

Deno.test("startOrder is deterministic", () => {
  const text = "services:\n" +
    Array.from({ length: 30 }, (_, i) => `  s${i}: {override: replace, command: x}\n`).join("");
  const p = plan(text);
  const names = Object.keys(p.services).reverse();
  const first = startOrder(p, names);
  for (let i = 0; i < 5; i++) assert.deepEqual(startOrder(p, names), first);
  assert.equal(first.length, 30);
});

Deno.test("tarjanSort finds strongly connected components", () => {
  const graph = new Map<string, string[]>([
    ["a", ["b"]],
    ["b", ["c"]],
    ["c", ["a"]],
    ["d", ["c", "e"]],
    ["e", []],
    ["f", ["f"]],
  ]);
  assert.deepEqual(tarjanSort(graph), [["a", "b", "c"], ["e"], ["d"], ["f"]]);
});
