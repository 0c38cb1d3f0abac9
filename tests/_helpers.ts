/**
 * Test helpers: start the real daemon (as a subprocess or in-process) on a temp
 * directory, run the CLI, and poll with a deadline.
 *
 * @module
 */

import { tempDir } from "./_tmp.ts";
import { join } from "node:path";
import { Client } from "../mod.ts";
import { Daemon, type DaemonOptions } from "../server/daemon.ts";
import { setLogSink } from "../server/log.ts";

/** The repository root. */
export const ROOT = new URL("..", import.meta.url).pathname;
const MAIN = join(ROOT, "main.ts");

/** Polls `fn` until it returns a truthy value or the deadline passes. */
export async function waitFor<T>(
  fn: () => T | Promise<T>,
  what: string,
  timeoutMs = 10_000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as NonNullable<T>;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${lastError ? `: ${lastError}` : ""}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A daemon started as a subprocess with `pebble run`. */
export interface DaemonProcess {
  dir: string;
  socket: string;
  env: Record<string, string>;
  client: Client;
  proc: Deno.ChildProcess;
  /** Everything the daemon printed so far (stdout and stderr). */
  output(): string;
  /** Sends SIGTERM and returns the exit code. */
  stop(): Promise<number>;
}

/** Writes layer files into `$dir/layers`. */
export async function writeLayers(dir: string, layers: Record<string, string>): Promise<void> {
  await Deno.mkdir(join(dir, "layers"), { recursive: true });
  for (const [name, text] of Object.entries(layers)) {
    const path = join(dir, "layers", name);
    await Deno.mkdir(join(path, ".."), { recursive: true });
    await Deno.writeTextFile(path, text);
  }
}

/** Starts `pebble run` in a temp dir and waits until the socket answers. */
export async function startDaemon(opts: {
  dir?: string;
  args?: string[];
  layers?: Record<string, string>;
  env?: Record<string, string>;
  expectExit?: boolean;
} = {}): Promise<DaemonProcess> {
  const dir = opts.dir ?? await tempDir({ prefix: "pebble-test-" });
  if (opts.layers) await writeLayers(dir, opts.layers);
  const socket = join(dir, ".pebble.socket");
  const env = { PEBBLE: dir, PEBBLE_SOCKET: socket, ...opts.env };
  const proc = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "run", ...(opts.args ?? [])],
    env,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  const decoder = new TextDecoder();
  const pump = async (s: ReadableStream<Uint8Array>) => {
    for await (const chunk of s) text += decoder.decode(chunk, { stream: true });
  };
  const pumps = Promise.all([pump(proc.stdout), pump(proc.stderr)]);
  let exited: number | null = null;
  const status = proc.status.then((s) => (exited = s.code));
  const client = new Client({ socketPath: socket });
  const d: DaemonProcess = {
    dir,
    socket,
    env,
    client,
    proc,
    output: () => text,
    stop: async () => {
      if (exited === null) {
        try {
          proc.kill("SIGTERM");
        } catch { /* already gone */ }
      }
      const code = await status;
      await pumps;
      return code;
    },
  };
  if (opts.expectExit) {
    await status;
    await pumps;
    return d;
  }
  try {
    await waitFor(() => {
      if (exited !== null) throw new Error(`daemon exited with ${exited}: ${text}`);
      return text.includes("Started daemon.");
    }, "the daemon to start");
  } catch (e) {
    await d.stop();
    throw e;
  }
  return d;
}

/** Runs the CLI (`deno run -A main.ts ARGS`) and collects its output. */
export async function runCli(
  args: string[],
  env: Record<string, string>,
  stdin?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const proc = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    env,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const w = proc.stdin.getWriter();
    await w.write(new TextEncoder().encode(stdin));
    await w.close();
  }
  const out = await proc.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** An in-process daemon, for tests that need to reach into its state. */
export async function startInProcess(
  opts: Partial<DaemonOptions> = {},
): Promise<{ daemon: Daemon; client: Client; env: Record<string, string>; dir: string }> {
  setLogSink(() => {});
  const dir = opts.pebbleDir ?? await tempDir({ prefix: "pebble-test-" });
  const socket = join(dir, ".pebble.socket");
  const daemon = await Daemon.create({ pebbleDir: dir, socketPath: socket, ...opts });
  await daemon.start();
  return {
    daemon,
    dir,
    client: new Client({ socketPath: socket }),
    env: { PEBBLE: dir, PEBBLE_SOCKET: socket },
  };
}

/** Raw HTTP over the unix socket, as curl would send it. */
export async function rawRequest(
  socket: string,
  method: string,
  path: string,
  body?: string | Uint8Array,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: Record<string, unknown>; text: string }> {
  const client = Deno.createHttpClient({ proxy: { transport: "unix", path: socket } });
  try {
    const res = await fetch(`http://localhost${path}`, {
      method,
      body,
      headers,
      client,
    } as RequestInit);
    const text = await res.text();
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(text);
    } catch { /* not JSON */ }
    return { status: res.status, json, text };
  } finally {
    client.close();
  }
}

/** Runs `fn` with a fresh daemon and a scratch directory, and removes both after. */
export async function withDaemonAndDir(
  fn: (d: DaemonProcess, dir: string) => Promise<void>,
): Promise<void> {
  const d = await startDaemon();
  const dir = await tempDir({ prefix: "pebble-files-" });
  try {
    await fn(d, dir);
  } finally {
    await d.stop();
    await Deno.remove(dir, { recursive: true });
  }
}

/** Whether the tests run as root (needed to act as another user). */
export const IS_ROOT = Deno.uid() === 0;

/**
 * Runs curl against the daemon's `socket` as the user nobody (UID and GID 65534, through
 * setpriv; needs root): `method path` with `body` if given and any other curl `args`;
 * returns what curl printed.
 */
export async function curlAsNobody(
  socket: string,
  method: string,
  path: string,
  opts: { body?: string; args?: string[] } = {},
): Promise<string> {
  const args = ["--reuid=65534", "--regid=65534", "--clear-groups", "curl", "-s"];
  args.push("--unix-socket", socket, "-X", method, ...(opts.args ?? []));
  if (opts.body !== undefined) args.push("-d", opts.body);
  args.push(`http://localhost${path}`);
  const out = await new Deno.Command("setpriv", { args, stdout: "piped" }).output();
  return new TextDecoder().decode(out.stdout);
}

/** The files process `pid` has open under `dir` (a deleted one ends in " (deleted)"). */
export function openFilesUnder(pid: number, dir: string): string[] {
  const open = [];
  for (const e of Deno.readDirSync(`/proc/${pid}/fd`)) {
    try {
      const target = Deno.readLinkSync(`/proc/${pid}/fd/${e.name}`);
      if (target.startsWith(dir)) open.push(target);
    } catch { /* closed meanwhile */ }
  }
  return open;
}
