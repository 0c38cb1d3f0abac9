/**
 * A typed client for Pebble, the service manager: drive a running daemon (this
 * project's or Canonical's) over its unix socket or TCP listener, the way Python
 * charms use `ops.pebble.Client`. Method names are ops' in camelCase; results are
 * typed objects with camelCase fields and `Date` times.
 *
 * @example Start talking to a daemon
 * ```ts
 * import { APIError, Client, Layer } from "@pebble/pebble";
 *
 * using client = new Client({ socketPath: "/var/lib/pebble/default/.pebble.socket" });
 * console.log((await client.getSystemInfo()).version);
 *
 * const layer = new Layer({
 *   services: { srv: { override: "replace", command: "sleep 1000", startup: "enabled" } },
 * });
 * await client.addLayer("srv", layer, { combine: true });
 *
 * try {
 *   await client.getChange("no-such-change");
 * } catch (err) {
 *   if (err instanceof APIError) console.log(err.code, err.message);
 * }
 * ```
 *
 * @module
 */

export {
  type AddLayerOptions,
  type ApiResponse,
  Client,
  type ClientOptions,
  DEFAULT_SOCKET_PATH,
  defaultSocketPath,
  type GetChangesOptions,
  type GetNoticesOptions,
  type GetWarningsOptions,
  type NoticesIteratorOptions,
  type NotifyOptions,
  type Query,
  type RequestOptions,
  type WaitChangeOptions,
} from "./client/client.ts";
export {
  APIError,
  ChangeError,
  ConnectionError,
  ExecError,
  MultiPushPullError,
  PathError,
  PebbleError,
  ProtocolError,
  TimeoutError,
} from "./client/errors.ts";
export type {
  FileInfo,
  FileType,
  ListFilesOptions,
  MakeDirOptions,
  OwnerOptions,
  PullOptions,
  PushOptions,
  PushSource,
  RemovePathOptions,
} from "./client/files.ts";
export {
  type ExecInput,
  type ExecOptions,
  type ExecOutput,
  ExecProcess,
  signalName,
  type WaitOutputOptions,
} from "./client/exec.ts";
export type {
  CheckInfo,
  CheckLevel,
  CheckQueryOptions,
  CheckStartup,
  CheckStatus,
  RefreshCheckResult,
} from "./client/checks.ts";
export {
  type LogEntry,
  type LogsOptions,
  type ServiceActionOptions,
  ServiceInfo,
  type ServiceStartup,
  type ServiceStatus,
} from "./client/services.ts";
export type {
  Change,
  ChangeState,
  ChangeStatus,
  Notice,
  NoticeType,
  SystemInfo,
  Task,
  TaskProgress,
  Warning,
  WarningState,
} from "./client/types.ts";
export type { Identity, IdentityAccess } from "./client/identities.ts";
export {
  type CheckObject,
  Layer,
  type LayerObject,
  type LayerOptions,
  type LogTargetObject,
  Plan,
  type PlanObject,
  type ServiceAction,
  type ServiceObject,
} from "./client/layer.ts";
export { LayerError, PlanError } from "./plan/mod.ts";
