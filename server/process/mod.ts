/**
 * Processes for services, exec and checks: spawning in a new session and process
 * group with environment, working directory and user/group; exit statuses; killing a
 * whole group; reaping orphans when the daemon is PID 1 or a subreaper.
 *
 * ```ts
 * import { identityFor, spawnProcess, terminateGroup } from "./server/process/mod.ts";
 * const { user, env } = identityFor({ user: "nobody" }, { APP: "1" });
 * const p = spawnProcess({ argv: ["sleep", "60"], env, user, stdout: "null", stderr: "null" });
 * await terminateGroup(p.pid, p.status, 5000); // SIGTERM, then SIGKILL after 5 s
 * ```
 *
 * @module
 */

export {
  type ExitStatus,
  forgetChild,
  growPipe,
  identityFor,
  isOwnChild,
  killGroup,
  killProcess,
  lookPath,
  setsidPath,
  type SpawnedProcess,
  SpawnError,
  type SpawnOptions,
  spawnProcess,
  terminateGroup,
  trackChild,
} from "./spawn.ts";
export {
  lookupGroup,
  lookupUser,
  type PasswdEntry,
  resolveUserGroup,
  type UserGroup,
  UserGroupError,
  type UserGroupSpec,
} from "./user.ts";
export { type Reaper, type ReaperOptions, startReaper } from "./reaper.ts";
