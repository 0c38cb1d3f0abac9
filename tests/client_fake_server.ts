// A tiny fake Pebble daemon for client unit tests: answers canned responses on a unix
// socket (or TCP port) in a temp dir and records the requests it received.

import { tempDir } from "./_tmp.ts";
import { concatBytes } from "../client/_bytes.ts";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";

/** A request the fake server received. */
export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage["headers"];
  body: string;
}

/** What a route answers: a status, a body (objects are sent as JSON), headers. */
export interface CannedResponse {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Never answer (to test timeouts). */
  hang?: boolean;
}

export type Route = (req: RecordedRequest) => CannedResponse | Promise<CannedResponse>;

/** Builds a sync envelope as Pebble sends it. */
export function sync(result: unknown, extra: Record<string, unknown> = {}): CannedResponse {
  return { body: { type: "sync", "status-code": 200, status: "OK", result, ...extra } };
}

/** Builds an error envelope as Pebble sends it. */
export function apiError(
  status: number,
  statusText: string,
  message: string,
  kind?: string,
  value?: unknown,
): CannedResponse {
  const result: Record<string, unknown> = { message };
  if (kind) result.kind = kind;
  if (value !== undefined) result.value = value;
  return { status, body: { type: "error", "status-code": status, status: statusText, result } };
}

export class FakePebble {
  readonly requests: RecordedRequest[] = [];
  readonly dir: string;
  readonly socketPath: string;
  #server: Server;
  #routes = new Map<string, Route>();
  #hanging: ServerResponse[] = [];

  private constructor(dir: string, server: Server) {
    this.dir = dir;
    this.socketPath = `${dir}/.pebble.socket`;
    this.#server = server;
  }

  /** Starts a fake daemon on a unix socket, or on a TCP port when `tcp` is true. */
  static async start(options: { tcp?: boolean } = {}): Promise<FakePebble> {
    const dir = await tempDir({ prefix: "pebble-client-test-" });
    const holder: { fake?: FakePebble } = {};
    const server = createServer((req, res) => holder.fake!.#handle(req, res));
    const fake = holder.fake = new FakePebble(dir, server);
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      if (options.tcp) server.listen(0, "127.0.0.1", () => resolve());
      else server.listen(fake.socketPath, () => resolve());
    });
    return fake;
  }

  /** The base URL of a TCP fake. */
  get url(): string {
    const addr = this.#server.address();
    if (addr === null || typeof addr === "string") throw new Error("not a TCP server");
    return `http://127.0.0.1:${addr.port}`;
  }

  /** Answers `METHOD /path` (path without the query) with `route`. */
  on(method: string, path: string, route: Route | CannedResponse): this {
    this.#routes.set(`${method} ${path}`, typeof route === "function" ? route : () => route);
    return this;
  }

  /** The JSON bodies of the requests received, in order. */
  jsonBodies(): unknown[] {
    return this.requests.filter((r) => r.body !== "").map((r) => JSON.parse(r.body));
  }

  async close(): Promise<void> {
    for (const res of this.#hanging) res.destroy();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    await Deno.remove(this.dir, { recursive: true });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Uint8Array[] = [];
    req.on("data", (c: Uint8Array) => chunks.push(c));
    req.on("end", async () => {
      const url = new URL(req.url ?? "/", "http://localhost");
      const recorded: RecordedRequest = {
        method: req.method ?? "",
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body: new TextDecoder().decode(concatBytes(chunks)),
      };
      this.requests.push(recorded);
      const route = this.#routes.get(`${recorded.method} ${recorded.path}`);
      const canned = route
        ? await route(recorded)
        : apiError(404, "Not Found", "not found", "not-found");
      if (canned.hang) {
        this.#hanging.push(res);
        return;
      }
      const body = typeof canned.body === "string" ? canned.body : JSON.stringify(canned.body);
      res.writeHead(canned.status ?? 200, {
        "Content-Type": "application/json",
        ...canned.headers,
      });
      res.end(body);
    });
  }
}
