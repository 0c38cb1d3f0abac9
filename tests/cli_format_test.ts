// Unit tests of the CLI's output helpers: tabwriter columns, times, durations, wrapping,
// and Go-compatible JSON/YAML.

import assert from "node:assert/strict";
import {
  fill,
  formatShortDuration,
  formatWarningText,
  goDurationString,
  humanTime,
  tabulate,
  wrapGeneric,
  zoneAbbreviation,
} from "../client/cli/_format.ts";
import { rawToRFC3339Nano } from "../client/cli/_raw.ts";
import { rawToRFC3339 } from "../client/cli/_format.ts";
import { RawJson, Timestamp, toJson, toYaml } from "../client/cli/_structured.ts";
import { changesText, goChange, tasksText } from "../client/cli/cmd_changes.ts";
import { warningsText } from "../client/cli/cmd_warnings.ts";

Deno.test("tabulate aligns columns like Go's tabwriter (minwidth 5, padding 2)", () => {
  const out = tabulate("ID\tStatus\tSummary\n1\tDone\tStart service\n10\tError\tx\n");
  assert.equal(
    out,
    "ID   Status  Summary\n" +
      "1    Done    Start service\n" +
      "10   Error   x\n",
  );
});

Deno.test("tabulate: a line without tabs ends the column block", () => {
  const out = tabulate("a:\t1\nlonger-key:\t2\n---\nb:\t3\n");
  assert.equal(out, "a:           1\nlonger-key:  2\n---\nb:   3\n");
});

Deno.test("tabulate: no lines, no output", () => {
  assert.equal(tabulate(""), "");
});

Deno.test("tabulate counts runes, not bytes", () => {
  assert.equal(tabulate("é\tx\nab\ty\n"), "é    x\nab   y\n");
});

Deno.test("humanTime: today, yesterday, days ago, tomorrow, in days, and dates", () => {
  const now = new Date(2024, 4, 10, 12, 0, 0);
  const at = (d: number, h: number, m: number) => new Date(2024, 4, 10 + d, h, m);
  const z = (d: Date) => zoneAbbreviation(d);
  let t = at(0, 3, 5);
  assert.equal(humanTime(t, now), `today at 03:05 ${z(t)}`);
  t = at(-1, 23, 59);
  assert.equal(humanTime(t, now), `yesterday at 23:59 ${z(t)}`);
  t = at(-3, 9, 0);
  assert.equal(humanTime(t, now), `3 days ago, at 09:00 ${z(t)}`);
  t = at(1, 0, 1);
  assert.equal(humanTime(t, now), `tomorrow at 00:01 ${z(t)}`);
  t = at(5, 18, 30);
  assert.equal(humanTime(t, now), `in 5 days, at 18:30 ${z(t)}`);
  assert.equal(humanTime(at(-61, 1, 0), now), "2024-03-10");
  assert.equal(humanTime(new Date(2016, 3, 21, 1, 2, 3), now), "2016-04-21");
});

Deno.test("RFC 3339 output keeps the daemon's offset, like Go's time.RFC3339", () => {
  assert.equal(rawToRFC3339("2016-04-21T01:02:03.123456789Z"), "2016-04-21T01:02:03Z");
  assert.equal(rawToRFC3339("2016-04-21T01:02:03+02:00"), "2016-04-21T01:02:03+02:00");
  assert.equal(rawToRFC3339("2016-04-21T01:02:03.5+00:00"), "2016-04-21T01:02:03Z");
  assert.equal(rawToRFC3339Nano("2016-04-21T01:02:03.500000000Z"), "2016-04-21T01:02:03.5Z");
  assert.equal(
    rawToRFC3339Nano("2018-09-19T12:44:50.680362867+00:00"),
    "2018-09-19T12:44:50.680362867Z",
  );
});

Deno.test("formatShortDuration matches x-go's quantity.FormatDuration", () => {
  assert.equal(formatShortDuration(24 * 3600), "1d00h");
  assert.equal(formatShortDuration(672 * 3600), "28d0h");
  assert.equal(formatShortDuration(90), "1m30s");
  assert.equal(formatShortDuration(5400), "90.0m");
  assert.equal(formatShortDuration(12.5), "12.5s");
  assert.equal(formatShortDuration(1.5), "1.50s");
  assert.equal(formatShortDuration(0.25), "250ms");
  assert.equal(formatShortDuration(0), "0.0ns");
  assert.equal(formatShortDuration(3 * 3600 + 5 * 60), "3h05m");
  assert.equal(formatShortDuration(400 * 86400), " 400d");
});

Deno.test("goDurationString matches Go's time.Duration.String", () => {
  assert.equal(goDurationString(86400), "24h0m0s");
  assert.equal(goDurationString(90), "1m30s");
  assert.equal(goDurationString(1.5), "1.5s");
  assert.equal(goDurationString(0.002), "2ms");
  assert.equal(goDurationString(0), "0s");
});

Deno.test("warning text is wrapped at the terminal width, keeping indents", () => {
  const text = "one two three four five six seven eight nine ten\n  indented line\n\nlast  ";
  assert.equal(
    formatWarningText(text, 30),
    "  one two three four five six\n  seven eight nine ten\n    indented line\n  \n  last\n",
  );
  assert.equal(wrapGeneric("abcdefghij", "", "", 4), "abcd\nefgh\nij\n");
});

Deno.test("fill wraps long error messages after the error prefix", () => {
  const msg = "word ".repeat(30).trim();
  const out = fill(msg, 7, 80);
  const lines = out.split("\n");
  assert.ok(lines.length > 1);
  assert.ok(lines[0].length <= 72);
  assert.ok(lines.slice(1).every((l) => l.length <= 79));
  assert.ok(lines.slice(1).every((l) => l.startsWith("       word")));
  assert.equal(fill("short", 7, 80), "short");
});

Deno.test("toJson escapes HTML characters like Go's encoding/json", () => {
  assert.equal(
    toJson({ a: "<x> & y", t: new Timestamp("2020-01-01T00:00:00Z") }),
    '{"a":"\\u003cx\\u003e \\u0026 y","t":"2020-01-01T00:00:00Z"}\n',
  );
});

Deno.test("toYaml follows yaml.v3: 4-space indents, quoting, timestamps plain", () => {
  const out = toYaml({
    changes: [{
      id: "1",
      summary: "...",
      tasks: [{
        id: "",
        progress: { label: "", done: 0, total: 1 },
        data: { a: new RawJson("x") },
      }],
      ready: false,
      "spawn-time": new Timestamp("2016-04-21T01:02:03Z"),
    }],
    empty: [],
    "user-id": null,
    yes: "yes",
    num: "7.89",
    when: "2024-01-01T00:00:00Z ERROR x",
  });
  assert.equal(
    out,
    `changes:
    - id: "1"
      summary: '...'
      tasks:
        - id: ""
          progress:
            label: ""
            done: 0
            total: 1
          data:
            a:
                - 34
                - 120
                - 34
      ready: false
      spawn-time: 2016-04-21T01:02:03Z
empty: []
user-id: null
"yes": "yes"
num: "7.89"
when: 2024-01-01T00:00:00Z ERROR x
`,
  );
});

const CHANGES = [
  {
    id: "4",
    kind: "install",
    summary: "...",
    status: "Do",
    ready: false,
    "spawn-time": "2015-02-21T01:02:03Z",
    "ready-time": "2015-02-21T01:02:04Z",
    tasks: [],
  },
  {
    id: "12",
    kind: "start",
    summary: 'Start service "srv"',
    status: "Doing",
    ready: false,
    "spawn-time": "2016-01-21T01:02:03Z",
    "ready-time": "0001-01-01T00:00:00Z",
    tasks: [{
      id: "1",
      kind: "start",
      summary: "Start srv",
      status: "Doing",
      progress: { label: "", done: 50, total: 100 },
      "spawn-time": "2016-01-21T01:02:03Z",
      log: ["line one", "line two"],
    }],
  },
];

Deno.test("changes text table", () => {
  assert.equal(
    changesText(CHANGES, true, new Date()),
    "ID   Status  Spawn                 Ready                 Summary\n" +
      "4    Do      2015-02-21T01:02:03Z  2015-02-21T01:02:04Z  ...\n" +
      '12   Doing   2016-01-21T01:02:03Z  -                     Start service "srv"\n\n',
  );
});

Deno.test("tasks text with progress and logs", () => {
  assert.equal(
    tasksText(CHANGES[1], true, new Date()),
    "Status  Spawn                 Ready  Summary\n" +
      "Doing   2016-01-21T01:02:03Z  -      Start srv (50.00%)\n" +
      "\n" + ".".repeat(70) + "\nStart srv\n\nline one\nline two\n\n",
  );
});

Deno.test("changes JSON keeps Go's field order and omits empty fields", () => {
  assert.equal(
    toJson(goChange(CHANGES[0])),
    '{"id":"4","kind":"install","summary":"...","status":"Do","ready":false,' +
      '"spawn-time":"2015-02-21T01:02:03Z","ready-time":"2015-02-21T01:02:04Z"}\n',
  );
});

Deno.test("warnings text, verbose", () => {
  const w = {
    id: "1",
    type: "warning",
    key: "hello world number one",
    "first-occurred": "2018-09-19T12:41:18.505007495Z",
    "last-occurred": "2018-09-19T12:41:18.505007495Z",
    "last-repeated": "2018-09-19T12:41:18.505007495Z",
    "expire-after": "672h0m0s",
    "repeat-after": "24h0m0s",
  };
  const out = warningsText([w, w], {
    absTime: true,
    verbose: true,
    now: new Date(),
    termWidth: 80,
  });
  const one = `first-occurrence:  2018-09-19T12:41:18Z
last-occurrence:   2018-09-19T12:41:18Z
last-repeated:     2018-09-19T12:41:18Z
repeats-after:     1d00h
expires-after:     28d0h
warning: |
  hello world number one
`;
  assert.equal(out, one + "---\n" + one);
  assert.equal(
    warningsText([w], { absTime: true, verbose: false, now: new Date(), termWidth: 80 }),
    "last-occurrence:  2018-09-19T12:41:18Z\nwarning: |\n  hello world number one\n",
  );
});
