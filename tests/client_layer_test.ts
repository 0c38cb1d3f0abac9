import assert from "node:assert/strict";
import { Client, Layer, Plan } from "../mod.ts";
import { FakePebble, sync } from "./client_fake_server.ts";

Deno.test("Layer reads YAML text and objects into the same typed layer", () => {
  const yaml = [
    "summary: web layer",
    "services:",
    "  web:",
    "    override: replace",
    "    command: python3 -m http.server 8080",
    "    kill-delay: 90s",
    "    environment: {PORT: '8080'}",
    "checks:",
    "  up:",
    "    override: replace",
    "    http: {url: 'http://localhost:8080/'}",
    "log-targets:",
    "  loki:",
    "    override: replace",
    "    type: loki",
    "    location: http://loki:3100/loki/api/v1/push",
    "    services: [all]",
    "",
  ].join("\n");
  const fromText = new Layer(yaml);
  assert.equal(fromText.summary, "web layer");
  assert.equal(fromText.description, "");
  assert.equal(fromText.services.web.command, "python3 -m http.server 8080");
  assert.equal(fromText.services.web["kill-delay"], "1m30s");
  assert.deepEqual(fromText.services.web.environment, { PORT: "8080" });
  assert.equal(fromText.checks.up.http?.url, "http://localhost:8080/");
  assert.deepEqual(fromText.logTargets.loki.services, ["all"]);

  const fromObject = new Layer(fromText.toObject());
  assert.deepEqual(fromObject.toObject(), fromText.toObject());
  assert.equal(fromObject.toYaml(), fromText.toYaml());
  assert.deepEqual(JSON.parse(JSON.stringify(fromText)), fromText.toObject());
  assert.equal(String(fromText), fromText.toYaml());
  assert.deepEqual(new Layer().toObject(), {});
});

Deno.test("an invalid layer throws LayerError naming the label and field", () => {
  assert.throws(
    () => new Layer({ services: { srv: { command: "x" } } }, { label: "mine" }),
    (err: unknown) => {
      assert.ok(err instanceof Error);
      assert.equal(err.name, "LayerError");
      assert.match(err.message, /mine/);
      assert.match(err.message, /override/);
      return true;
    },
  );
  assert.throws(() => new Layer("services: ["), { name: "LayerError" });
});

Deno.test("addLayer serialises Layer and object layers to YAML", async () => {
  await using fake = await FakePebble.start();
  fake.on("POST", "/v1/layers", sync(true));
  using client = new Client({ socketPath: fake.socketPath });
  const obj = { services: { srv: { override: "replace" as const, command: "sleep 10" } } };
  await client.addLayer("a", new Layer(obj));
  await client.addLayer("b", obj, { combine: true });
  const bodies = fake.jsonBodies() as Record<string, unknown>[];
  assert.equal(bodies[0].label, "a");
  assert.equal(bodies[1].combine, true);
  for (const body of bodies) {
    assert.equal(body.format, "yaml");
    assert.deepEqual(new Layer(body.layer as string).toObject(), obj);
  }
  // An invalid object layer fails before anything is sent.
  await assert.rejects(
    () => client.addLayer("c", { services: { srv: { command: "x" } } }),
    { name: "LayerError" },
  );
  assert.equal(fake.requests.length, 2);
});

Deno.test("getPlan parses the daemon's plan", async () => {
  await using fake = await FakePebble.start();
  const text = [
    "services:",
    "    srv:",
    "        override: replace",
    "        command: sleep 10",
    "        startup: enabled",
    "",
  ].join("\n");
  fake.on("GET", "/v1/plan", sync(text));
  using client = new Client({ socketPath: fake.socketPath });
  const plan = await client.getPlan();
  assert.ok(plan instanceof Plan);
  assert.deepEqual(Object.keys(plan.services), ["srv"]);
  assert.equal(plan.services.srv.startup, "enabled");
  assert.deepEqual(plan.checks, {});
  assert.deepEqual(plan.logTargets, {});
  assert.deepEqual(plan.toObject(), {
    services: { srv: { override: "replace", command: "sleep 10", startup: "enabled" } },
  });
  assert.equal(new Plan(plan.toYaml()).toYaml(), plan.toYaml());
  assert.equal(new Plan().toYaml(), "{}\n");
});
