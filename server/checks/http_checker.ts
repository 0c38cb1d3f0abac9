/**
 * The `http` checker: a GET of the URL must answer with a 2xx status.
 *
 * Requests go through `fetch`, whose pooled client keeps connections to the checked
 * server alive between runs (a 2xx body of known, small length is read so that the
 * connection can be reused; any other body is dropped). `fetch` refuses the ports that
 * browsers block (1, 6000, 6665, 10080 ...); for those the checker switches to
 * node:http, which has no such list, so every port Pebble can check works here too.
 * Errors are worded as Go's net/http words them (`Get "URL": dial tcp ADDR: connect:
 * connection refused`), and a non-2xx answer carries the first lines of its body.
 *
 * @module
 */

import { type Checker, CheckFailure, timedOut } from "./checker.ts";
import { concatBytes } from "../../client/_bytes.ts";

const MAX_ERROR_BYTES = 512;
const MAX_ERROR_LINES = 5;
/** 2xx bodies up to this size are read (for connection reuse); larger ones are dropped. */
const MAX_DRAINED_BODY = 64 * 1024;

const TIMEOUT = Symbol("timeout");
const CANCELLED = Symbol("cancelled");

/** Checks that a GET of a URL answers 2xx. */
export class HttpChecker implements Checker {
  private controller: AbortController | null = null;
  private useNode = false;
  private readonly headers: [string, string][];

  constructor(readonly url: string, headers: Record<string, string>) {
    this.headers = Object.entries(headers);
  }

  async run(timeoutMs: number): Promise<void> {
    const controller = new AbortController();
    this.controller = controller;
    const timer = setTimeout(() => controller.abort(TIMEOUT), timeoutMs);
    try {
      if (!this.useNode) {
        try {
          await this.viaFetch(controller.signal);
          return;
        } catch (e) {
          if (!(e instanceof TypeError && /are blocked$/.test(e.message))) throw e;
          this.useNode = true;
        }
      }
      await this.viaNode(controller.signal);
    } catch (e) {
      if (controller.signal.aborted) {
        throw controller.signal.reason === TIMEOUT
          ? timedOut(timeoutMs)
          : new Error("check cancelled");
      }
      throw e instanceof CheckFailure ? e : goError(this.url, e);
    } finally {
      clearTimeout(timer);
      if (this.controller === controller) this.controller = null;
    }
  }

  cancel(): void {
    this.controller?.abort(CANCELLED);
  }

  private async viaFetch(signal: AbortSignal): Promise<void> {
    const res = await fetch(this.url, { headers: this.headers, signal, redirect: "follow" });
    if (res.status >= 200 && res.status <= 299) {
      const length = Number(res.headers.get("content-length") ?? NaN);
      if (length <= MAX_DRAINED_BODY) await res.arrayBuffer();
      else await res.body?.cancel();
      return;
    }
    let text = "";
    if (res.body) {
      const reader = res.body.getReader();
      const chunks: Uint8Array[] = [];
      let size = 0;
      try {
        while (size < MAX_ERROR_BYTES) {
          const { done, value } = await reader.read();
          if (done) break;
          chunks.push(value);
          size += value.length;
        }
      } finally {
        reader.cancel().catch(() => {});
      }
      text = new TextDecoder().decode(concatBytes(chunks).subarray(0, MAX_ERROR_BYTES));
    }
    throw nonSuccess(res.status, text);
  }

  private async viaNode(signal: AbortSignal): Promise<void> {
    const url = new URL(this.url);
    const mod = url.protocol === "https:" ? await import("node:https") : await import("node:http");
    await new Promise<void>((resolve, reject) => {
      const req = mod.get(url, { headers: Object.fromEntries(this.headers), signal }, (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 200 && status <= 299) {
          res.destroy();
          resolve();
          return;
        }
        const chunks: Uint8Array[] = [];
        let size = 0;
        const finish = () => {
          res.destroy();
          const body = new TextDecoder().decode(concatBytes(chunks).subarray(0, MAX_ERROR_BYTES));
          reject(nonSuccess(status, body));
        };
        res.on("data", (chunk: Uint8Array) => {
          chunks.push(chunk);
          size += chunk.length;
          if (size >= MAX_ERROR_BYTES) finish();
        });
        res.on("end", finish);
        res.on("error", finish);
      });
      req.on("error", reject);
    });
  }
}

function nonSuccess(status: number, body: string): CheckFailure {
  let lines = body.trim().split("\n");
  if (lines.length > MAX_ERROR_LINES) {
    lines = lines.slice(0, MAX_ERROR_LINES + 1);
    lines[MAX_ERROR_LINES] = "(...)";
  }
  return new CheckFailure(`non-2xx status code ${status}`, lines.join("\n"));
}

/** The `host:port` Go's dialer names in errors (localhost as the address it dials). */
export function dialAddress(host: string, port: string): string {
  let h = host.replace(/^\[|\]$/g, "");
  if (h === "localhost" || h === "") h = "127.0.0.1";
  return h.includes(":") ? `[${h}]:${port}` : `${h}:${port}`;
}

/** A fetch or node:http failure worded as Go's `client.Do` error for a GET. */
function goError(url: string, e: unknown): Error {
  const err = e as Error & { cause?: unknown; code?: string };
  const text = `${err?.message ?? e} ${String(err?.cause ?? "")} ${err?.code ?? ""}`;
  const get = `Get ${JSON.stringify(url)}`;
  let parsed: URL | null = null;
  try {
    parsed = new URL(url);
  } catch {
    return new Error(`${get}: unsupported protocol scheme ""`);
  }
  const scheme = /Url scheme '([^']*)' not supported/.exec(text);
  if (scheme) return new Error(`${get}: unsupported protocol scheme ${JSON.stringify(scheme[1])}`);
  const port = parsed.port || (parsed.protocol === "https:" ? "443" : "80");
  const addr = dialAddress(parsed.hostname, port);
  if (/Connection refused|ECONNREFUSED/.test(text)) {
    return new Error(`${get}: dial tcp ${addr}: connect: connection refused`);
  }
  if (/dns error|ENOTFOUND|failed to lookup address/.test(text)) {
    return new Error(`${get}: dial tcp: lookup ${parsed.hostname}: no such host`);
  }
  if (/Connection reset|ECONNRESET/.test(text)) {
    return new Error(`${get}: read tcp ${addr}: read: connection reset by peer`);
  }
  if (/No route to host|EHOSTUNREACH/.test(text)) {
    return new Error(`${get}: dial tcp ${addr}: connect: no route to host`);
  }
  const detail = String(err?.cause ?? err?.message ?? e)
    .replace(/^Error: /, "")
    .replace(/^error sending request for url \([^)]*\): /, "");
  return new Error(`${get}: ${detail}`);
}
