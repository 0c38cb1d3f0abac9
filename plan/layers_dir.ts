/**
 * Layer file and directory names (`001-base.yaml`, `002-extra.d/001-x.yaml`)
 * and turning a listing of the layers directory into layers, in Pebble's
 * order. The caller reads the directory; nothing here does I/O.
 *
 * @module
 */

import { LayerFileNameError } from "./errors.ts";
import { goQuote } from "./_quote.ts";
import { parseLayer, type ParseLayerOptions } from "./layer.ts";
import type { Layer } from "./types.ts";

const ENTRY_NAME = /^([0-9]{3})-([a-z](?:-?[a-z0-9]){2,})(\.yaml|\.d)$/;

/**
 * Parses a layers directory entry name: `NNN-label.yaml` for a layer file
 * or `NNN-label.d` for a sub-directory. Labels start with a letter, have at
 * least three characters, and use lowercase letters, digits and single
 * dashes. Returns null for a name that does not fit.
 *
 * @example
 * ```ts
 * import { parseLayerFileName } from "./layers_dir.ts";
 * parseLayerFileName("001-base.yaml"); // { order: 1, label: "base", dir: false }
 * parseLayerFileName("01-base.yaml"); // null
 * ```
 */
export function parseLayerFileName(
  name: string,
): { order: number; label: string; dir: boolean } | null {
  const m = ENTRY_NAME.exec(name);
  if (!m) return null;
  return { order: Number(m[1]), label: m[2], dir: m[3] === ".d" };
}

/** A layer file in a listing of the layers directory. */
export interface LayerFileEntry {
  /** File name, such as `001-base.yaml`. */
  name: string;
  /** The file's YAML text. */
  content: string;
}

/** A sub-directory in a listing of the layers directory, with its files. */
export interface LayerDirEntry {
  /** Directory name, such as `002-extra.d`. */
  name: string;
  /** The directory's entries (files; any directory here is an error). */
  entries: LayerEntry[];
}

/** An entry of a layers directory listing. */
export type LayerEntry = LayerFileEntry | LayerDirEntry;

interface CheckedEntry {
  entry: LayerEntry;
  order: number;
  label: string;
}

function checkEntries(entries: LayerEntry[], dirOK: boolean): CheckedEntry[] {
  const sorted = entries
    .filter((e) => e.name.endsWith(".yaml") || e.name.endsWith(".d"))
    .sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  const orders = new Map<number, string>();
  const labels = new Map<string, number>();
  const out: CheckedEntry[] = [];
  for (const entry of sorted) {
    const isDir = "entries" in entry;
    const parsed = parseLayerFileName(entry.name);
    if (!parsed) {
      throw new LayerFileNameError(
        isDir
          ? `invalid layer sub-directory name: ${
            goQuote(entry.name)
          } (must look like "123-some-label.d")`
          : `invalid layer filename: ${goQuote(entry.name)} (must look like "123-some-label.yaml")`,
      );
    }
    if (isDir && !dirOK) {
      throw new LayerFileNameError("cannot have a layers sub-directory at this level");
    }
    const { order, label } = parsed;
    const oldLabel = orders.get(order);
    const oldOrder = labels.get(label);
    if (oldLabel !== undefined || oldOrder !== undefined) {
      const haveOrder = oldLabel !== undefined ? order : oldOrder!;
      const haveLabel = oldLabel !== undefined ? oldLabel : label;
      throw new LayerFileNameError(
        `invalid layer filename: ${goQuote(entry.name)} not unique (have "${
          String(haveOrder).padStart(3, "0")
        }-${haveLabel}.yaml" already)`,
      );
    }
    orders.set(order, label);
    labels.set(label, order);
    out.push({ entry, order, label });
  }
  return out;
}

/**
 * Turns a listing of Pebble's layers directory into layers, as Pebble's
 * ReadLayersDir does: entries are taken in name order, files not ending in
 * `.yaml` or `.d` are ignored, a file `NNN-label.yaml` gets order
 * NNN × 1000 and its label, and a file `MMM-inner.yaml` inside a
 * sub-directory `NNN-dir.d` gets order NNN × 1000 + MMM and label
 * `dir/inner`. Sub-directories inside sub-directories are not allowed.
 *
 * Combine the result with {@link buildPlan}.
 *
 * @throws {LayerFileNameError} for a bad name or a duplicate order or label.
 * @throws {LayerError} for a layer file that does not parse.
 *
 * @example
 * ```ts
 * import { buildPlan, layersFromDirectoryListing } from "./mod.ts";
 * const layers = layersFromDirectoryListing([
 *   { name: "001-base.yaml", content: "services: {web: {override: replace, command: srv}}" },
 *   { name: "002-extra.d", entries: [{ name: "001-more.yaml", content: "summary: more" }] },
 * ]);
 * layers.map((l) => [l.order, l.label]); // [[1000, "base"], [2001, "extra/more"]]
 * const plan = buildPlan(layers);
 * ```
 */
export function layersFromDirectoryListing(
  entries: LayerEntry[],
  opts: Omit<ParseLayerOptions, "label" | "order"> = {},
): Layer[] {
  const layers: Layer[] = [];
  for (const top of checkEntries(entries, true)) {
    if ("entries" in top.entry) {
      for (const inner of checkEntries(top.entry.entries, false)) {
        const file = inner.entry as LayerFileEntry;
        layers.push(parseLayer(file.content, {
          ...opts,
          label: `${top.label}/${inner.label}`,
          order: top.order * 1000 + inner.order,
        }));
      }
    } else {
      layers.push(parseLayer(top.entry.content, {
        ...opts,
        label: top.label,
        order: top.order * 1000,
      }));
    }
  }
  return layers;
}
