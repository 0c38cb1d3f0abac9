/**
 * The HTTP API: the route table, access checks and the envelope, in one place.
 *
 * Each route declares the access level of its reads (GET) and writes (POST/PUT) as
 * Pebble's API table does. The dispatcher answers 405 for a method a route lacks, 401
 * `access denied` (kind `login-required`) when the caller's level is too low, 404
 * `invalid API endpoint requested` for unknown paths, and logs each request the way
 * Pebble does.
 *
 * It serves the daemon's own HTTP server (`../http_server.ts`) and routes with hono's
 * trie router; no Request/Response objects are made on the hot path.
 *
 * @module
 */

import type { HttpRequest, HttpResponse, RequestHeaders } from "../http_server.ts";
import { TrieRouter } from "hono/router/trie-router";
import { ApiError, ApiResponse, error, RawResponse } from "./response.ts";
import type { ApiDeps, ApiRequest, User } from "./context.ts";
import { formatDuration } from "../../plan/duration.ts";
import { logNotice } from "../log.ts";
import { concatBytes } from "../../client/_bytes.ts";
import { decodeFirstValue } from "../go_json.ts";
import { changeRoutes } from "./changes.ts";
import { planRoutes } from "./plan.ts";
import { systemRoutes } from "./system.ts";
import { noticeRoutes } from "./notices.ts";
import { fileRoutes } from "./files.ts";
import { execRoutes } from "./exec.ts";
import { serviceRoutes } from "./services.ts";
import { logRoutes } from "./logs.ts";
import { checkRoutes } from "./checks.ts";
import { identityRoutes } from "./identities.ts";
import { metricsRoutes } from "./metrics.ts";

/** Who may call an endpoint. */
export type Access = "open" | "user" | "admin" | "metrics";

/** A handler: returns an envelope response, or a raw one (files, logs, metrics). */
export type Handler = (
  req: ApiRequest,
) => Promise<ApiResponse | RawResponse> | ApiResponse | RawResponse;

/** One entry of the API table. */
export interface Route {
  path: string;
  read?: Access;
  write?: Access;
  GET?: Handler;
  POST?: Handler;
  PUT?: Handler;
}

/** Maximum size of a JSON request body. */
export const MAX_JSON_BODY = 16 * 1024 * 1024;

/** What the HTTP layer knows about a connection (tagged on the socket at accept). */
export interface ConnInfo {
  transport: "http+unix" | "http";
  uid: number | null;
}

/**
 * Who the caller is, as Pebble's userFromRequest decides: HTTP Basic credentials that
 * match a `basic` identity, else a unix-socket UID that matches a `local` identity; with
 * no match, root and the daemon's UID are admins and other local users may read.
 * Credentials that do not match fall back to those defaults, as in Pebble.
 */
function userOf(conn: ConnInfo, deps: ApiDeps, headers: RequestHeaders): User | null {
  const ids = deps.identities;
  if (ids && ids.size > 0) {
    const auth = headers.authorization;
    let basic: [string, string] | null = null;
    if (typeof auth === "string") {
      const known = ids.verifiedHeader(auth);
      if (known) return { uid: null, access: known.identity.access, username: known.name };
      basic = basicAuth(auth);
    }
    if (basic) {
      const found = ids.fromBasicHeader(auth as string, basic[0], basic[1]);
      if (found) return { uid: null, access: found.identity.access, username: found.name };
    } else if (conn.uid !== null) {
      const found = ids.fromUid(conn.uid);
      if (found) return { uid: conn.uid, access: found.identity.access, username: found.name };
    }
  }
  if (conn.uid === null) return null;
  const admin = conn.uid === 0 || conn.uid === deps.daemonUid;
  return { uid: conn.uid, access: admin ? "admin" : "read" };
}

/** Go's Request.BasicAuth: `Basic base64(user:password)`; null when absent or empty. */
function basicAuth(header: string): [string, string] | null {
  if (header.length < 6 || header.slice(0, 6).toLowerCase() !== "basic ") return null;
  let decoded: string;
  try {
    decoded = Buffer.from(header.slice(6), "base64").toString("utf8");
  } catch {
    return null;
  }
  const colon = decoded.indexOf(":");
  if (colon < 0) return null;
  const user = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1);
  return user === "" && password === "" ? null : [user, password];
}

/** Whether a caller on `conn` may use an endpoint of level `access` (for upgrades). */
export function accessAllowed(
  access: Access,
  conn: ConnInfo,
  deps: ApiDeps,
  headers: RequestHeaders = {},
): boolean {
  return allowed(access, access === "open" ? null : userOf(conn, deps, headers), conn);
}

/** Pebble's access checkers (daemon/access.go). */
function allowed(access: Access, user: User | null, conn: ConnInfo): boolean {
  if (access === "open") return true;
  if (!user) return false;
  // Over plain HTTP only a `metrics` identity may read metrics (Basic auth is clear text).
  if (conn.transport !== "http+unix") return access === "metrics" && user.access === "metrics";
  if (access === "admin") return user.access === "admin";
  return user.access === "admin" || user.access === "read" ||
    (access === "metrics" && user.access === "metrics");
}

/** A `%` not followed by two hex digits: what makes Go's query parsing fail. */
/** What makes Go's query parser drop a pair: a bad escape, or a `;` (Go 1.17 and later). */
const DROPPED_PAIR = /%(?![0-9A-Fa-f]{2})|;/;

/**
 * The query without the pairs Go refuses: Pebble reads `r.URL.Query()`, which drops them
 * silently (so `path=%zz` is as if no path was given, and `action=list;path=/` as if
 * neither was).
 */
function goQuery(query: string): string {
  if (!DROPPED_PAIR.test(query)) return query;
  return query.split("&").filter((p) => !DROPPED_PAIR.test(p)).join("&");
}

const UNLOGGED = new Set(["/v1/system-info", "/v1/health"]);
/** Paths whose route matches are remembered (the cache starts over when full). */
const MATCH_CACHE = 512;
const NOT_FOUND = error(404, "invalid API endpoint requested");

/** Every route of the API, area by area. */
export function allRoutes(): Route[] {
  return [
    ...systemRoutes,
    ...changeRoutes,
    ...planRoutes,
    ...noticeRoutes,
    ...fileRoutes,
    ...execRoutes,
    ...serviceRoutes,
    ...logRoutes,
    ...checkRoutes,
    ...identityRoutes,
    ...metricsRoutes,
  ];
}

/** The request listener serving the API for a daemon. */
export type ApiListener = (req: HttpRequest, res: HttpResponse) => void;

/** Builds the request listener that serves the API for a daemon. */
export function buildApi(deps: ApiDeps, routes: Route[] = allRoutes()): ApiListener {
  const router = new TrieRouter<Route>();
  for (const route of routes) router.add("ALL", route.path, route);
  // Clients ask for the same few paths over and over: remember what they matched.
  const matched = new Map<string, [Route, Record<string, string>][]>();
  const match = (path: string) => {
    let m = matched.get(path);
    if (!m) {
      m = (router.match("ALL", path) as [[Route, Record<string, string>][]])[0];
      if (matched.size >= MATCH_CACHE) matched.clear();
      matched.set(path, m);
    }
    return m;
  };
  return (req, res) => {
    const started = performance.now();
    let url = req.url;
    // Clients that reach the socket through a "proxy" transport send absolute URLs.
    if (url[0] !== "/") url = url.replace(/^[a-z]+:\/\/[^/]*/i, "") || "/";
    const q = url.indexOf("?");
    const path = q < 0 ? url : url.slice(0, q);
    // deno-lint-ignore no-explicit-any
    const conn: ConnInfo = (req.socket as any).pebbleConn ?? { transport: "http", uid: null };
    const matches = match(path);
    const finish = (status: number) => {
      const logged = !(req.method === "GET" &&
        (UNLOGGED.has(path) || /^\/v1\/changes\/[^/]+$/.test(path)));
      if (logged) {
        const nanos = Math.round((performance.now() - started) * 1e6);
        logNotice(() =>
          `${req.method} ${url} ${formatDuration(nanos)} ${status} (${conn.transport})`
        );
      }
    };
    if (matches.length === 0) {
      send(res, NOT_FOUND);
      finish(404);
      return;
    }
    const [route, params] = matches[0];
    const reply = (r: ApiResponse | RawResponse) => {
      if (r instanceof ApiResponse) {
        if (r.type !== "error" && deps.state.latestWarning) {
          r.latestWarning = deps.state.latestWarning;
        }
        send(res, r);
        finish(r.status);
        return;
      }
      const body = r.body;
      res.statusCode = r.status;
      for (const name in r.headers) res.setHeader(name, r.headers[name]);
      if (typeof body === "string" || body instanceof Uint8Array) {
        res.end(body);
        finish(r.status);
        return;
      }
      sendStream(res, body).then(() => finish(r.status), (e) => {
        logNotice(`cannot write response: ${e?.message ?? e}`);
        res.destroy();
      });
    };
    const failed = (e: unknown) => reply(e instanceof ApiError ? e.response : internal(e));
    let result;
    try {
      result = dispatch(route, params, req, res, conn, deps, q < 0 ? "" : url.slice(q + 1));
    } catch (e) {
      failed(e);
      return;
    }
    // Most handlers answer at once; only the others pay for a promise.
    if (result instanceof Promise) result.then(reply, failed);
    else reply(result);
  };
}

function internal(e: unknown): ApiResponse {
  logNotice(`internal error: ${(e as Error)?.stack ?? e}`);
  return error(500, `internal error: ${(e as Error)?.message ?? e}`);
}

function send(res: HttpResponse, r: ApiResponse): void {
  if (res.headersSent || res.destroyed) return;
  res.statusCode = r.status;
  res.setHeader("content-type", "application/json");
  res.end(r.body());
}

/** Sends a raw response's streamed body (its status and headers are set). */
async function sendStream(
  res: HttpResponse,
  body: ReadableStream<Uint8Array> | ((out: HttpResponse) => Promise<void>),
): Promise<void> {
  if (typeof body === "function") {
    await body(res);
  } else {
    for await (const chunk of body) {
      if (!res.write(chunk)) await new Promise((ok) => res.once("drain", ok));
    }
  }
  res.end();
}

function dispatch(
  route: Route,
  params: Record<string, string>,
  req: HttpRequest,
  res: HttpResponse,
  conn: ConnInfo,
  deps: ApiDeps,
  rawQuery: string,
): ApiResponse | RawResponse | Promise<ApiResponse | RawResponse> {
  const method = req.method;
  const handler = method === "GET"
    ? route.GET
    : method === "POST"
    ? route.POST
    : method === "PUT"
    ? route.PUT
    : undefined;
  if (!handler) return error(405, `method "${method}" not allowed`);
  const access = (method === "GET" ? route.read : route.write) ?? "admin";
  const user = access === "open" ? null : userOf(conn, deps, req.headers);
  if (!allowed(access, user, conn)) return error(401, "access denied");
  let controller: AbortController | undefined;
  let query: URLSearchParams | undefined;
  const request: ApiRequest = {
    deps,
    user,
    conn,
    method,
    params,
    get query() {
      return query ??= new URLSearchParams(goQuery(rawQuery));
    },
    headers: req.headers,
    get signal() {
      if (!controller) {
        const c = controller = new AbortController();
        const socket = req.socket;
        // Gone, or shut down its side (Go cancels the request's context on that EOF too;
        // the answer can still be written).
        if (res.writableEnded || socket.destroyed || socket.readableEnded) c.abort();
        else {
          const abort = () => {
            socket.off("end", abort);
            c.abort();
          };
          res.once("close", abort);
          socket.once("end", abort);
        }
      }
      return controller.signal;
    },
    body: () => req,
    json: () => readJson(req),
  };
  return handler(request);
}

const tooLarge = () =>
  new ApiError(error(413, `request body too large (limit ${MAX_JSON_BODY} bytes)`));

/** Reads a JSON body with a size limit: 413 when too large, 400 when malformed. */
async function readJson(req: HttpRequest): Promise<unknown> {
  if (Number(req.headers["content-length"] ?? 0) > MAX_JSON_BODY) {
    req.resume();
    throw tooLarge();
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_JSON_BODY) {
      req.resume();
      throw tooLarge();
    }
    chunks.push(chunk);
  }
  try {
    return decodeFirstValue(concatBytes(chunks));
  } catch (e) {
    throw new ApiError(error(400, `cannot decode request body: ${(e as Error).message}`));
  }
}
