// The daemon's log: lines wait for the end of the event-loop task, keep their order and
// their time, and are not lost when the process exits right after logging them.

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const LOG_MODULE = fileURLToPath(new URL("../server/log.ts", import.meta.url));

/** Runs `code` (with logNotice and flushLog imported) in a fresh Deno; returns its stderr. */
async function stderrOf(code: string): Promise<{ stderr: string; code: number }> {
  const script = `import { flushLog, logNotice } from ${JSON.stringify(LOG_MODULE)};\n${code}`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--no-check", script],
    stdout: "null",
    stderr: "piped",
  }).output();
  return { stderr: new TextDecoder().decode(out.stderr), code: out.code };
}

const LINE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \[pebble\] (.*)$/;

Deno.test("log: lines wait for the end of the task, in order, then reach stderr", async () => {
  const { stderr } = await stderrOf(`
    logNotice("first");
    logNotice((iso) => "lazy at " + iso);
    Deno.stderr.writeSync(new TextEncoder().encode("marker\\n"));
    setTimeout(() => logNotice("after a timer"), 5);
  `);
  const lines = stderr.trimEnd().split("\n");
  assert.equal(lines[0], "marker", "logged lines were written after the task, not during it");
  assert.equal(LINE.exec(lines[1])?.[1], "first");
  const lazy = LINE.exec(lines[2]);
  assert.ok(lazy, lines[2]);
  assert.equal(
    lazy[1],
    `lazy at ${lines[2].slice(0, 24)}`,
    "the lazy message gets its line's time",
  );
  assert.equal(LINE.exec(lines[3])?.[1], "after a timer");
  assert.equal(lines.length, 4);
});

Deno.test("log: lines logged just before Deno.exit are written", async () => {
  const { stderr, code } = await stderrOf(`
    for (let i = 0; i < 3; i++) logNotice("line " + i);
    Deno.exit(7);
  `);
  assert.equal(code, 7);
  assert.deepEqual(stderr.trimEnd().split("\n").map((l) => LINE.exec(l)?.[1]), [
    "line 0",
    "line 1",
    "line 2",
  ]);
});

Deno.test("log: flushLog writes at once; many waiting lines are written without waiting", async () => {
  const { stderr } = await stderrOf(`
    logNotice("one");
    flushLog();
    Deno.stderr.writeSync(new TextEncoder().encode("marker\\n"));
    for (let i = 0; i < 300; i++) logNotice("n" + i);
    Deno.stderr.writeSync(new TextEncoder().encode("marker2\\n"));
  `);
  const lines = stderr.trimEnd().split("\n");
  assert.equal(LINE.exec(lines[0])?.[1], "one");
  assert.equal(lines[1], "marker");
  const second = lines.indexOf("marker2");
  assert.ok(second > 2 && second < 2 + 300, "a full buffer was written before the task ended");
  const numbered = lines.filter((l) => LINE.test(l)).slice(1).map((l) => LINE.exec(l)![1]);
  assert.deepEqual(numbered, Array.from({ length: 300 }, (_, i) => "n" + i));
});

Deno.test("log: lines logged just before an uncaught error are written", async () => {
  for (const crash of ['throw new Error("boom")', 'Promise.reject(new Error("boom"))']) {
    const { stderr, code } = await stderrOf(`
      setTimeout(() => {
        logNotice("last words");
        ${crash};
      }, 1);
    `);
    assert.notEqual(code, 0, crash);
    assert.equal(LINE.exec(stderr.split("\n")[0])?.[1], "last words", `${crash}: ${stderr}`);
  }
});
