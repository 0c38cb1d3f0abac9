import assert from "node:assert/strict";
import {
  appendLayer,
  buildPlan,
  combineLayer,
  LabelExistsError,
  type Layer,
  LayerError,
  LayerFileNameError,
  LayerInsertError,
  layersFromDirectoryListing,
  parseLayer,
  parseLayerFileName,
  PlanError,
  planToYaml,
} from "../plan/mod.ts";

function layer(label: string, text = ""): Layer {
  return parseLayer(text, { label });
}

Deno.test("appendLayer assigns orders as Pebble's plan manager does", () => {
  let layers: Layer[] = [];
  layers = appendLayer(
    layers,
    layer("label1", "services: {svc1: {override: replace, command: a}}"),
  );
  assert.equal(layers[0].order, 1000);
  layers = appendLayer(layers, layer("label2", "services: {svc1: {override: merge, command: b}}"));
  assert.equal(layers[1].order, 2000);
  layers = appendLayer(layers, layer("label3"));
  assert.deepEqual(layers.map((l) => [l.label, l.order]), [
    ["label1", 1000],
    ["label2", 2000],
    ["label3", 3000],
  ]);
  assert.equal(buildPlan(layers).services.svc1.command, "b");
});

Deno.test("appendLayer inserts into sub-directories only with inner", () => {
  let layers: Layer[] = [];
  for (
    const label of ["foo", "baz/aaa", "something", "baz/bbb", "else", "baz/ccc", "zzz/zzz", "final"]
  ) {
    layers = appendLayer(layers, layer(label), { inner: true });
  }
  assert.deepEqual(layers.map((l) => [l.label, l.order]), [
    ["foo", 1000],
    ["baz/aaa", 2001],
    ["baz/bbb", 2002],
    ["baz/ccc", 2003],
    ["something", 3000],
    ["else", 4000],
    ["zzz/zzz", 5001],
    ["final", 6000],
  ]);

  let plain = appendLayer([], layer("foo/bar"));
  plain = appendLayer(plain, layer("baz"));
  assert.throws(() => appendLayer(plain, layer("foo/baz")), LayerInsertError);
  assert.throws(
    () => appendLayer(plain, layer("foo/baz")),
    { message: "cannot insert sub-directory layer without 'inner' attribute set" },
  );
  // Appending to the last sub-directory needs no insert. (The very first
  // layer gets order 1000 even in a sub-directory, as in Pebble.)
  const last = appendLayer(plain, layer("baz/inner"));
  assert.deepEqual(last.map((l) => [l.label, l.order]), [
    ["foo/bar", 1000],
    ["baz", 2000],
    ["baz/inner", 2001],
  ]);
});

Deno.test("appendLayer rejects an existing label and invalid plans, changing nothing", () => {
  const one = layer("label1", "services: {svc1: {override: replace, command: a}}");
  const layers = appendLayer([], one);
  assert.throws(() => appendLayer(layers, layer("label1")), (err: unknown) => {
    assert.ok(err instanceof LabelExistsError);
    assert.equal(err.message, 'layer "label1" already exists');
    assert.equal(err.label, "label1");
    return true;
  });
  const snapshot = structuredClone(layers);
  assert.throws(
    () => appendLayer(layers, layer("label2", "services: {svc2: {override: replace}}")),
    new PlanError('plan must define "command" for service "svc2"'),
  );
  assert.deepEqual(layers, snapshot);
  // The input layer is not changed either: the stored copy gets the order.
  const added = layer("label3");
  const more = appendLayer(layers, added);
  assert.equal(added.order, 0);
  assert.equal(more[1].order, 2000);
  assert.notEqual(more[1], added);
});

Deno.test("combineLayer combines into the layer with the same label, or appends", () => {
  let layers = combineLayer(
    [],
    layer("label1", "services: {svc1: {override: replace, command: /bin/sh, after: [a]}}"),
  );
  assert.equal(layers[0].order, 1000);
  layers = combineLayer(
    layers,
    layer("label2", "services: {svc2: {override: replace, command: x}}"),
  );
  assert.equal(layers[1].order, 2000);
  layers = combineLayer(
    layers,
    layer("label1", "summary: s\nservices: {svc1: {override: merge, after: [b]}}"),
  );
  assert.equal(layers.length, 2);
  assert.equal(layers[0].label, "label1");
  assert.equal(layers[0].order, 1000);
  assert.equal(layers[0].summary, "s");
  assert.deepEqual(layers[0].services.svc1.after, ["a", "b"]);
  layers = combineLayer(layers, layer("label3"));
  assert.equal(layers[2].order, 3000);

  const snapshot = structuredClone(layers);
  assert.throws(
    () =>
      combineLayer(
        layers,
        layer("label2", "services: {svc2: {override: merge, requires: [ghost]}}"),
      ),
    new PlanError('service "ghost" does not exist'),
  );
  assert.deepEqual(layers, snapshot);
});

Deno.test("workloads cannot change once defined", () => {
  // Workloads come from the layers directory when the daemon starts.
  const base = [
    parseLayer("workloads: {workload1: {override: replace}}", { label: "base", order: 1000 }),
  ];
  buildPlan(base);
  const change = layer("workload2", "workloads: {workload2: {override: replace}}");
  const message = 'cannot change immutable section "workloads"';
  assert.throws(() => appendLayer(base, change), new PlanError(message));
  assert.throws(() => combineLayer(base, change), new PlanError(message));
  appendLayer(base, layer("workloads", "workloads: {}"));
  combineLayer(base, layer("workloads", "workloads: {}"));
  // Even a first workloads section cannot be added after the start.
  assert.throws(() => appendLayer([], change), new PlanError(message));
});

Deno.test("parseLayerFileName accepts Pebble's layer names only", () => {
  assert.deepEqual(parseLayerFileName("001-base.yaml"), { order: 1, label: "base", dir: false });
  assert.deepEqual(parseLayerFileName("123-some-label.yaml"), {
    order: 123,
    label: "some-label",
    dir: false,
  });
  assert.deepEqual(parseLayerFileName("002-extra.d"), { order: 2, label: "extra", dir: true });
  for (
    const bad of [
      "001-l.yaml",
      "01-label.yaml",
      "0001-label.yaml",
      "001-label-.yaml",
      "001--label.yaml",
      "001-label--label.yaml",
      "001-Label.yaml",
      "001-1abc.yaml",
      "001foo.yaml",
      "001-foo.yml",
      "001-foo_yaml",
    ]
  ) {
    assert.equal(parseLayerFileName(bad), null, bad);
  }
});

Deno.test("layersFromDirectoryListing orders and labels layers as Pebble does", () => {
  const content = (name: string) =>
    `services:\n  srv:\n    override: replace\n    command: ${name}\n`;
  const files = [
    "001-aaa.yaml",
    "010-bbb.yaml",
    "002-dir.d/100-foo.yaml",
    "002-dir.d/090-bar.yaml",
    "008-ccc.yaml",
    "900-overlay.d/002-something.yaml",
    "900-overlay.d/001-else.yaml",
    "003-plans.d/999-final.yaml",
    "009-baz.d/009-baz.yaml",
  ];
  const dirs = new Map<string, { name: string; content: string }[]>();
  const entries: ({ name: string; content: string } | { name: string; entries: never[] })[] = [];
  for (const file of files) {
    const [dir, name] = file.includes("/") ? file.split("/") : [undefined, file];
    if (dir) {
      if (!dirs.has(dir)) dirs.set(dir, []);
      dirs.get(dir)!.push({ name: name!, content: content(file) });
    } else {
      entries.push({ name: file, content: content(file) });
    }
  }
  const listing = [
    ...entries,
    ...[...dirs].map(([name, entries]) => ({ name, entries })),
    { name: "README.md", content: "not a layer" },
    { name: "notes.txt", content: "ignored" },
  ];
  const layers = layersFromDirectoryListing(listing);
  assert.deepEqual(layers.map((l) => l.order), [
    1000,
    2090,
    2100,
    3999,
    8000,
    9009,
    10000,
    900001,
    900002,
  ]);
  assert.deepEqual(layers.map((l) => l.label), [
    "aaa",
    "dir/bar",
    "dir/foo",
    "plans/final",
    "ccc",
    "baz/baz",
    "bbb",
    "overlay/else",
    "overlay/something",
  ]);
  const sorted = [...files].sort();
  layers.forEach((l, i) => assert.equal(l.services.srv.command, sorted[i]));
});

Deno.test("layersFromDirectoryListing rejects bad and duplicate names with Pebble's messages", () => {
  const rejects = (listing: Parameters<typeof layersFromDirectoryListing>[0], message: string) =>
    assert.throws(() => layersFromDirectoryListing(listing), (err: unknown) => {
      assert.ok(err instanceof LayerFileNameError);
      assert.equal(err.message, message);
      return true;
    });
  for (
    const name of [
      "001-l.yaml",
      "01-label.yaml",
      "0001-label.yaml",
      "001-label-.yaml",
      "001--label.yaml",
      "001-label--label.yaml",
    ]
  ) {
    rejects(
      [{ name, content: "<ignore>" }],
      `invalid layer filename: "${name}" (must look like "123-some-label.yaml")`,
    );
  }
  rejects(
    [{ name: "001-bar.yaml", content: "" }, { name: "001-foo.yaml", content: "" }],
    'invalid layer filename: "001-foo.yaml" not unique (have "001-bar.yaml" already)',
  );
  rejects(
    [{ name: "002-foo.yaml", content: "" }, { name: "001-foo.yaml", content: "" }],
    'invalid layer filename: "002-foo.yaml" not unique (have "001-foo.yaml" already)',
  );
  rejects(
    [{ name: "001foo.d", entries: [{ name: "001-bar.yaml", content: "" }] }],
    'invalid layer sub-directory name: "001foo.d" (must look like "123-some-label.d")',
  );
  rejects(
    [{ name: "001-foo.d", entries: [{ name: "001foo.yaml", content: "" }] }],
    'invalid layer filename: "001foo.yaml" (must look like "123-some-label.yaml")',
  );
  rejects(
    [{
      name: "002-dir.d",
      entries: [{ name: "001-foo.yaml", content: "" }, { name: "001-bar.yaml", content: "" }],
    }],
    'invalid layer filename: "001-foo.yaml" not unique (have "001-bar.yaml" already)',
  );
  rejects(
    [{ name: "002-dir.d", entries: [{ name: "001-sub.d", entries: [] }] }],
    "cannot have a layers sub-directory at this level",
  );
  assert.throws(
    () => layersFromDirectoryListing([{ name: "001-base.yaml", content: "services: [" }]),
    (err: unknown) => err instanceof LayerError && err.label === "base",
  );
});

Deno.test("a daemon-like sequence: directory, then API layers, then the plan", () => {
  let layers = layersFromDirectoryListing([
    {
      name: "001-base.yaml",
      content: "services: {static: {override: replace, command: echo static}}",
    },
  ]);
  layers = appendLayer(
    layers,
    parseLayer("services:\n dynamic:\n  override: replace\n  command: echo dynamic\n", {
      label: "foo",
    }),
  );
  assert.deepEqual(layers.map((l) => [l.label, l.order]), [["base", 1000], ["foo", 2000]]);
  assert.equal(
    planToYaml(buildPlan(layers)),
    `services:
    dynamic:
        override: replace
        command: echo dynamic
    static:
        override: replace
        command: echo static
`,
  );
});
