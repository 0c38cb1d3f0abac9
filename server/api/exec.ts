/**
 * `POST /v1/exec` and the exec WebSockets, `GET /v1/tasks/{task-id}/websocket/{id}`
 * (served from the HTTP server's upgrade listener; a plain GET gets the handshake error).
 *
 * @module
 */

import type { HttpRequest } from "../http_server.ts";
import type { Duplex } from "node:stream";
import { accessAllowed, type ConnInfo, type Route } from "./api.ts";
import type { ApiDeps } from "./context.ts";
import { jsonObject } from "./context.ts";
import { ApiResponse, async, badRequest, error, notFound } from "./response.ts";
import { parseDuration } from "../../plan/mod.ts";
import { type ExecRequest, ExecSetupError, prepareExec } from "../exec/setup.ts";
import { acceptWebSocket, handshakeProblem } from "../exec/websocket.ts";
import { logNotice } from "../log.ts";

const WEBSOCKET_PATH = /^\/v1\/tasks\/([^/]+)\/websocket\/([^/]+)$/;

function optionalInt(v: unknown, name: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v)) {
    throw new ExecSetupError(
      400,
      `cannot decode request body: field "${name}" must be an integer`,
    );
  }
  return v;
}

function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (v === undefined || v === null) return out;
  for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
    if (typeof val !== "string") {
      throw new ExecSetupError(
        400,
        `cannot decode request body: environment value of ${JSON.stringify(k)} must be a string`,
      );
    }
    out[k] = val;
  }
  return out;
}

/** Routes of this area. */
export const execRoutes: Route[] = [
  {
    path: "/v1/exec",
    write: "admin",
    POST: async (req) => {
      const { deps } = req;
      if (!deps.exec) return notFound("invalid API endpoint requested");
      const body = await jsonObject(req, {
        command: "array",
        "service-context": "string",
        environment: "object",
        "working-dir": "string",
        timeout: "string",
        "user-id": "number",
        user: "string",
        "group-id": "number",
        group: "string",
        terminal: "boolean",
        interactive: "boolean",
        "split-stderr": "boolean",
        width: "number",
        height: "number",
      });
      try {
        const command = (body.command as unknown[] | undefined) ?? [];
        if (command.some((c) => typeof c !== "string")) {
          return badRequest("cannot decode request body: command items must be strings");
        }
        if (command.length < 1) return badRequest("must specify command");
        let timeout = 0;
        if (typeof body.timeout === "string" && body.timeout !== "") {
          try {
            timeout = parseDuration(body.timeout);
          } catch (e) {
            return badRequest(`invalid timeout: ${(e as Error).message}`);
          }
        }
        const request: ExecRequest = {
          command: command as string[],
          serviceContext: (body["service-context"] as string) ?? "",
          environment: stringMap(body.environment),
          workingDir: (body["working-dir"] as string) ?? "",
          timeout,
          userId: optionalInt(body["user-id"], "user-id"),
          user: (body.user as string) ?? "",
          groupId: optionalInt(body["group-id"], "group-id"),
          group: (body.group as string) ?? "",
          terminal: body.terminal === true,
          interactive: body.interactive === true,
          splitStderr: body["split-stderr"] === true,
          width: Number(body.width ?? 0) | 0,
          height: Number(body.height ?? 0) | 0,
        };
        const setup = prepareExec(request, deps.plan.plan());
        const { change, task } = deps.exec.start(setup);
        await deps.state.commit();
        logNotice(`Executing command ${setup.command[0]} (task ${task.id})`);
        return async(change.id, {
          environment: setup.environment,
          "task-id": task.id,
          "working-dir": setup.workingDir,
        });
      } catch (e) {
        if (e instanceof ExecSetupError) return error(e.status, e.message);
        throw e;
      }
    },
  },
  {
    // Without an upgrade this can only answer why it is not a WebSocket handshake.
    path: "/v1/tasks/:taskId/websocket/:websocketId",
    read: "admin",
    GET: ({ deps, params }) => {
      const task = deps.state.task(params.taskId);
      if (!task) return notFound(`cannot find task ${JSON.stringify(params.taskId)}`);
      if (task.kind !== "exec") {
        return badRequest(`${JSON.stringify(task.kind)} tasks do not have websockets`);
      }
      return badRequest(
        "websocket: the client is not using the websocket protocol: 'upgrade' token not found in 'Connection' header",
      );
    },
  },
];

const STATUS_TEXT: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  404: "Not Found",
  405: "Method Not Allowed",
  500: "Internal Server Error",
};

function refuse(socket: Duplex, r: ApiResponse): void {
  const body = r.body();
  const head = `HTTP/1.1 ${r.status} ${STATUS_TEXT[r.status] ?? ""}\r\n` +
    "Content-Type: application/json\r\n" +
    `Content-Length: ${new TextEncoder().encode(body).length}\r\n` +
    "Connection: close\r\n\r\n";
  try {
    socket.end(head + body);
  } catch { /* gone */ }
}

/**
 * The HTTP server's upgrade listener: WebSocket handshakes for exec tasks (admin access,
 * as the route table says); anything else is answered with an error and closed.
 */
export function upgradeListener(
  deps: ApiDeps,
): (req: HttpRequest, socket: Duplex, head: Uint8Array) => void {
  return (req, socket, head) => {
    socket.on("error", () => {});
    let url = req.url;
    if (url[0] !== "/") url = url.replace(/^[a-z]+:\/\/[^/]*/i, "") || "/";
    const path = url.split("?")[0];
    const m = WEBSOCKET_PATH.exec(path);
    // deno-lint-ignore no-explicit-any
    const conn: ConnInfo = (req.socket as any).pebbleConn ?? { transport: "http", uid: null };
    const started = performance.now();
    const log = (status: number) => {
      const ms = (performance.now() - started).toFixed(3);
      logNotice(`${req.method} ${url} ${ms}ms ${status} (${conn.transport})`);
    };
    if (!m) {
      refuse(socket, error(404, "invalid API endpoint requested"));
      log(404);
      return;
    }
    if (req.method !== "GET") {
      refuse(socket, error(405, `method "${req.method}" not allowed`));
      log(405);
      return;
    }
    if (!accessAllowed("admin", conn, deps, req.headers)) {
      refuse(socket, error(401, "access denied"));
      log(401);
      return;
    }
    const [, taskId, wsId] = m.map(decodeURIComponent);
    const task = deps.state.task(taskId);
    if (!task) {
      logNotice(`Websocket: cannot find task ${JSON.stringify(taskId)}`);
      refuse(socket, notFound(`cannot find task ${JSON.stringify(taskId)}`));
      log(404);
      return;
    }
    if (task.kind !== "exec" || !deps.exec) {
      logNotice(`Websocket ${task.id}: ${JSON.stringify(task.kind)} tasks do not have websockets`);
      refuse(socket, badRequest(`${JSON.stringify(task.kind)} tasks do not have websockets`));
      log(400);
      return;
    }
    const problem = handshakeProblem(req);
    if (problem) {
      refuse(socket, badRequest(problem));
      log(400);
      return;
    }
    const gone = new AbortController();
    const onClose = () => gone.abort();
    socket.once("close", onClose);
    deps.exec.connect(task, wsId, () => acceptWebSocket(req, socket, head), gone.signal).then(
      (refusal) => {
        socket.off("close", onClose);
        if (refusal) {
          if (refusal.status !== 404) {
            logNotice(
              `Websocket ${task.id}: cannot connect to ${wsId} websocket: ${refusal.message}`,
            );
          }
          refuse(socket, error(refusal.status, refusal.message));
          log(refusal.status);
        } else {
          log(101);
        }
      },
      (e) => {
        socket.off("close", onClose);
        logNotice(`Websocket ${task.id}: cannot connect to ${wsId} websocket: ${e?.message ?? e}`);
        socket.destroy();
      },
    );
  };
}
