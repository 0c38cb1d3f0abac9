// `pebble add`: add (or combine) a configuration layer read from a file.

import { CliError, type Command, extraArgsError } from "./_context.ts";

/** The `add` command. */
export const add: Command = {
  spec: {
    name: "add",
    summary: "Dynamically add a layer to the plan's layers",
    description: `The add command reads the plan's layer YAML from the path specified and
appends a layer with the given label to the plan's layers. If --combine
is specified, combine the layer with an existing layer that has the given
label (or append if the label is not found).`,
    options: [
      {
        long: "combine",
        help:
          "Combine the new layer with an existing layer that has the given label (default is to append)",
      },
      { long: "inner", help: "Allow appending a new layer inside an existing subdirectory" },
    ],
    args: [
      { name: "<label>", required: true },
      { name: "<layer-path>", required: true },
    ],
  },
  async run(ctx, args) {
    if (args.extra.length > 0) throw extraArgsError();
    const label = args.arg("<label>");
    const path = args.arg("<layer-path>");
    let yaml: string;
    try {
      yaml = await Deno.readTextFile(path);
    } catch (err) {
      throw new CliError(`open ${path}: ${osErrorText(err)}`);
    }
    const client = await ctx.client();
    await client.addLayer(label, yaml, {
      combine: args.bool("combine"),
      inner: args.bool("inner"),
    });
    ctx.out(`Layer ${goQuote(label)} added successfully from ${goQuote(path)}\n`);
  },
};

/** The text Go's os package gives for common file errors. */
export function osErrorText(err: unknown): string {
  if (err instanceof Deno.errors.NotFound) return "no such file or directory";
  if (err instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (err instanceof Deno.errors.IsADirectory) return "is a directory";
  const msg = err instanceof Error ? err.message : String(err);
  return msg.replace(/ \(os error \d+\).*$/, "").replace(/^./, (c) => c.toLowerCase());
}

/** Go's `%q` for ordinary strings. */
export function goQuote(s: string): string {
  return JSON.stringify(s);
}
