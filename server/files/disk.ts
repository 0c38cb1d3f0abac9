/**
 * Disk calls of the files API (fsyncs, and the chunk reads and writes of file contents):
 * on the event loop while the disk answers quickly, on Deno's blocking-thread pool
 * otherwise.
 *
 * An asynchronous call hands the work to a pool thread and its result back to the event
 * loop; on these machines that hand-off costs 0.1–0.4 ms each way round. A small upload
 * makes two fsyncs (the file, then its directory after the rename): a third of its time.
 * A large pull reads its file in 256 KiB chunks: from the page cache each takes ~0.05 ms
 * on the event loop, and the hand-offs doubled the daemon's CPU per GiB and held a pull
 * with curl to ~0.6 of Pebble's speed; a large push written in 1 MiB pieces on the pool
 * took ~1.5x the CPU at ~0.7 of the speed of 256 KiB pieces on the event loop (~0.1–0.3 ms
 * each). So a call is made synchronously when
 *
 * - it is small (an fsync of a file of at most {@linkcode SYNC_FSYNC_BYTES} or of a
 *   directory; any read chunk; a write of at most {@linkcode SYNC_WRITE_BYTES}),
 * - no asynchronous call of its kind is in flight (concurrent uploads then share the pool,
 *   as they would in Pebble's goroutines), and
 * - the disk has been quick: once a synchronous call takes longer than
 *   {@linkcode STALL_MS}, or their running average (each new one weighing a tenth)
 *   exceeds {@linkcode SLOW_MS}, calls of that kind go to the pool for
 *   {@linkcode SLOW_COOL_DOWN_MS} (a write stalls once the kernel throttles a writer that
 *   outruns the disk). A slow or busy disk thus stalls the event loop (service
 *   output, checks, other requests) a few times, not on every call, and a rare slow call
 *   among quick ones (a few milliseconds, once in thousands here) changes nothing.
 *
 * A call made on the event loop returns its result itself, not a promise of it, so that a
 * small upload's disk steps (write.ts) need no promise.
 *
 * @module
 */

/** A value, or a promise of it when the call went to the pool. */
export type MaybePromise<T> = T | Promise<T>;

/** Largest file (bytes written) fsynced on the event loop. */
export const SYNC_FSYNC_BYTES = 256 * 1024;
/** Largest write made on the event loop. */
export const SYNC_WRITE_BYTES = 256 * 1024;
/** A synchronous call slower than this sends the next ones to the pool at once. */
export const STALL_MS = 50;
/** A running average of synchronous calls above this sends the next ones to the pool. */
export const SLOW_MS = 3;
/** How long calls stay on the pool after a slow one. */
export const SLOW_COOL_DOWN_MS = 30_000;

/** The part of `Deno.FsFile` a fsync needs. */
export interface Syncable {
  sync(): Promise<void>;
  syncSync(): void;
}

/** Decides, call by call, whether to make a disk call on the event loop (see the module doc). */
export class DiskPolicy {
  #inFlight = 0;
  #poolUntil = 0;
  #average = 0;

  /** `now` is the clock, in milliseconds (a test can pass its own). */
  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Whether calls go to the pool because a recent one was slow. */
  get cooling(): boolean {
    return this.now() < this.#poolUntil;
  }

  /**
   * Makes the call: `sync()` on the event loop if it is `small` and allowed (its result,
   * or its exception, comes at once), else `pooled()`.
   */
  run<T>(small: boolean, sync: () => T, pooled: () => Promise<T>): MaybePromise<T> {
    if (small && this.#inFlight === 0) {
      const start = this.now();
      if (start >= this.#poolUntil) {
        const result = sync();
        const end = this.now();
        const took = end - start;
        this.#average += (took - this.#average) / 10;
        if (took > STALL_MS || this.#average > SLOW_MS) {
          this.#poolUntil = end + SLOW_COOL_DOWN_MS;
          this.#average = 0;
        }
        return result;
      }
    }
    return this.#onPool(pooled);
  }

  async #onPool<T>(pooled: () => Promise<T>): Promise<T> {
    this.#inFlight++;
    try {
      return await pooled();
    } finally {
      this.#inFlight--;
    }
  }

  /** Flushes `file`; `bytes` is how much was written to it (0 for a directory). */
  fsync(file: Syncable, bytes: number): MaybePromise<void> {
    return this.run(bytes <= SYNC_FSYNC_BYTES, () => file.syncSync(), () => file.sync());
  }
}

const fsyncPolicy = new DiskPolicy();
const readPolicy = new DiskPolicy();
const writePolicy = new DiskPolicy();

/** Flushes `file` to disk by the daemon's policy; `bytes` is how much was written to it. */
export function fsync(file: Syncable, bytes: number): MaybePromise<void> {
  return fsyncPolicy.fsync(file, bytes);
}

/** Reads the next chunk of a large file into `buf` by the daemon's policy (null at its end). */
export function readChunk(file: Deno.FsFile, buf: Uint8Array): MaybePromise<number | null> {
  return readPolicy.run(true, () => file.readSync(buf), () => file.read(buf));
}

/** Writes (part of) `bytes` to `file` by the daemon's policy; the count written. */
export function writeChunk(file: Deno.FsFile, bytes: Uint8Array): MaybePromise<number> {
  return writePolicy.run(
    bytes.length <= SYNC_WRITE_BYTES,
    () => file.writeSync(bytes),
    () => file.write(bytes),
  );
}

/** Fsyncs a directory, so that a rename or a new entry in it is durable. */
export function syncDir(dir: string): MaybePromise<void> {
  const fd = Deno.openSync(dir, { read: true });
  let synced;
  try {
    synced = fsync(fd, 0);
  } catch (e) {
    fd.close();
    throw e;
  }
  if (synced instanceof Promise) return synced.finally(() => fd.close());
  fd.close();
}
