/**
 * The `tcp` checker: a TCP connection to `host:port` (host default `localhost`) must
 * open. The connection is closed at once; a connection attempt that outlives the
 * timeout is closed as soon as it completes.
 *
 * @module
 */

import { type Checker, timedOut } from "./checker.ts";
import { dialAddress } from "./http_checker.ts";

/** Checks that a TCP port accepts connections. */
export class TcpChecker implements Checker {
  private abort: ((e: Error) => void) | null = null;
  private readonly hostname: string;

  constructor(readonly host: string, readonly port: number) {
    this.hostname = (host || "localhost").replace(/^\[|\]$/g, "");
  }

  run(timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const settle = (e: Error | null) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.abort = null;
        if (e) reject(e);
        else resolve();
      };
      const timer = setTimeout(() => settle(timedOut(timeoutMs)), timeoutMs);
      this.abort = settle;
      Deno.connect({ hostname: this.hostname, port: this.port }).then((conn) => {
        try {
          conn.close();
        } catch { /* already closed */ }
        settle(null);
      }, (e) => settle(this.goError(e)));
    });
  }

  cancel(): void {
    this.abort?.(new Error("check cancelled"));
  }

  /** A connect failure worded as Go's dialer words it. */
  private goError(e: unknown): Error {
    const addr = dialAddress(this.hostname, String(this.port));
    if (e instanceof Deno.errors.ConnectionRefused) {
      return new Error(`dial tcp ${addr}: connect: connection refused`);
    }
    const text = (e as Error)?.message ?? String(e);
    if (/failed to lookup address|Name or service not known/.test(text)) {
      return new Error(`dial tcp: lookup ${this.hostname}: no such host`);
    }
    if (/No route to host/.test(text)) {
      return new Error(`dial tcp ${addr}: connect: no route to host`);
    }
    if (/Network is unreachable/.test(text)) {
      return new Error(`dial tcp ${addr}: connect: network is unreachable`);
    }
    return new Error(`dial tcp ${addr}: ${text.replace(/ \(os error \d+\)$/, "")}`);
  }
}
