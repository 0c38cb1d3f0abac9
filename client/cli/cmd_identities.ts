// `pebble identities`, `identity`, `add-identities`, `update-identities` and
// `remove-identities`: list and change the daemon's named identities.

import { CliError, type Command, extraArgsError } from "./_context.ts";
import { tabulate } from "./_format.ts";
import { FORMAT_OPTION, printStructured } from "./_options.ts";
import type { OptionSpec } from "./_flags.ts";
import { type Identity, identityToJson } from "../identities.ts";
import { PROGRAM_NAME } from "./_commands.ts";

const FROM_OPTION: OptionSpec = {
  long: "from",
  kind: "string",
  help: "Path of YAML file to read identities from (required)",
};

function requireFrom(from: string, isSet: boolean): string {
  if (!isSet) throw new CliError("the required flag `--from' was not specified");
  return from;
}

function numItems(n: number, singular: string, plural: string): string {
  return n === 1 ? `1 ${singular}` : `${n} ${plural}`;
}

function yamlFail(detail: string): never {
  throw new CliError(`cannot unmarshal identities: yaml: ${detail}`);
}

function uint32Of(v: unknown): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > 0xffffffff) {
    yamlFail(`unmarshal errors:\n  cannot unmarshal ${JSON.stringify(v)} into uint32`);
  }
  return v;
}

function mapOf(v: unknown, what: string): Record<string, unknown> | null {
  if (v === null || v === undefined) return null;
  if (typeof v !== "object" || Array.isArray(v)) {
    yamlFail(`unmarshal errors:\n  cannot unmarshal ${JSON.stringify(v)} into ${what}`);
  }
  return v as Record<string, unknown>;
}

/** Reads `identities:` from a YAML file as Pebble's readIdentities does (null = remove). */
export async function readIdentities(path: string): Promise<Record<string, Identity | null>> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new CliError(`open ${path}: no such file or directory`);
    }
    throw new CliError(`open ${path}: ${(err as Error).message}`);
  }
  const { parse } = await import("yaml");
  let doc: unknown;
  try {
    doc = parse(text, { uniqueKeys: true });
  } catch (err) {
    yamlFail((err as Error).message.split("\n")[0]);
  }
  const top = mapOf(doc, "identitiesMap");
  const raw = mapOf(top?.identities, "map[string]*client.Identity") ?? {};
  const out: Record<string, Identity | null> = {};
  for (const [name, value] of Object.entries(raw)) {
    const v = mapOf(value, "client.Identity");
    if (v === null) {
      out[name] = null;
      continue;
    }
    const id: Identity = { access: v.access == null ? "" : String(v.access) };
    const local = mapOf(v.local, "client.LocalIdentity");
    const basic = mapOf(v.basic, "client.BasicIdentity");
    const cert = mapOf(v.cert, "client.CertIdentity");
    if (local) id.local = { userId: local["user-id"] == null ? NaN : uint32Of(local["user-id"]) };
    if (basic) id.basic = { password: basic.password == null ? "" : String(basic.password) };
    if (cert) id.cert = { pem: cert.pem == null ? "" : String(cert.pem) };
    out[name] = id;
  }
  if (Object.keys(out).length === 0) {
    throw new CliError(`no identities to add; did you forget the top-level "identities" key?`);
  }
  return out;
}

/** The identity as Pebble's client marshals it (a missing user-id stays null). */
function goIdentity(id: Identity): Record<string, unknown> {
  const out = identityToJson(id);
  if (id.local && Number.isNaN(id.local.userId)) out.local = { "user-id": null };
  return out;
}

function sortedNames(ids: Record<string, unknown>): string[] {
  return Object.keys(ids).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The `identities` command. */
export const identities: Command = {
  spec: {
    name: "identities",
    summary: "List identities",
    description: `The identities command lists all identities.

Other identity-related subcommands are as follows (use --help with any
subcommand for details):

${PROGRAM_NAME} identity           Show a single identity
${PROGRAM_NAME} add-identities     Add new identities
${PROGRAM_NAME} update-identities  Update or replace identities
${PROGRAM_NAME} remove-identities  Remove identities`,
    options: [FORMAT_OPTION],
  },
  async run(ctx, args) {
    if (args.extra.length > 0) throw extraArgsError();
    const ids = await (await ctx.client()).getIdentities();
    const format = args.string("format");
    const names = sortedNames(ids);
    if (format === "text") {
      if (names.length === 0) {
        ctx.err("No identities.\n");
        return;
      }
      let table = "Name\tAccess\tTypes\n";
      for (const name of names) {
        const id = ids[name];
        const types: string[] = [];
        if (id.local) types.push("local");
        if (id.basic) types.push("basic");
        types.sort();
        if (types.length === 0) types.push("unknown");
        table += `${name}\t${id.access}\t${types.join(",")}\n`;
      }
      ctx.out(tabulate(table));
      return;
    }
    const map: Record<string, unknown> = {};
    for (const name of names) map[name] = goIdentity(ids[name]);
    await printStructured(ctx, format, { identities: map });
  },
};

/** The `identity` command. */
export const identity: Command = {
  spec: {
    name: "identity",
    summary: "Show a single identity",
    description: "The identity command shows details for a single identity in YAML format.",
    options: [FORMAT_OPTION],
    args: [{ name: "<name>", required: true }],
  },
  async run(ctx, args) {
    if (args.extra.length > 0) throw extraArgsError();
    const name = args.arg("<name>");
    const ids = await (await ctx.client()).getIdentities();
    if (!Object.hasOwn(ids, name)) {
      throw new CliError(`cannot find identity ${JSON.stringify(name)}`);
    }
    const format = args.string("format");
    await printStructured(ctx, format === "text" ? "yaml" : format, goIdentity(ids[name]));
  },
};

/** The `add-identities` command. */
export const addIdentities: Command = {
  spec: {
    name: "add-identities",
    summary: "Add new identities",
    description: `The add-identities command adds one or more new identities.

The named identities must not yet exist.

For example, to add a local admin named "bob", use YAML like this:

> identities:
>     bob:
>         access: admin
>         local:
>             user-id: 42

To add an identity named "alice" with metrics access using HTTP basic authentication:

> identities:
>     alice:
>         access: metrics
>         basic:
>             password: <password hash>

Use "openssl passwd -6" to generate a hashed password (sha512-crypt format).`,
    options: [FROM_OPTION],
  },
  async run(ctx, args) {
    if (args.extra.length > 0) throw extraArgsError();
    const ids = await readIdentities(requireFrom(args.string("from"), args.isSet("from")));
    await (await ctx.client()).request("POST", "/v1/identities", {
      body: { action: "add", identities: toJsonMap(ids) },
    });
    ctx.out(`Added ${numItems(Object.keys(ids).length, "new identity", "new identities")}.\n`);
  },
};

function toJsonMap(ids: Record<string, Identity | null>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, id] of Object.entries(ids)) out[name] = id === null ? null : goIdentity(id);
  return out;
}

/** The `update-identities` command. */
export const updateIdentities: Command = {
  spec: {
    name: "update-identities",
    summary: "Update or replace identities",
    description: `The update-identities command updates or replaces one or more identities.

By default, the named identities must already exist and are updated.

If --replace is specified, update-identities operates differently: if a named
identity exists, it will be updated. If it does not exist, it will be added.
If a named identity is null in the YAML input, that identity will be removed.
For example, to add or update "alice" and ensure "bob" is removed, use
--replace with YAML like this:

> identities:
>     alice:
>         access: admin
>         local:
>             user-id: 1000
>     bob: null`,
    options: [
      FROM_OPTION,
      { long: "replace", help: "Replace (add or update) identities; remove null identities" },
    ],
  },
  async run(ctx, args) {
    if (args.extra.length > 0) throw extraArgsError();
    const ids = await readIdentities(requireFrom(args.string("from"), args.isSet("from")));
    const replace = args.bool("replace");
    await (await ctx.client()).request("POST", "/v1/identities", {
      body: { action: replace ? "replace" : "update", identities: toJsonMap(ids) },
    });
    const n = numItems(Object.keys(ids).length, "identity", "identities");
    ctx.out(`${replace ? "Replaced" : "Updated"} ${n}.\n`);
  },
};

/** The `remove-identities` command. */
export const removeIdentities: Command = {
  spec: {
    name: "remove-identities",
    summary: "Remove identities",
    description: `The remove-identities command removes one or more identities.

The named identities must exist. The named identity entries must be null in
the YAML input. For example, to remove "alice" and "bob", use this YAML:

> identities:
>     alice: null
>     bob: null`,
    options: [FROM_OPTION],
  },
  async run(ctx, args) {
    if (args.extra.length > 0) throw extraArgsError();
    const ids = await readIdentities(requireFrom(args.string("from"), args.isSet("from")));
    for (const [name, id] of Object.entries(ids)) {
      if (id !== null) {
        throw new CliError(
          `identity value for ${JSON.stringify(name)} must be null for remove operation`,
        );
      }
    }
    await (await ctx.client()).removeIdentities(Object.keys(ids));
    ctx.out(`Removed ${numItems(Object.keys(ids).length, "identity", "identities")}.\n`);
  },
};
