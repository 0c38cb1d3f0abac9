// `pebble notice`: one notice, by ID or by type and key.

import { CliError, type Command, extraArgsError } from "./_context.ts";
import { FORMAT_OPTION, printStructured } from "./_options.ts";
import { rawArray, type RawObject } from "./_raw.ts";
import { uint32Flag } from "./_notice_flags.ts";
import { goNotice } from "./cmd_warnings.ts";

/** The notice IDs Pebble's client accepts in a URL. */
const NOTICE_ID = /^[a-z0-9]+$/;

/** The `notice` command. */
export const notice: Command = {
  spec: {
    name: "notice",
    summary: "Fetch a single notice",
    description: `The notice command fetches a single notice, either by ID (1-arg variant), or
by unique type and key combination (2-arg variant).`,
    options: [
      FORMAT_OPTION,
      {
        long: "uid",
        kind: "string",
        help: "Look up notice from user with this UID (admin only; 2-arg variant only)",
      },
    ],
    args: [{ name: "<id-or-type>", required: true }, { name: "<key>" }],
  },
  async run(ctx, args) {
    if (args.extra.length > 0) throw extraArgsError();
    const uid = uint32Flag("uid", args.isSet("uid") ? args.string("uid") : undefined);
    const idOrType = args.arg("<id-or-type>");
    const key = args.arg("<key>");
    let found: RawObject;
    const client = await ctx.client();
    if (key !== "") {
      const resp = await client.request("GET", "/v1/notices", {
        query: {
          "user-id": uid === undefined ? undefined : String(uid),
          types: [idOrType],
          keys: [key],
        },
      });
      const list = rawArray(resp.result);
      if (list.length === 0) {
        throw new CliError(`cannot find ${idOrType} notice with key ${JSON.stringify(key)}`);
      }
      // A user's own notice wins over a public one with the same type and key.
      found = list.slice(1).find((n) => n["user-id"] !== null && n["user-id"] !== undefined) ??
        list[0];
    } else {
      if (uid !== undefined) {
        throw new CliError("cannot use --uid option when looking up notice by key");
      }
      if (!NOTICE_ID.test(idOrType)) {
        throw new CliError(`invalid notice ID ${JSON.stringify(idOrType)}`);
      }
      const resp = await client.request("GET", `/v1/notices/${idOrType}`);
      const r = resp.result;
      found = typeof r === "object" && r !== null ? r as RawObject : {};
    }
    const format = args.string("format");
    await printStructured(ctx, format === "json" ? "json" : "yaml", goNotice(found));
  },
};
