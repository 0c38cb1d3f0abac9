/**
 * Turning a `POST /v1/exec` request into what runs: Pebble's checks in Pebble's order,
 * the service context, the environment (the daemon's, minus `HOME`/`USER` for another
 * user, the request's on top, then `PATH`, `HOME`, `USER` and `LANG` defaults) and the
 * working directory (`$HOME`, else `/`).
 *
 * @module
 */

import { mergeServiceContext, type Plan } from "../../plan/mod.ts";
import { lookPath, SpawnError } from "../process/spawn.ts";
import { lookupUser, resolveUserGroup } from "../process/user.ts";

/** The request body of `POST /v1/exec`, with Go's zero values for what was left out. */
export interface ExecRequest {
  command: string[];
  serviceContext: string;
  environment: Record<string, string>;
  workingDir: string;
  /** Nanoseconds; 0 for none. */
  timeout: number;
  userId?: number;
  user: string;
  groupId?: number;
  group: string;
  terminal: boolean;
  interactive: boolean;
  splitStderr: boolean;
  width: number;
  height: number;
}

/** Everything needed to run the command, as Pebble's `execSetup`. */
export interface ExecSetup {
  /** The command; `command[0]` as given. */
  command: string[];
  /** The executable found for `command[0]`. */
  program: string;
  environment: Record<string, string>;
  workingDir: string;
  timeout: number;
  uid?: number;
  gid?: number;
  terminal: boolean;
  interactive: boolean;
  splitStderr: boolean;
  width: number;
  height: number;
}

/** A request Pebble refuses: `status` 400 or 500, with its message. */
export class ExecSetupError extends Error {
  /** The HTTP status of the refusal. */
  readonly status: number;
  /** Creates the error. */
  constructor(status: number, message: string) {
    super(message);
    this.name = "ExecSetupError";
    this.status = status;
  }
}

const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** Checks a request and computes its setup; throws {@linkcode ExecSetupError}. */
export function prepareExec(req: ExecRequest, plan: Plan): ExecSetup {
  if (req.command.length < 1) throw new ExecSetupError(400, "must specify command");
  let program: string;
  try {
    program = lookPath(req.command[0]);
    if (req.command[0].includes("/")) {
      const st = Deno.statSync(program);
      if (!st.isFile || ((st.mode ?? 0o755) & 0o111) === 0) throw new SpawnError("not executable");
    }
  } catch {
    throw new ExecSetupError(400, `cannot find executable ${JSON.stringify(req.command[0])}`);
  }
  let merged;
  try {
    merged = mergeServiceContext(plan, req.serviceContext, {
      environment: req.environment,
      userId: req.userId,
      user: req.user,
      groupId: req.groupId,
      group: req.group,
      workingDir: req.workingDir,
    });
  } catch (e) {
    throw new ExecSetupError(400, (e as Error).message);
  }
  let ids;
  try {
    ids = resolveUserGroup(merged);
  } catch (e) {
    throw new ExecSetupError(400, (e as Error).message);
  }
  if (req.interactive && !req.terminal) {
    throw new ExecSetupError(
      500,
      "cannot call exec: cannot use interactive mode without a terminal",
    );
  }

  const env = Deno.env.toObject();
  const myUid = Deno.uid() ?? 0;
  if (ids && ids.uid !== myUid) {
    delete env.HOME;
    delete env.USER;
  }
  Object.assign(env, merged.environment);
  if (!Object.hasOwn(env, "PATH")) env.PATH = DEFAULT_PATH;
  if (!env.HOME || !env.USER) {
    const uid = ids ? ids.uid : myUid;
    const u = lookupUser({ uid });
    if (u) {
      if (!env.HOME) env.HOME = u.home;
      if (!env.USER) env.USER = u.name;
    }
  }
  if (!Object.hasOwn(env, "LANG")) env.LANG = "C.UTF-8";

  let workingDir = merged.workingDir;
  let dirName = "working directory";
  if (workingDir === "") {
    workingDir = env.HOME ?? "";
    dirName = "home directory";
  }
  if (workingDir === "") {
    workingDir = "/";
  } else {
    let st: Deno.FileInfo;
    try {
      st = Deno.statSync(workingDir);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) {
        throw new ExecSetupError(
          500,
          `cannot call exec: ${dirName} ${JSON.stringify(workingDir)} does not exist`,
        );
      }
      throw new ExecSetupError(
        500,
        `cannot call exec: cannot stat ${dirName} ${JSON.stringify(workingDir)}: ${
          (e as Error).message
        }`,
      );
    }
    if (!st.isDirectory) {
      throw new ExecSetupError(
        500,
        `cannot call exec: ${dirName} ${JSON.stringify(workingDir)} not a directory`,
      );
    }
  }

  return {
    command: req.command,
    program,
    environment: env,
    workingDir,
    timeout: req.timeout,
    uid: ids?.uid,
    gid: ids?.gid,
    terminal: req.terminal,
    interactive: req.interactive,
    splitStderr: req.splitStderr,
    width: req.width,
    height: req.height,
  };
}
