/** The file commands of the CLI end to end: ls, mkdir, rm, push, pull, with Pebble's output. */

import { tempDir } from "./_tmp.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli, startDaemon } from "./_helpers.ts";
import { formatAmount, modeString, parseGlob } from "../client/cli/cmd_ls.ts";

Deno.test("files cli: ls, mkdir, rm, push and pull", async () => {
  const d = await startDaemon();
  const dir = await tempDir({ prefix: "pebble-files-" });
  // Messages are wrapped at the terminal width, as Pebble wraps them: unwrap them.
  const run = async (...args: string[]) => {
    const out = await runCli(args, d.env);
    return { ...out, stderr: out.stderr.replace(/\n {7}/g, " ") };
  };
  try {
    await Deno.writeTextFile(join(dir, "local.txt"), "hello\n");
    await Deno.chmod(join(dir, "local.txt"), 0o640);
    const r = join(dir, "remote");

    let out = await run("mkdir", "-p", "-m", "700", join(r, "sub"));
    assert.deepEqual([out.code, out.stdout, out.stderr], [0, "", ""]);
    assert.equal((await Deno.stat(join(r, "sub"))).mode! & 0o777, 0o700);
    out = await run("mkdir", join(r, "sub"));
    assert.deepEqual([out.code, out.stderr], [1, `error: mkdir ${r}/sub: file exists\n`]);
    out = await run("mkdir", "-m", "99", join(r, "x"));
    assert.equal(out.stderr, `error: invalid mode for directory: "99"\n`);
    out = await run("mkdir", "--uid", "abc", join(r, "x"));
    assert.equal(
      out.stderr,
      'error: invalid argument for flag `--uid\' (expected *int): strconv.ParseInt: parsing "abc": invalid syntax\n',
    );

    out = await run("push", join(dir, "local.txt"), join(r, "f.txt"));
    assert.deepEqual([out.code, out.stdout, out.stderr], [0, "", ""]);
    assert.equal(await Deno.readTextFile(join(r, "f.txt")), "hello\n");
    assert.equal((await Deno.stat(join(r, "f.txt"))).mode! & 0o777, 0o640); // the local mode
    out = await run("push", "-m", "0600", "-p", join(dir, "local.txt"), join(r, "a/b/g.txt"));
    assert.equal(out.code, 0);
    assert.equal((await Deno.stat(join(r, "a/b/g.txt"))).mode! & 0o777, 0o600);
    out = await run("push", join(dir, "nope"), join(r, "x"));
    assert.equal(out.stderr, `error: open ${dir}/nope: no such file or directory\n`);
    out = await run("push", dir, join(r, "pushed-dir"));
    assert.equal(
      out.stderr,
      `error: cannot communicate with server: Post "http://localhost/v1/files": read ${dir}: is a directory\n`,
    );
    out = await run("push", join(dir, "local.txt"), join(r, "no/dir"));
    assert.match(out.stderr, /^error: open .*\/no\/dir\.\d+~: no such file or directory\n$/);

    out = await run("ls", r);
    assert.deepEqual([out.code, out.stdout], [0, "a\nf.txt\nsub\n"]);
    out = await run("ls", `${r}/*.txt`);
    assert.equal(out.stdout, "f.txt\n");
    out = await run("ls", "-l", `${r}/*.none`);
    assert.deepEqual([out.code, out.stdout], [0, ""], "no match: nothing printed, as Pebble");
    out = await run("ls", "-d", r);
    assert.equal(out.stdout, "remote\n");
    out = await run("ls", "-l", "--abs-time", join(r, "f.txt"));
    const user = out.stdout.split(/\s+/)[1];
    assert.match(
      out.stdout,
      new RegExp(
        `^-rw-r-----  ${user}  \\S+      6B  \\d{4}-\\d\\d-\\d\\dT[0-9:]+(Z|[+-][0-9:]+)  f\\.txt\\n$`,
      ),
    );
    out = await run("ls", "--format=json", join(r, "f.txt"));
    const json = JSON.parse(out.stdout);
    assert.deepEqual(Object.keys(json.files[0]).slice(0, 5), [
      "path",
      "name",
      "type",
      "size",
      "permissions",
    ]);
    out = await run("ls", join(r, "nope"));
    assert.equal(out.stderr, `error: stat ${r}/nope: no such file or directory\n`);
    out = await run("ls", `${r}/*/x`);
    assert.equal(out.stderr, "error: can only use globs on the last path element\n");

    out = await run("pull", join(r, "f.txt"), join(dir, "back.txt"));
    assert.deepEqual([out.code, out.stderr], [0, ""]);
    assert.equal(await Deno.readTextFile(join(dir, "back.txt")), "hello\n");
    out = await run("pull", join(r, "nope"), join(dir, "back2.txt"));
    assert.equal(out.stderr, `error: stat ${r}/nope: no such file or directory\n`);
    await assert.rejects(Deno.stat(join(dir, "back2.txt")), Deno.errors.NotFound);

    out = await run("rm", join(r, "a"));
    assert.equal(out.stderr, `error: remove ${r}/a: directory not empty\n`);
    out = await run("rm", "-r", join(r, "a"));
    assert.equal(out.code, 0);
    out = await run("rm", "rel");
    assert.equal(out.stderr, `error: paths must be absolute, got "rel"\n`);
    out = await run("ls", r);
    assert.equal(out.stdout, "f.txt\nsub\n");
  } finally {
    await d.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("files cli: help and formatting helpers match Pebble", async () => {
  const out = await runCli(["push", "--help"], {});
  assert.equal(
    out.stdout,
    `Usage:
  pebble push [push-OPTIONS] <local-path> <remote-path>

The push command transfers a file to the remote system.

[push command options]
      -p                   Create parent directories for the file
      -m=                  Override mode bits (3-digit octal)
          --uid=           Use specified user ID
          --user=          Use specified username
          --gid=           Use specified group ID
          --group=         Use specified group name
`,
  );
  assert.equal(formatAmount(3), "    3");
  assert.equal(formatAmount(1536000), "1.54M");
  assert.equal(formatAmount(12345), "12.3k");
  assert.equal(modeString("directory", 0o755), "drwxr-xr-x");
  assert.equal(modeString("symlink", 0o777), "Lrwxrwxrwx");
  assert.equal(modeString("file", 0o640), "-rw-r-----");
  assert.deepEqual(parseGlob("/a/b/*.txt"), { path: "/a/b/", pattern: "*.txt" });
  assert.deepEqual(parseGlob("/a/b/"), { path: "/a/b/", pattern: "" });
});
