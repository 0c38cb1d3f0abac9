// Access decisions with identities: each access level against endpoints of each level,
// over the unix socket (as root, which is also the daemon's user when tests run as root,
// and as nobody) and over --http with and without HTTP Basic credentials.

import { tempDir } from "./_tmp.ts";
import assert from "node:assert/strict";
import { curlAsNobody, IS_ROOT, rawRequest, startDaemon } from "./_helpers.ts";

/** One endpoint per declared level. */
const ENDPOINTS = {
  open: "/v1/system-info",
  user: "/v1/changes?select=all",
  admin: "/v1/plan?format=yaml",
  metrics: "/v1/metrics",
} as const;
type Level = keyof typeof ENDPOINTS;

/** Which endpoint levels each identity access level may use over the unix socket. */
const ALLOWED: Record<string, Level[]> = {
  admin: ["open", "user", "admin", "metrics"],
  read: ["open", "user", "metrics"],
  metrics: ["open", "metrics"],
  untrusted: ["open"],
};

function hash(password: string): string {
  const out = new Deno.Command("openssl", { args: ["passwd", "-6", password], stdout: "piped" })
    .outputSync();
  return new TextDecoder().decode(out.stdout).trim();
}

function basic(user: string, password: string): Record<string, string> {
  return { authorization: `Basic ${btoa(`${user}:${password}`)}` };
}

async function statuses(
  get: (path: string) => Promise<number>,
): Promise<Record<Level, number>> {
  const out = {} as Record<Level, number>;
  for (const [level, path] of Object.entries(ENDPOINTS)) out[level as Level] = await get(path);
  return out;
}

function expected(access: string): Record<Level, number> {
  const out = {} as Record<Level, number>;
  for (const level of Object.keys(ENDPOINTS) as Level[]) {
    out[level] = ALLOWED[access].includes(level) ? 200 : 401;
  }
  return out;
}

async function replace(
  socket: string,
  identities: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<void> {
  const r = await rawRequest(
    socket,
    "POST",
    "/v1/identities",
    JSON.stringify({ action: "replace", identities }),
    headers,
  );
  assert.equal(r.status, 200, r.text);
}

Deno.test("identities access: local identities over the socket set the caller's level", async () => {
  const d = await startDaemon();
  try {
    const asRoot = (path: string) => rawRequest(d.socket, "GET", path).then((r) => r.status);
    // No identities: root (the daemon's user here, or the daemon's own UID) is admin.
    assert.deepEqual(await statuses(asRoot), expected("admin"));
    for (const access of ["read", "metrics", "untrusted", "admin"]) {
      // Keep an admin for the next round: a basic identity (root's UID maps to `me`).
      await replace(d.socket, {
        me: { access, local: { "user-id": Deno.uid() } },
        boss: { access: "admin", basic: { password: hash("pw") } },
      });
      assert.deepEqual(await statuses(asRoot), expected(access), `local ${access}`);
      const asBoss = (path: string) =>
        rawRequest(d.socket, "GET", path, undefined, basic("boss", "pw")).then((r) => r.status);
      assert.deepEqual(await statuses(asBoss), expected("admin"));
      // Wrong credentials: no identity matches, so the caller falls back to the default
      // for its UID (admin here), as in Pebble.
      const wrong = (path: string) =>
        rawRequest(d.socket, "GET", path, undefined, basic("boss", "nope")).then((r) => r.status);
      assert.deepEqual(await statuses(wrong), expected("admin"));
      // Basic credentials win over the UID.
      if (access !== "admin") {
        await replace(d.socket, {
          me: null,
          boss: null,
          root: { access: "admin", local: { "user-id": Deno.uid() } },
          mon: { access: "metrics", basic: { password: hash("m") } },
        }, basic("boss", "pw"));
        const asMon = (path: string) =>
          rawRequest(d.socket, "GET", path, undefined, basic("mon", "m")).then((r) => r.status);
        assert.deepEqual(await statuses(asMon), expected("metrics"));
        await replace(d.socket, { root: null, mon: null });
      }
    }
    // Pebble's 401 body.
    await replace(d.socket, { me: { access: "untrusted", local: { "user-id": Deno.uid() } } });
    const denied = await rawRequest(d.socket, "GET", "/v1/plan");
    assert.deepEqual(denied.json, {
      type: "error",
      "status-code": 401,
      status: "Unauthorized",
      result: { message: "access denied", kind: "login-required" },
    });
  } finally {
    await d.stop();
  }
});

Deno.test("identities access: --http serves metrics to metrics identities with Basic credentials", async () => {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const d = await startDaemon({ args: ["--http", `127.0.0.1:${port}`] });
  try {
    await replace(d.socket, {
      mon: { access: "metrics", basic: { password: hash("s3cret") } },
      boss: { access: "admin", basic: { password: hash("b") } },
      reader: { access: "read", basic: { password: hash("r") } },
    });
    const overHttp = (headers: Record<string, string>) => async (path: string) => {
      const res = await fetch(`http://127.0.0.1:${port}${path}`, { headers });
      await res.body?.cancel();
      return res.status;
    };
    const none = { open: 200, user: 401, admin: 401, metrics: 401 };
    assert.deepEqual(await statuses(overHttp({})), none);
    assert.deepEqual(await statuses(overHttp(basic("mon", "s3cret"))), {
      open: 200,
      user: 401,
      admin: 401,
      metrics: 200,
    });
    assert.deepEqual(await statuses(overHttp(basic("mon", "wrong"))), none);
    assert.deepEqual(await statuses(overHttp(basic("nobody", "s3cret"))), none);
    // Clear-text HTTP: only `metrics` identities, even admins are refused.
    assert.deepEqual(await statuses(overHttp(basic("boss", "b"))), none);
    assert.deepEqual(await statuses(overHttp(basic("reader", "r"))), none);
    const res = await fetch(`http://127.0.0.1:${port}/v1/metrics`, {
      headers: basic("mon", "s3cret"),
    });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), "");
  } finally {
    await d.stop();
  }
});

Deno.test({
  name: "identities access: another local user (nobody) by default and with identities",
  ignore: !IS_ROOT,
  fn: async () => {
    const dir = await tempDir({ prefix: "pebble-test-" });
    await Deno.chmod(dir, 0o755);
    const d = await startDaemon({ dir });
    try {
      const asNobody = (headers: string[] = []) => async (path: string) =>
        Number(
          await curlAsNobody(d.socket, "GET", path, {
            args: [...headers.flatMap((h) => ["-H", h]), "-o", "/dev/null", "-w", "%{http_code}"],
          }),
        );
      // No identities: any other local user may read.
      assert.deepEqual(await statuses(asNobody()), expected("read"));
      for (const access of ["admin", "read", "metrics", "untrusted"]) {
        await replace(d.socket, { nob: { access, local: { "user-id": 65534 } } });
        assert.deepEqual(await statuses(asNobody()), expected(access), `nobody as ${access}`);
      }
      // Identities for other UIDs leave nobody with the default.
      await replace(d.socket, {
        nob: null,
        other: { access: "untrusted", local: { "user-id": 4242 } },
        mon: { access: "metrics", basic: { password: hash("m") } },
      });
      assert.deepEqual(await statuses(asNobody()), expected("read"));
      const auth = `Authorization: Basic ${btoa("mon:m")}`;
      assert.deepEqual(await statuses(asNobody([auth])), expected("metrics"));
      // Root is still admin.
      const asRoot = (path: string) => rawRequest(d.socket, "GET", path).then((r) => r.status);
      assert.deepEqual(await statuses(asRoot), expected("admin"));
    } finally {
      await d.stop();
    }
  },
});
