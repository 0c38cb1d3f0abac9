/**
 * Durable storage for the daemon state: a snapshot plus an append-only journal.
 *
 * - `$PEBBLE/.pebble.state` is a JSON snapshot of every record, replaced atomically
 *   (write a temporary file, fsync, rename) when the journal is compacted.
 * - `$PEBBLE/.pebble.state.journal` holds the records written since that snapshot, one
 *   per line as `CRC32HEX JSON`. Its first line names the snapshot generation it belongs
 *   to; a journal from another generation (a crash between the two renames of a
 *   compaction) is ignored, because the snapshot already holds all it says.
 *
 * A commit appends only the records that changed, then `fdatasync`s once, so its cost
 * does not grow with history; concurrent commits share one flush (group commit). A torn
 * last line (a crash mid-append) fails its checksum and is dropped on load.
 *
 * @module
 */

import { crc32 } from "./crc32.ts";

/** One stored record: a kind ("change", "task", "notice", "meta", ...), an id, a value. */
export interface StoredRecord {
  k: string;
  id: string;
  /** The value, or null to delete the record. */
  v: unknown;
}

/** Everything loaded from disk: records by kind and id. */
export type Records = Map<string, Map<string, unknown>>;

/** The result of loading: the records and any problem found on the way. */
export interface Loaded {
  records: Records;
  /** Problems that were recovered from (shown as warnings by the daemon). */
  problems: string[];
}

/** Where the state lives: on disk (journal) or nowhere (memory only). */
export interface StateStore {
  load(): Promise<Loaded>;
  /** Writes records durably. `all` returns every live record, for compaction. */
  write(records: StoredRecord[], all: () => StoredRecord[]): Promise<void>;
  close(): void;
}

/** A store that keeps nothing: for `PEBBLE_PERSIST=never` and tests. */
export class MemoryStore implements StateStore {
  load(): Promise<Loaded> {
    return Promise.resolve({ records: new Map(), problems: [] });
  }
  write(): Promise<void> {
    return Promise.resolve();
  }
  close(): void {}
}

const FORMAT = "pebble-ts-state/1";
const encoder = new TextEncoder();

function line(obj: unknown): string {
  const json = JSON.stringify(obj);
  return `${crc32(encoder.encode(json)).toString(16).padStart(8, "0")} ${json}\n`;
}

function parseLine(text: string): unknown | undefined {
  const sp = text.indexOf(" ");
  if (sp !== 8) return undefined;
  const json = text.slice(9);
  if (crc32(encoder.encode(json)).toString(16).padStart(8, "0") !== text.slice(0, 8)) {
    return undefined;
  }
  try {
    return JSON.parse(json);
  } catch {
    return undefined;
  }
}

function put(records: Records, r: StoredRecord): void {
  let m = records.get(r.k);
  if (!m) records.set(r.k, m = new Map());
  if (r.v === null) m.delete(r.id);
  else m.set(r.id, r.v);
}

/** The on-disk store described in the module comment. */
export class JournalStore implements StateStore {
  readonly journalPath: string;
  private journal: Deno.FsFile | null = null;
  private generation = 0;
  private journalRecords = 0;
  private liveRecords = 0;

  constructor(readonly path: string, private compactAt = 2000) {
    this.journalPath = `${path}.journal`;
  }

  async load(): Promise<Loaded> {
    const records: Records = new Map();
    const problems: string[] = [];
    let clean = true;
    let text: string | null = null;
    try {
      text = await Deno.readTextFile(this.path);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    if (text !== null) {
      try {
        const snap = JSON.parse(text);
        if (snap?.format !== FORMAT || typeof snap.generation !== "number") {
          throw new Error("unknown format");
        }
        this.generation = snap.generation;
        for (const [k, byId] of Object.entries(snap.records as Record<string, object>)) {
          for (const [id, v] of Object.entries(byId)) put(records, { k, id, v });
        }
      } catch (e) {
        const moved = `${this.path}.corrupt-${Date.now()}`;
        await Deno.rename(this.path, moved);
        problems.push(
          `state file ${this.path} was unreadable (${(e as Error).message}); ` +
            `moved it to ${moved} and started with a fresh state`,
        );
        records.clear();
        this.generation = 0;
        await Deno.remove(this.journalPath).catch(() => {});
        text = null;
        clean = false;
      }
    }
    let journalText: string | null = null;
    try {
      journalText = await Deno.readTextFile(this.journalPath);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    if (journalText !== null) {
      const lines = journalText.split("\n");
      const header = parseLine(lines[0]) as { generation?: number } | undefined;
      if (header?.generation !== this.generation) clean = false;
      else {
        for (let i = 1; i < lines.length; i++) {
          if (lines[i] === "") continue;
          const rec = parseLine(lines[i]) as StoredRecord | undefined;
          if (!rec || typeof rec.k !== "string") {
            clean = false;
            const rest = lines.slice(i + 1).filter((l) => l !== "").length;
            if (rest > 0) {
              problems.push(
                `state journal ${this.journalPath} has a damaged record at line ${i + 1}; ` +
                  `the ${rest} record(s) after it were dropped`,
              );
            }
            break;
          }
          put(records, rec);
          this.journalRecords++;
        }
      }
    }
    for (const m of records.values()) this.liveRecords += m.size;
    // A torn tail, a stale journal or a long one: start from a fresh snapshot.
    if (!clean || this.journalRecords > this.compactAt) await this.compact(() => flatten(records));
    return { records, problems };
  }

  async write(records: StoredRecord[], all: () => StoredRecord[]): Promise<void> {
    if (records.length === 0) return;
    if (this.journalRecords + records.length > Math.max(this.compactAt, 2 * this.liveRecords)) {
      const everything = all();
      this.liveRecords = everything.length;
      await this.compact(() => everything);
      return;
    }
    let text = "";
    if (!this.journal) {
      this.journal = await Deno.open(this.journalPath, { append: true, create: true });
      if ((await this.journal.stat()).size === 0) text = line({ generation: this.generation });
    }
    for (const r of records) text += line(r);
    const bytes = encoder.encode(text);
    let off = 0;
    while (off < bytes.length) off += await this.journal.write(bytes.subarray(off));
    await this.journal.syncData();
    this.journalRecords += records.length;
  }

  private async compact(all: () => StoredRecord[]): Promise<void> {
    const generation = this.generation + 1;
    const byKind: Record<string, Record<string, unknown>> = {};
    let live = 0;
    for (const r of all()) {
      (byKind[r.k] ??= {})[r.id] = r.v;
      live++;
    }
    await writeAtomic(this.path, JSON.stringify({ format: FORMAT, generation, records: byKind }));
    this.generation = generation;
    this.journal?.close();
    this.journal = null;
    await writeAtomic(this.journalPath, line({ generation }));
    this.journalRecords = 0;
    this.liveRecords = live;
  }

  close(): void {
    this.journal?.close();
    this.journal = null;
  }
}

function flatten(records: Records): StoredRecord[] {
  const out: StoredRecord[] = [];
  for (const [k, m] of records) for (const [id, v] of m) out.push({ k, id, v });
  return out;
}

/** Writes a file so that a reader (or a crash) sees the old content or the new, never a mix. */
export async function writeAtomic(path: string, content: string): Promise<void> {
  const tmp = `${path}.tmp-${Deno.pid}`;
  const f = await Deno.open(tmp, { write: true, create: true, truncate: true, mode: 0o600 });
  try {
    const bytes = encoder.encode(content);
    let off = 0;
    while (off < bytes.length) off += await f.write(bytes.subarray(off));
    await f.sync();
  } finally {
    f.close();
  }
  await Deno.rename(tmp, path);
}
