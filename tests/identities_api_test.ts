// /v1/identities over the API, the client and the CLI: Pebble's validation messages,
// all-or-nothing changes, masking, persistence across a restart, `run --identities`.

import { tempDir } from "./_tmp.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { APIError } from "../mod.ts";
import { rawRequest, runCli, startDaemon } from "./_helpers.ts";

const HASH = new TextDecoder().decode(
  new Deno.Command("openssl", { args: ["passwd", "-6", "pw"], stdout: "piped" }).outputSync()
    .stdout,
).trim();

async function post(socket: string, body: unknown) {
  return await rawRequest(socket, "POST", "/v1/identities", JSON.stringify(body));
}

Deno.test("identities api: Pebble's validation messages, and nothing changes on error", async () => {
  const d = await startDaemon();
  try {
    const cases: [unknown, string][] = [
      [
        { action: "add", identities: { "1bad": { access: "admin", local: { "user-id": 1 } } } },
        `invalid identity for "1bad": identity name "" invalid: must start with an alphabetic character and only contain alphanumeric characters, underscore, and hyphen`,
      ],
      [
        { action: "add", identities: { a: { access: "admin" } } },
        `invalid identity for "a": identity must have at least one type ("local", "basic", or "cert")`,
      ],
      [
        { action: "add", identities: { a: { access: "bogus", local: { "user-id": 1 } } } },
        `invalid identity for "a": invalid access value "bogus", must be "admin", "read", "metrics", or "untrusted"`,
      ],
      [
        { action: "add", identities: { a: { local: { "user-id": 1 } } } },
        `invalid identity for "a": access value must be specified ("admin", "read", "metrics", or "untrusted")`,
      ],
      [
        { action: "add", identities: { a: { access: "admin", local: {} } } },
        `invalid identity for "a": local identity must specify user-id`,
      ],
      [
        { action: "add", identities: { a: { access: "admin", local: { "user-id": -1 } } } },
        "cannot decode request body: json: cannot unmarshal number -1 into Go struct field apiLocalIdentity.identities.local.user-id of type uint32",
      ],
      [
        { action: "add", identities: { a: { access: "admin", basic: { password: "" } } } },
        `invalid identity for "a": basic identity must specify password (hashed)`,
      ],
      [
        { action: "add", identities: { a: { access: "admin", cert: { pem: "xx" } } } },
        `invalid identity for "a": cert identity must include a PEM-encoded certificate`,
      ],
      [
        { action: "add", identities: { a: null } },
        `identity value for "a" must not be null for add operation`,
      ],
      [
        { action: "update", identities: { a: null } },
        `identity value for "a" must not be null for update operation`,
      ],
      [
        { action: "remove", identities: { a: { access: "admin", local: { "user-id": 1 } } } },
        `identity value for "a" must be null for remove operation`,
      ],
      [
        { action: "foo", identities: {} },
        `invalid action "foo", must be "add", "update", "replace", or "remove"`,
      ],
      [
        {
          action: "add",
          identities: {
            a: { access: "admin", local: { "user-id": 7 } },
            b: { access: "read", local: { "user-id": 7 } },
          },
        },
        "cannot have multiple identities with user ID 7 (a, b)",
      ],
      [
        { action: "update", identities: { x: { access: "admin", local: { "user-id": 1 } } } },
        "identities do not exist: x",
      ],
      [{ action: "remove", identities: { y: null, x: null } }, "identities do not exist: x, y"],
    ];
    for (const [body, message] of cases) {
      const r = await post(d.socket, body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal((r.json.result as { message: string }).message, message);
    }
    assert.deepEqual(await d.client.getIdentities(), {});

    // One bad identity among good ones: nothing is added.
    const mixed = await post(d.socket, {
      action: "add",
      identities: {
        good: { access: "admin", local: { "user-id": 1000 } },
        bad: { access: "nope", local: { "user-id": 1001 } },
      },
    });
    assert.equal(mixed.status, 400);
    assert.deepEqual(await d.client.getIdentities(), {});

    await d.client.addIdentities({
      alice: { access: "admin", local: { userId: 1000 } },
      prom: { access: "metrics", basic: { password: HASH } },
    });
    const exists = await post(d.socket, {
      action: "add",
      identities: {
        alice: { access: "admin", local: { "user-id": 1000 } },
        carol: { access: "read", local: { "user-id": 1002 } },
      },
    });
    assert.equal(
      (exists.json.result as { message: string }).message,
      "identities already exist: alice",
    );
    // A replace that would give two identities one UID changes nothing either.
    await assert.rejects(
      d.client.replaceIdentities({ bob: { access: "read", local: { userId: 1000 } }, prom: null }),
      (e: unknown) =>
        e instanceof APIError &&
        e.message === "cannot have multiple identities with user ID 1000 (alice, bob)",
    );
    const list = await rawRequest(d.socket, "GET", "/v1/identities");
    assert.deepEqual(list.json.result, {
      alice: { access: "admin", local: { "user-id": 1000 } },
      prom: { access: "metrics", basic: { password: "*****" } },
    });
    assert.doesNotMatch(list.text, /\$6\$/);
  } finally {
    await d.stop();
  }
});

Deno.test("identities api: identities survive a restart; client replace/remove", async () => {
  const d = await startDaemon();
  try {
    await d.client.replaceIdentities({
      alice: { access: "admin", local: { userId: 1000 } },
      prom: { access: "metrics", basic: { password: HASH } },
      gone: { access: "read", local: { userId: 5 } },
    });
    await d.client.removeIdentities(["gone"]);
    await d.client.updateIdentities({ alice: { access: "read", local: { userId: 1001 } } });
  } finally {
    assert.equal(await d.stop(), 0);
  }
  const again = await startDaemon({ dir: d.dir });
  try {
    assert.deepEqual(await again.client.getIdentities(), {
      alice: { access: "read", local: { userId: 1001 } },
      prom: { access: "metrics", basic: { password: "*****" } },
    });
    // The stored hash still verifies after the restart.
    const r = await rawRequest(again.socket, "GET", "/v1/metrics", undefined, {
      authorization: `Basic ${btoa("prom:pw")}`,
    });
    assert.equal(r.status, 200);
  } finally {
    await again.stop();
  }
});

Deno.test("identities api: cert identities are validated and stored (PEM shown masked)", async () => {
  const dir = await tempDir();
  const key = join(dir, "key.pem");
  const cert = join(dir, "cert.pem");
  const made = await new Deno.Command("openssl", {
    args: ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
      .concat(["-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=client"]),
    stdout: "null",
    stderr: "null",
  }).output();
  assert.equal(made.code, 0);
  const pem = await Deno.readTextFile(cert);
  const d = await startDaemon();
  try {
    const extra = await post(d.socket, {
      action: "add",
      identities: { c: { access: "read", cert: { pem: pem + "junk" } } },
    });
    assert.equal(
      (extra.json.result as { message: string }).message,
      `invalid identity for "c": cert identity cannot have extra data after the PEM block`,
    );
    const broken = pem.replace(/\n([A-Za-z0-9+/]{10})/, "\nAAAAAAAAAA");
    const bad = await post(d.socket, {
      action: "add",
      identities: { c: { access: "read", cert: { pem: broken } } },
    });
    assert.match(
      (bad.json.result as { message: string }).message,
      /^invalid identity for "c": cannot parse certificate from cert identity: /,
    );
    await d.client.addIdentities({ c: { access: "read", cert: { pem } } });
    assert.deepEqual(await d.client.getIdentities(), {
      c: { access: "read", cert: { pem: "*****" } },
    });
  } finally {
    await d.stop();
  }
});

Deno.test("identities api: run --identities seeds them; a bad file refuses to start", async () => {
  const dir = await tempDir({ prefix: "pebble-test-" });
  const file = join(dir, "ids.yaml");
  await Deno.writeTextFile(
    file,
    `identities:\n  bob:\n    access: admin\n    local:\n      user-id: 42\n  prom:\n    access: metrics\n    basic:\n      password: ${HASH}\n`,
  );
  const d = await startDaemon({ dir, args: ["--identities", file] });
  try {
    assert.deepEqual(await d.client.getIdentities(), {
      bob: { access: "admin", local: { userId: 42 } },
      prom: { access: "metrics", basic: { password: "*****" } },
    });
  } finally {
    await d.stop();
  }
  await Deno.writeTextFile(
    file,
    `identities:\n  bob:\n    access: sudo\n    local:\n      user-id: 42\n`,
  );
  const bad = await startDaemon({ dir, args: ["--identities", file], expectExit: true });
  assert.equal(await bad.stop(), 1);
  assert.match(
    bad.output(),
    /cannot run daemon: cannot replace identities: invalid identity for "bob": invalid access value "sudo"/,
  );
  const missing = await startDaemon({
    dir,
    args: ["--identities", join(dir, "nope.yaml")],
    expectExit: true,
  });
  assert.equal(await missing.stop(), 1);
  assert.match(
    missing.output(),
    /cannot run daemon: cannot read identities: open .*nope.yaml: no such file or directory/,
  );
});

Deno.test("identities cli: identities, identity, add/update/remove-identities", async () => {
  const d = await startDaemon();
  const file = (name: string, text: string) => {
    const p = join(d.dir, name);
    Deno.writeTextFileSync(p, text);
    return p;
  };
  try {
    const env = d.env;
    let r = await runCli(["identities"], env);
    assert.equal(r.stderr, "No identities.\n");
    r = await runCli(["add-identities"], env);
    assert.equal(r.stderr, "error: the required flag `--from' was not specified\n");
    r = await runCli(["add-identities", "--from", file("e.yaml", "identities: {}\n")], env);
    assert.equal(
      r.stderr,
      `error: no identities to add; did you forget the top-level "identities" key?\n`,
    );
    const good = file(
      "g.yaml",
      `identities:\n  bob:\n    access: admin\n    local:\n      user-id: 42\n  al:\n    access: metrics\n    basic:\n      password: ${HASH}\n`,
    );
    r = await runCli(["add-identities", "--from", good], env);
    assert.equal(r.stdout, "Added 2 new identities.\n");
    r = await runCli(["identities"], env);
    assert.equal(r.stdout, "Name  Access   Types\nal    metrics  basic\nbob   admin    local\n");
    r = await runCli(["identities", "--format", "yaml"], env);
    assert.equal(
      r.stdout,
      "identities:\n    al:\n        access: metrics\n        basic:\n            password: '*****'\n    bob:\n        access: admin\n        local:\n            user-id: 42\n",
    );
    r = await runCli(["identities", "--format", "json"], env);
    assert.equal(
      r.stdout,
      `{"identities":{"al":{"access":"metrics","basic":{"password":"*****"}},"bob":{"access":"admin","local":{"user-id":42}}}}\n`,
    );
    r = await runCli(["identity", "bob"], env);
    assert.equal(r.stdout, "access: admin\nlocal:\n    user-id: 42\n");
    r = await runCli(["identity", "al", "--format", "json"], env);
    assert.equal(r.stdout, `{"access":"metrics","basic":{"password":"*****"}}\n`);
    r = await runCli(["identity", "nope"], env);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `error: cannot find identity "nope"\n`);
    r = await runCli(["remove-identities", "--from", good], env);
    assert.equal(r.stderr, `error: identity value for "bob" must be null for remove operation\n`);
    r = await runCli(["update-identities", "--from", good], env);
    assert.equal(r.stdout, "Updated 2 identities.\n");
    const removeBob = file("r.yaml", "identities:\n  bob: null\n");
    r = await runCli(["update-identities", "--replace", "--from", removeBob], env);
    assert.equal(r.stdout, "Replaced 1 identity.\n");
    r = await runCli(["remove-identities", "--from", removeBob], env);
    assert.equal(r.stderr, "error: identities do not exist: bob\n");
    r = await runCli(
      ["remove-identities", "--from", file("r2.yaml", "identities:\n  al: null\n")],
      env,
    );
    assert.equal(r.stdout, "Removed 1 identity.\n");
    r = await runCli(["identities", "--format", "json"], env);
    assert.equal(r.stdout, `{"identities":{}}\n`);
  } finally {
    await d.stop();
  }
});
