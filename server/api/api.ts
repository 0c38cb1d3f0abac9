/**
 * The HTTP API: the route table, access checks and the envelope, in one place.
 *
 * Each route declares the access level of its reads (GET) and writes (POST/PUT) as
 * Pebble's API table does. The dispatcher answers 405 for a method a route lacks, 401
 * `access denied` (kind `login-required`) when the caller's level is too low, 404
 * `invalid API endpoint requested` for unknown paths, and logs each request the way
 * Pebble does.
 *
 * @module
 */

import { Hono } from "hono";
import type { Context } from "hono";
import { ApiError, ApiResponse, error, RawResponse } from "./response.ts";
import type { ApiDeps, ApiRequest, User } from "./context.ts";
import { formatDuration } from "../../plan/mod.ts";
import { logNotice } from "../log.ts";
import { changeRoutes } from "./changes.ts";
import { planRoutes } from "./plan.ts";
import { systemRoutes } from "./system.ts";
import { noticeRoutes } from "./notices.ts";

/** Who may call an endpoint. */
export type Access = "open" | "user" | "admin" | "metrics";

/** A handler: returns an envelope response, or a raw one for streams. */
export type Handler = (req: ApiRequest) => Promise<ApiResponse | RawResponse> | ApiResponse;

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

/** What the HTTP layer knows about a connection. */
export interface ConnInfo {
  transport: "http+unix" | "http";
  uid: number | null;
}

/** The env hono's node adapter hands to handlers. */
export interface NodeEnv {
  Bindings: { incoming: { socket: unknown }; conn?: ConnInfo };
}

/** Reads the connection info tagged on the socket at accept time. */
function connOf(c: Context<NodeEnv>): ConnInfo {
  // deno-lint-ignore no-explicit-any
  const socket = c.env?.incoming?.socket as any;
  return socket?.pebbleConn ?? { transport: "http", uid: null };
}

function userOf(conn: ConnInfo, deps: ApiDeps): User | null {
  if (conn.uid === null) return null;
  const admin = conn.uid === 0 || conn.uid === deps.daemonUid;
  return { uid: conn.uid, access: admin ? "admin" : "read" };
}

function allowed(access: Access, user: User | null, conn: ConnInfo): boolean {
  if (access === "open") return true;
  if (!user || conn.transport !== "http+unix") return false;
  if (access === "admin") return user.access === "admin";
  return user.access === "admin" || user.access === "read" ||
    (access === "metrics" && user.access === "metrics");
}

function toResponse(r: ApiResponse): Response {
  return new Response(r.body(), {
    status: r.status,
    headers: { "content-type": "application/json" },
  });
}

/** Checks that every %-escape in the query decodes, as a malformed query is a 400. */
function queryProblem(url: string): string | null {
  const q = url.indexOf("?");
  if (q < 0) return null;
  for (const part of url.slice(q + 1).split("&")) {
    try {
      decodeURIComponent(part.replace(/\+/g, " "));
    } catch {
      return `invalid query parameter ${JSON.stringify(part)}`;
    }
  }
  return null;
}

const UNLOGGED = new Set(["/v1/system-info", "/v1/health"]);

/** Every route of the API, area by area. */
export function allRoutes(): Route[] {
  return [...systemRoutes, ...changeRoutes, ...planRoutes, ...noticeRoutes];
}

/** Builds the hono app that serves the API for a daemon. */
export function buildApi(deps: ApiDeps, routes: Route[] = allRoutes()): Hono<NodeEnv> {
  const app = new Hono<NodeEnv>();
  for (const route of routes) {
    app.all(route.path, async (c) => {
      const started = performance.now();
      const conn = connOf(c);
      const res = await dispatch(route, c, conn, deps);
      const path = c.req.path;
      const logged = !(c.req.method === "GET" &&
        (UNLOGGED.has(path) || /^\/v1\/changes\/[^/]+$/.test(path)));
      if (logged) {
        const url = c.req.url.slice(c.req.url.indexOf(path));
        const took = formatDuration(Math.round((performance.now() - started) * 1e6));
        logNotice(`${c.req.method} ${url} ${took} ${res.status} (${conn.transport})`);
      }
      return res;
    });
  }
  app.notFound(() => toResponse(error(404, "invalid API endpoint requested")));
  app.onError((e) => {
    logNotice(`internal error: ${e.stack ?? e}`);
    return toResponse(error(500, `internal error: ${e.message}`));
  });
  return app;
}

async function dispatch(
  route: Route,
  c: Context<NodeEnv>,
  conn: ConnInfo,
  deps: ApiDeps,
): Promise<Response> {
  const method = c.req.method;
  const handler = method === "GET"
    ? route.GET
    : method === "POST"
    ? route.POST
    : method === "PUT"
    ? route.PUT
    : undefined;
  if (!handler) return toResponse(error(405, `method "${method}" not allowed`));
  const access = (method === "GET" ? route.read : route.write) ?? "admin";
  const user = access === "open" ? null : userOf(conn, deps);
  if (!allowed(access, user, conn)) return toResponse(error(401, "access denied"));
  const problem = queryProblem(c.req.url);
  if (problem) return toResponse(error(400, problem));
  const url = new URL(c.req.url);
  const req: ApiRequest = {
    deps,
    user,
    conn,
    method,
    path: c.req.path,
    params: c.req.param() as Record<string, string>,
    query: url.searchParams,
    raw: c.req.raw,
    json: () => readJson(c.req.raw),
  };
  let res: ApiResponse | RawResponse;
  try {
    res = await handler(req);
  } catch (e) {
    if (e instanceof ApiError) res = e.response;
    else throw e;
  }
  if (res instanceof RawResponse) return res.response;
  if (res.type !== "error" && deps.state.latestWarning) {
    res.latestWarning = deps.state.latestWarning;
  }
  return toResponse(res);
}

/** Reads a JSON body with a size limit: 413 when too large, 400 when malformed. */
async function readJson(raw: Request): Promise<unknown> {
  const declared = Number(raw.headers.get("content-length") ?? "0");
  if (declared > MAX_JSON_BODY) {
    throw new ApiError(error(413, `request body too large (limit ${MAX_JSON_BODY} bytes)`));
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (raw.body) {
    for await (const chunk of raw.body) {
      size += chunk.length;
      if (size > MAX_JSON_BODY) {
        throw new ApiError(error(413, `request body too large (limit ${MAX_JSON_BODY} bytes)`));
      }
      chunks.push(chunk);
    }
  }
  const bytes = new Uint8Array(size);
  let off = 0;
  for (const ch of chunks) {
    bytes.set(ch, off);
    off += ch.length;
  }
  const text = new TextDecoder().decode(bytes);
  if (text.trim() === "") throw new ApiError(error(400, "cannot decode request body: EOF"));
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ApiError(error(400, `cannot decode request body: ${(e as Error).message}`));
  }
}
