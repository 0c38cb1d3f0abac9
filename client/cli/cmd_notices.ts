// `pebble notices`: list the notices not yet acknowledged with `pebble okay`.

import { PROGRAM_NAME } from "./_commands.ts";
import { type Command, extraArgsError, isZeroTime } from "./_context.ts";
import { tabulate } from "./_format.ts";
import { ABS_TIME_OPTION, FORMAT_OPTION, printStructured } from "./_options.ts";
import {
  fmtRawTime,
  lastRepeatedOf,
  rawArray,
  rawNumber,
  type RawObject,
  rawString,
  rawToRFC3339Nano,
} from "./_raw.ts";
import { durationFlag, formatDuration, uint32Flag } from "./_notice_flags.ts";
import { goNotice } from "./cmd_warnings.ts";

/** A key shortened to 32 bytes with an ellipsis in the middle, as Pebble shows it. */
export function shortNoticeKey(key: string): string {
  const bytes = new TextEncoder().encode(key);
  if (bytes.length <= 32) return key;
  const dec = new TextDecoder();
  return dec.decode(bytes.subarray(0, 14)) + "..." + dec.decode(bytes.subarray(bytes.length - 15));
}

/** The text table of `pebble notices`. */
export function noticesText(notices: RawObject[], absTime: boolean, now: Date): string {
  let out = "ID\tUser\tType\tKey\tFirst\tRepeated\tOccurrences\n";
  for (const n of notices) {
    const uid = n["user-id"];
    out += [
      rawString(n, "id"),
      typeof uid === "number" ? String(uid) : "public",
      rawString(n, "type"),
      shortNoticeKey(rawString(n, "key")),
      fmtRawTime(rawString(n, "first-occurred"), absTime, now),
      fmtRawTime(rawString(n, "last-repeated"), absTime, now),
      String(rawNumber(n, "occurrences")),
    ].join("\t") + "\n";
  }
  return tabulate(out);
}

/** The `notices` command. */
export const notices: Command = {
  spec: {
    name: "notices",
    summary: "List notices",
    description: `The notices command lists notices not yet acknowledged, ordered by the
last-repeated time (oldest first). After it runs, the notices that were shown
may then be acknowledged by running '${PROGRAM_NAME} okay'. When a notice repeats, it
needs to be acknowledged again.

By default, list notices with the current user ID or public notices. Admins
can use --users=all to view notice with any user ID, or --uid=UID to view
another user's notices.`,
    options: [
      ABS_TIME_OPTION,
      FORMAT_OPTION,
      {
        long: "users",
        kind: "string",
        help:
          "The only valid value is 'all', which lists notices with any user ID (admin only; cannot be used with --uid)",
      },
      {
        long: "uid",
        kind: "string",
        help: "Only list notices with this user ID (admin only; cannot be used with --users)",
      },
      { long: "type", kind: "list", help: "Only list notices of this type (multiple allowed)" },
      { long: "key", kind: "list", help: "Only list notices with this key (multiple allowed)" },
      {
        long: "timeout",
        kind: "string",
        help: "Wait up to this duration for matching notices to arrive",
      },
    ],
  },
  async run(ctx, args) {
    if (args.extra.length > 0) throw extraArgsError();
    const uid = uint32Flag("uid", args.isSet("uid") ? args.string("uid") : undefined);
    const timeout = durationFlag("timeout", args.string("timeout"));
    const state = await ctx.loadCliState();
    const okayed = state.noticesLastOkayed;
    const query = {
      users: args.string("users") || undefined,
      "user-id": uid === undefined ? undefined : String(uid),
      types: args.list("type"),
      keys: args.list("key"),
      after: isZeroTime(okayed) ? undefined : rawToRFC3339Nano(okayed),
      timeout: timeout === 0 ? undefined : formatDuration(timeout),
    };
    const client = await ctx.client();
    const resp = await client.request("GET", "/v1/notices", {
      query,
      // The daemon waits up to the timeout; give the request that long and more.
      timeout: timeout > 0 ? timeout / 1e9 + client.timeout : undefined,
    });
    const list = rawArray(resp.result);
    if (list.length > 0) {
      state.noticesLastListed = lastRepeatedOf(list);
      await ctx.saveCliState(state);
    }
    const format = args.string("format");
    if (format === "text") {
      if (list.length === 0) {
        if (timeout !== 0) {
          ctx.err(`No matching notices after waiting ${formatDuration(timeout)}.\n`);
        } else {
          ctx.err("No matching notices.\n");
        }
        return;
      }
      ctx.out(noticesText(list, args.bool("abs-time"), ctx.now()));
      return;
    }
    await printStructured(ctx, format, { notices: list.map(goNotice) });
  },
};
