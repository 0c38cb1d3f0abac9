/**
 * Pebble's response envelope: sync, async and error responses.
 *
 * @module
 */

import type { HttpResponse } from "../http_server.ts";

const STATUS_TEXT: Record<number, string> = {
  200: "OK",
  202: "Accepted",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  413: "Request Entity Too Large",
  500: "Internal Server Error",
  502: "Bad Gateway",
  504: "Gateway Timeout",
};

/** An error kind as Pebble names them in `result.kind`. */
export type ErrorKind =
  | "login-required"
  | "no-default-services"
  | "not-found"
  | "permission-denied"
  | "generic-file-error"
  | "system-restart"
  | "daemon-restart";

/** A response in Pebble's envelope. */
export class ApiResponse {
  /** The latest warning time, added by the dispatcher to non-error responses. */
  latestWarning?: Date;

  constructor(
    readonly type: "sync" | "async" | "error",
    readonly status: number,
    readonly result: unknown,
    readonly change?: string,
  ) {}

  /** The envelope as JSON text, keys in Pebble's order. */
  body(): string {
    return JSON.stringify({
      type: this.type,
      "status-code": this.status,
      status: STATUS_TEXT[this.status] ?? "",
      change: this.change,
      result: this.result ?? undefined,
      "latest-warning": this.latestWarning?.toISOString(),
    });
  }
}

/** A raw response that bypasses the envelope (for streams: files, logs, metrics). */
export class RawResponse {
  /**
   * `body` is text or bytes (sent at once, with its length), a stream, or a writer that
   * produces the body straight onto the HTTP response (honouring its back-pressure, and
   * free to set a header such as Content-Length before its first write; the caller ends
   * it).
   */
  constructor(
    readonly headers: Record<string, string>,
    readonly body:
      | string
      | Uint8Array
      | ReadableStream<Uint8Array>
      | ((out: HttpResponse) => Promise<void>),
    readonly status = 200,
  ) {}
}

/** A sync response with status 200 (or `status`). */
export function sync(result: unknown, status = 200): ApiResponse {
  return new ApiResponse("sync", status, result);
}

/** An async response (202) naming the change that follows the operation. */
export function async(changeId: string, result?: unknown): ApiResponse {
  return new ApiResponse("async", 202, result, changeId);
}

/** An error response. 401 errors carry the kind `login-required`, as in Pebble. */
export function error(
  status: number,
  message: string,
  kind?: ErrorKind,
  value?: unknown,
): ApiResponse {
  if (status === 401 && !kind) kind = "login-required";
  return new ApiResponse("error", status, { message, kind, value });
}

/** 400 Bad Request. */
export const badRequest = (message: string, kind?: ErrorKind): ApiResponse =>
  error(400, message, kind);
/** 403 Forbidden. */
export const forbidden = (message: string): ApiResponse => error(403, message);
/** 404 Not Found. */
export const notFound = (message: string, kind?: ErrorKind): ApiResponse =>
  error(404, message, kind);
/** 500 Internal Server Error. */
export const internalError = (message: string): ApiResponse => error(500, message);

/** Thrown by request helpers to answer with an error response at once. */
export class ApiError extends Error {
  constructor(readonly response: ApiResponse) {
    super((response.result as { message: string }).message);
  }
}
