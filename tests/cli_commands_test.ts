// The CLI commands end to end against a fake daemon (node:http on a temporary unix
// socket), run in-process with captured output; plus help output and the program itself.

import { tempDir } from "./_tmp.ts";
import assert from "node:assert/strict";
import http from "node:http";
import { runCli } from "../client/cli/_main.ts";
import { commandHelp } from "../client/cli/_help.ts";
import { changes } from "../client/cli/cmd_changes.ts";
import { run } from "../client/cli/cmd_run.ts";

type Handler = (url: URL, method: string, body: string) => { status?: number; body: unknown };

interface Fake {
  dir: string;
  socket: string;
  requests: { method: string; url: URL; body: string }[];
  close(): Promise<void>;
}

async function startFake(handler: Handler): Promise<Fake> {
  const dir = await tempDir({ prefix: "pebble-cli-test-" });
  const socket = `${dir}/.pebble.socket`;
  const requests: Fake["requests"] = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d) => body += d);
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://localhost");
      requests.push({ method: req.method ?? "", url, body });
      const out = handler(url, req.method ?? "", body);
      res.writeHead(out.status ?? 200, { "Content-Type": "application/json" });
      res.end(JSON.stringify(out.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  return {
    dir,
    socket,
    requests,
    async close() {
      await new Promise((resolve) => server.close(resolve));
      await Deno.remove(dir, { recursive: true });
    },
  };
}

function sync(result: unknown, extra: Record<string, unknown> = {}) {
  return { body: { type: "sync", "status-code": 200, status: "OK", result, ...extra } };
}

async function cli(args: string[], env: Record<string, string> = {}) {
  let stdout = "";
  let stderr = "";
  const code = await runCli(args, {
    io: { stdout: (t) => stdout += t, stderr: (t) => stderr += t },
    env: (name) => env[name],
    version: "v1.2.3",
  });
  return { code, stdout, stderr };
}

const CHANGES = [
  {
    id: "2",
    kind: "start",
    summary: 'Start service "srv"',
    status: "Done",
    ready: true,
    "spawn-time": "2016-04-21T01:02:03Z",
    "ready-time": "2016-04-21T01:02:04Z",
    tasks: [],
  },
  {
    id: "1",
    kind: "replan",
    summary: "Replan",
    status: "Do",
    ready: false,
    "spawn-time": "2015-02-21T01:02:03Z",
    tasks: [],
  },
];

const WARNINGS = [
  {
    id: "1",
    type: "warning",
    key: "hello world number one",
    "first-occurred": "2018-09-19T12:41:18.505007495Z",
    "last-occurred": "2018-09-19T12:41:18.505007495Z",
    "last-repeated": "2018-09-19T12:44:50.680362867Z",
    "expire-after": "672h0m0s",
    "repeat-after": "24h0m0s",
    occurrences: 1,
  },
];

function fakeDaemon(url: URL, method: string) {
  switch (url.pathname) {
    case "/v1/system-info":
      return sync({ version: "7.89", "boot-id": "x" });
    case "/v1/plan":
      return sync("services:\n    srv:\n        override: replace\n        command: sleep 1\n");
    case "/v1/layers":
      return method === "POST" ? sync(true) : { status: 405, body: {} };
    case "/v1/changes":
      if (url.searchParams.get("for") === "nothing") return sync([]);
      return sync(CHANGES);
    case "/v1/changes/2":
      return sync({
        ...CHANGES[0],
        tasks: [{
          id: "9",
          kind: "start",
          summary: 'Start service "srv"',
          status: "Done",
          progress: { label: "", done: 1, total: 1 },
          "spawn-time": "2016-04-21T01:02:03Z",
          "ready-time": "2016-04-21T01:02:04Z",
          log: ["2016-04-21T01:02:03Z INFO started"],
        }],
      });
    case "/v1/notices": {
      const after = url.searchParams.get("after");
      return sync(after ? WARNINGS.filter((w) => w["last-repeated"] > after) : WARNINGS);
    }
    default:
      return {
        status: 404,
        body: {
          type: "error",
          "status-code": 404,
          status: "Not Found",
          result: { message: `cannot find change with id "${url.pathname.slice(12)}"` },
        },
      };
  }
}

Deno.test("version --client, and version against the daemon", async () => {
  assert.deepEqual(await cli(["version", "--client"]), {
    code: 0,
    stdout: "v1.2.3\n",
    stderr: "",
  });
  assert.deepEqual(await cli(["--version"]), { code: 0, stdout: "v1.2.3\n", stderr: "" });
  const fake = await startFake(fakeDaemon);
  try {
    const env = { PEBBLE_SOCKET: fake.socket };
    assert.deepEqual(await cli(["version"], env), {
      code: 0,
      stdout: "client  v1.2.3\nserver  7.89\n",
      stderr: "",
    });
    assert.equal(
      (await cli(["version", "--format=json"], env)).stdout,
      '{"client":"v1.2.3","server":"7.89"}\n',
    );
    assert.equal(
      (await cli(["version", "--format=yaml"], env)).stdout,
      'client: v1.2.3\nserver: "7.89"\n',
    );
  } finally {
    await fake.close();
  }
  const none = await cli(["version"], { PEBBLE_SOCKET: "/nonexistent/pebble.socket" });
  assert.equal(none.code, 0);
  assert.equal(none.stdout, "client  v1.2.3\nserver  -\n");
});

Deno.test("plan and add", async () => {
  const fake = await startFake(fakeDaemon);
  try {
    const env = { PEBBLE_SOCKET: fake.socket };
    const plan = await cli(["plan"], env);
    assert.equal(
      plan.stdout,
      "services:\n    srv:\n        override: replace\n        command: sleep 1\n",
    );
    const layer = `${fake.dir}/layer.yaml`;
    await Deno.writeTextFile(layer, "services: {}\n");
    const added = await cli(["add", "--combine", "base", layer], env);
    assert.deepEqual(added, {
      code: 0,
      stdout: `Layer "base" added successfully from "${layer}"\n`,
      stderr: "",
    });
    const post = fake.requests.find((r) => r.method === "POST")!;
    assert.deepEqual(JSON.parse(post.body), {
      action: "add",
      combine: true,
      inner: false,
      label: "base",
      format: "yaml",
      layer: "services: {}\n",
    });
    const missing = await cli(["add", "x", `${fake.dir}/nope.yaml`], env);
    assert.deepEqual(missing, {
      code: 1,
      stdout: "",
      stderr: `error: open ${fake.dir}/nope.yaml: no such file or directory\n`,
    });
  } finally {
    await fake.close();
  }
});

Deno.test("changes and tasks", async () => {
  const fake = await startFake(fakeDaemon);
  try {
    const env = { PEBBLE_SOCKET: fake.socket };
    const list = await cli(["changes", "--abs-time"], env);
    assert.equal(list.code, 0);
    assert.equal(
      list.stdout,
      "ID   Status  Spawn                 Ready                 Summary\n" +
        "1    Do      2015-02-21T01:02:03Z  -                     Replan\n" +
        '2    Done    2016-04-21T01:02:03Z  2016-04-21T01:02:04Z  Start service "srv"\n\n',
    );
    assert.equal(fake.requests.at(-1)!.url.search, "?select=all");
    assert.deepEqual(await cli(["changes", "nothing"], env), {
      code: 0,
      stdout: "",
      stderr: "no changes found\n",
    });
    assert.equal(fake.requests.at(-1)!.url.search, "?select=all&for=nothing");
    assert.deepEqual(await cli(["changes", "42"], env), {
      code: 1,
      stdout: "",
      stderr: "error: 'pebble changes' command expects a service name, try 'pebble tasks 42'\n",
    });
    const t = await cli(["tasks", "--abs-time", "--last=start"], env);
    assert.equal(
      t.stdout,
      "Status  Spawn                 Ready                 Summary\n" +
        'Done    2016-04-21T01:02:03Z  2016-04-21T01:02:04Z  Start service "srv"\n\n' +
        ".".repeat(70) + '\nStart service "srv"\n\n2016-04-21T01:02:03Z INFO started\n\n',
    );
    assert.deepEqual(await cli(["tasks", "--last=nope?"], env), {
      code: 0,
      stdout: "",
      stderr: "",
    });
    assert.deepEqual(await cli(["tasks", "--last=nope"], env), {
      code: 1,
      stdout: "",
      stderr: 'error: no changes of type "nope" found\n',
    });
    assert.deepEqual(await cli(["tasks", "7"], env), {
      code: 1,
      stdout: "",
      stderr: 'error: cannot find change with id "7"\n',
    });
    assert.deepEqual(await cli(["tasks"], env), {
      code: 1,
      stdout: "",
      stderr: "error: please provide change ID or type with --last=<type>\n",
    });
  } finally {
    await fake.close();
  }
});

Deno.test("warnings and okay keep Pebble's CLI state file", async () => {
  const fake = await startFake(fakeDaemon);
  try {
    const env = { PEBBLE_SOCKET: fake.socket, XDG_CONFIG_HOME: `${fake.dir}/config` };
    const stateFile = `${fake.dir}/config/pebble/cli.json`;
    assert.deepEqual(await cli(["okay"], env), {
      code: 1,
      stdout: "",
      stderr:
        "error: no notices or warnings have been listed; try 'pebble notices' or 'pebble warnings'\n",
    });
    const listed = await cli(["warnings", "--abs-time"], env);
    assert.equal(
      listed.stdout,
      "last-occurrence:  2018-09-19T12:41:18Z\nwarning: |\n  hello world number one\n",
    );
    assert.deepEqual(JSON.parse(await Deno.readTextFile(stateFile)), {
      pebble: {
        [fake.socket]: {
          "notices-last-listed": "0001-01-01T00:00:00Z",
          "notices-last-okayed": "0001-01-01T00:00:00Z",
          "warnings-last-listed": "2018-09-19T12:44:50.680362867Z",
          "warnings-last-okayed": "0001-01-01T00:00:00Z",
        },
      },
    });
    assert.deepEqual(await cli(["okay", "--warnings"], env), { code: 0, stdout: "", stderr: "" });
    const state = JSON.parse(await Deno.readTextFile(stateFile)).pebble[fake.socket];
    assert.equal(state["warnings-last-okayed"], "2018-09-19T12:44:50.680362867Z");
    assert.deepEqual(await cli(["warnings"], env), {
      code: 0,
      stdout: "",
      stderr: "No further warnings.\n",
    });
    assert.equal(
      fake.requests.at(-1)!.url.searchParams.get("after"),
      "2018-09-19T12:44:50.680362867Z",
    );
    const all = await cli(["warnings", "--all", "--format=json"], env);
    assert.equal(
      all.stdout,
      '{"warnings":[{"id":"1","user-id":null,"type":"warning","key":"hello world number one",' +
        '"first-occurred":"2018-09-19T12:41:18.505007495Z","last-occurred":"2018-09-19T12:41:18.505007495Z",' +
        '"last-repeated":"2018-09-19T12:44:50.680362867Z","occurrences":1,"repeat-after":"24h0m0s",' +
        '"expire-after":"672h0m0s"}]}\n',
    );
  } finally {
    await fake.close();
  }
});

Deno.test("a newer latest-warning than the last listing prints Pebble's reminder", async () => {
  const fake = await startFake((url, method) => {
    const out = fakeDaemon(url, method);
    (out.body as Record<string, unknown>)["latest-warning"] = "2018-09-19T12:44:50.680362867Z";
    return out;
  });
  try {
    const env = { PEBBLE_SOCKET: fake.socket, XDG_CONFIG_HOME: `${fake.dir}/config` };
    const r = await cli(["plan"], env);
    assert.equal(r.stderr, "WARNING: There are new warnings. See 'pebble warnings'.\n");
    await cli(["warnings"], env);
    assert.equal((await cli(["plan"], env)).stderr, "");
  } finally {
    await fake.close();
  }
});

Deno.test("errors: unknown command, bad flags, cannot connect", async () => {
  assert.deepEqual(await cli(["frobnicate"]), {
    code: 1,
    stdout: "",
    stderr: "error: unknown command \"frobnicate\", see 'pebble help'\n",
  });
  assert.deepEqual(await cli(["changes", "--bogus"]), {
    code: 1,
    stdout: "",
    stderr: "error: unknown flag `bogus'\n",
  });
  assert.deepEqual(await cli(["version", "extra"]), {
    code: 1,
    stdout: "",
    stderr: "error: too many arguments for command\n",
  });
  const r = await cli(["changes"], { PEBBLE_SOCKET: "/nonexistent/pebble.socket" });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^error: .*\/nonexistent\/pebble\.socket/);
});

Deno.test("help: short list, --all, per-command help", async () => {
  const short = await cli([]);
  assert.equal(short.code, 0);
  assert.match(
    short.stdout,
    /^Pebble lets you control services and perform management actions on\n/,
  );
  assert.match(short.stdout, /\n {9}Run: run\n {8}Info: help, version\n/);
  assert.ok(short.stdout.includes("\n  Identities: identities --help\n"));
  assert.ok(
    short.stdout.endsWith("For a short summary of all commands, run 'pebble help --all'.\n"),
  );
  assert.equal((await cli(["--help"])).stdout, short.stdout);
  assert.equal((await cli(["help"])).stdout, short.stdout);
  const all = await cli(["help", "--all"]);
  assert.ok(all.stdout.includes(
    "\n  Changes (manage changes and their tasks):\n" +
      `    changes${" ".repeat(12)}List system changes\n`,
  ));
  assert.deepEqual(await cli(["help", "--all", "run"]), {
    code: 1,
    stdout: "",
    stderr: "error: help accepts a command, or '--all', but not both\n",
  });
  assert.deepEqual(await cli(["help", "add", "x"]), {
    code: 1,
    stdout: "",
    stderr: "error: unknown command \"x\", see 'pebble help add'\n",
  });
  assert.equal((await cli(["help", "changes"])).stdout, (await cli(["changes", "-h"])).stdout);
  assert.equal(
    commandHelp(changes.spec),
    `Usage:
  pebble changes [changes-OPTIONS] [<service>]

The changes command displays a summary of system changes performed recently.

[changes command options]
      --abs-time                  Display absolute times (in RFC 3339 format).
                                  Otherwise, display relative times up to 60
                                  days, then YYYY-MM-DD.
      --format=[text|json|yaml]   Output format (default: text)
`,
  );
  const pad = (n: number) => " ".repeat(n);
  assert.ok(
    commandHelp(run.spec).includes(
      `\n${pad(10)}--create-dirs${pad(2)}Create Pebble directory on startup if it doesn't exist\n` +
        `${pad(10)}--hold${pad(9)}Do not`,
    ),
  );
  assert.match(commandHelp(run.spec), /\n {6}-v, --verbose {6}Log all output/);
});

Deno.test("the pebble program: exit codes and output", async () => {
  const main = new URL("../main.ts", import.meta.url).pathname;
  const exec = async (...args: string[]) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", main, ...args],
      env: { PEBBLE_SOCKET: "/nonexistent/pebble.socket" },
    }).output();
    const dec = new TextDecoder();
    return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  };
  const v = await exec("version", "--client");
  assert.equal(v.code, 0);
  assert.match(v.stdout, /^v\d+\.\d+\.\d+.*\n$/);
  const bad = await exec("nope");
  assert.equal(bad.code, 1);
  assert.equal(bad.stderr, "error: unknown command \"nope\", see 'pebble help'\n");
  const help = await exec("okay", "--help");
  assert.equal(help.code, 0);
  assert.ok(help.stdout.startsWith("Usage:\n  pebble okay [okay-OPTIONS]\n"));
});
