/**
 * Fsyncs for the files API: on the event loop while the disk answers quickly, on Deno's
 * blocking-thread pool otherwise.
 *
 * An asynchronous fsync hands the call to a pool thread and its result back to the event
 * loop; on these machines that hand-off costs 0.1–0.4 ms each way round, and a small upload
 * makes two fsyncs (the file, then its directory after the rename): a third of its time.
 * So a fsync is made synchronously when
 *
 * - the data it flushes is small (a file of at most {@linkcode SYNC_FSYNC_BYTES}, or a
 *   directory),
 * - no asynchronous fsync is in flight (concurrent uploads then share the pool, as they would
 *   in Pebble's goroutines), and
 * - the disk has been quick: once a synchronous fsync takes longer than
 *   {@linkcode STALL_FSYNC_MS}, or their running average (each new one weighing a tenth)
 *   exceeds {@linkcode SLOW_FSYNC_MS}, fsyncs go to the pool for
 *   {@linkcode SLOW_COOL_DOWN_MS}. A slow or busy disk thus stalls the event loop (service
 *   output, checks, other requests) a few times, not on every upload, and a rare slow fsync
 *   among quick ones (a few milliseconds, once in thousands here) changes nothing.
 *
 * @module
 */

/** Largest file (bytes written) fsynced on the event loop. */
export const SYNC_FSYNC_BYTES = 256 * 1024;
/** A synchronous fsync slower than this sends the next ones to the pool at once. */
export const STALL_FSYNC_MS = 50;
/** A running average of synchronous fsyncs above this sends the next ones to the pool. */
export const SLOW_FSYNC_MS = 3;
/** How long fsyncs stay on the pool after a slow one. */
export const SLOW_COOL_DOWN_MS = 30_000;

/** The part of `Deno.FsFile` a fsync needs. */
export interface Syncable {
  sync(): Promise<void>;
  syncSync(): void;
}

/** Decides, fsync by fsync, whether to make it on the event loop (see the module doc). */
export class FsyncPolicy {
  #inFlight = 0;
  #poolUntil = 0;
  #average = 0;

  /** `now` is the clock, in milliseconds (a test can pass its own). */
  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Whether fsyncs go to the pool because a recent one was slow. */
  get cooling(): boolean {
    return this.now() < this.#poolUntil;
  }

  /** Flushes `file`; `bytes` is how much was written to it (0 for a directory). */
  async fsync(file: Syncable, bytes: number): Promise<void> {
    if (bytes <= SYNC_FSYNC_BYTES && this.#inFlight === 0) {
      const start = this.now();
      if (start >= this.#poolUntil) {
        file.syncSync();
        const end = this.now();
        const took = end - start;
        this.#average += (took - this.#average) / 10;
        if (took > STALL_FSYNC_MS || this.#average > SLOW_FSYNC_MS) {
          this.#poolUntil = end + SLOW_COOL_DOWN_MS;
          this.#average = 0;
        }
        return;
      }
    }
    this.#inFlight++;
    try {
      await file.sync();
    } finally {
      this.#inFlight--;
    }
  }
}

const policy = new FsyncPolicy();

/** Flushes `file` to disk by the daemon's policy; `bytes` is how much was written to it. */
export function fsync(file: Syncable, bytes: number): Promise<void> {
  return policy.fsync(file, bytes);
}

/** Fsyncs a directory, so that a rename or a new entry in it is durable. */
export async function syncDir(dir: string): Promise<void> {
  const fd = Deno.openSync(dir, { read: true });
  try {
    await fsync(fd, 0);
  } finally {
    fd.close();
  }
}
