/**
 * Deep copies and field-by-field merges of layer entries, with Pebble's
 * `override: merge` rules: scalars set in the later entry win, lists
 * (`after`, `before`, `requires`, log target `services`) are appended, and
 * maps (`environment`, `on-check-failure`, `headers`, `labels`) are merged
 * key by key.
 *
 * @module
 */

import { setKey } from "./_decode.ts";
import type {
  Check,
  ExecCheck,
  HttpCheck,
  Layer,
  LogTarget,
  Service,
  TcpCheck,
  Workload,
} from "./types.ts";

function mergeMap<T>(into: Record<string, T>, from: Record<string, T>): void {
  for (const [k, v] of Object.entries(from)) setKey(into, k, v);
}

function cloneMap<T>(from: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  mergeMap(out, from);
  return out;
}

/** Returns a deep copy of a service. */
export function copyService(s: Service): Service {
  return {
    ...s,
    after: [...s.after],
    before: [...s.before],
    requires: [...s.requires],
    environment: cloneMap(s.environment),
    onCheckFailure: cloneMap(s.onCheckFailure),
    backoffDelay: { ...s.backoffDelay },
    backoffFactor: { ...s.backoffFactor },
    backoffLimit: { ...s.backoffLimit },
    killDelay: { ...s.killDelay },
  };
}

/** Merges the fields set in `other` into `s` (Pebble's Service.Merge). */
export function mergeService(s: Service, other: Service): void {
  if (other.summary !== "") s.summary = other.summary;
  if (other.description !== "") s.description = other.description;
  if (other.startup !== "") s.startup = other.startup;
  if (other.command !== "") s.command = other.command;
  if (other.killDelay.isSet) s.killDelay = { ...other.killDelay };
  if (other.userId !== undefined) s.userId = other.userId;
  if (other.user !== "") s.user = other.user;
  if (other.groupId !== undefined) s.groupId = other.groupId;
  if (other.group !== "") s.group = other.group;
  if (other.workingDir !== "") s.workingDir = other.workingDir;
  s.after.push(...other.after);
  s.before.push(...other.before);
  s.requires.push(...other.requires);
  if (other.workload !== "") s.workload = other.workload;
  mergeMap(s.environment, other.environment);
  if (other.onSuccess !== "") s.onSuccess = other.onSuccess;
  if (other.onFailure !== "") s.onFailure = other.onFailure;
  mergeMap(s.onCheckFailure, other.onCheckFailure);
  if (other.backoffDelay.isSet) s.backoffDelay = { ...other.backoffDelay };
  if (other.backoffFactor.isSet) s.backoffFactor = { ...other.backoffFactor };
  if (other.backoffLimit.isSet) s.backoffLimit = { ...other.backoffLimit };
}

function copyHttp(c: HttpCheck): HttpCheck {
  return { url: c.url, headers: cloneMap(c.headers) };
}

function copyExec(c: ExecCheck): ExecCheck {
  return { ...c, environment: cloneMap(c.environment) };
}

/** Returns a deep copy of a check. */
export function copyCheck(c: Check): Check {
  const out: Check = { ...c, period: { ...c.period }, timeout: { ...c.timeout } };
  if (c.http) out.http = copyHttp(c.http);
  if (c.tcp) out.tcp = { ...c.tcp };
  if (c.exec) out.exec = copyExec(c.exec);
  return out;
}

/** Merges the fields set in `other` into `c` (Pebble's Check.Merge). */
export function mergeCheck(c: Check, other: Check): void {
  if (other.level !== "") c.level = other.level;
  if (other.startup !== "") c.startup = other.startup;
  if (other.period.isSet) c.period = { ...other.period };
  if (other.timeout.isSet) c.timeout = { ...other.timeout };
  if (other.threshold !== 0) c.threshold = other.threshold;
  if (other.http) {
    const http: HttpCheck = c.http ?? { url: "", headers: {} };
    if (other.http.url !== "") http.url = other.http.url;
    mergeMap(http.headers, other.http.headers);
    c.http = http;
  }
  if (other.tcp) {
    const tcp: TcpCheck = c.tcp ?? { port: 0, host: "" };
    if (other.tcp.port !== 0) tcp.port = other.tcp.port;
    if (other.tcp.host !== "") tcp.host = other.tcp.host;
    c.tcp = tcp;
  }
  if (other.exec) {
    const exec: ExecCheck = c.exec ??
      { command: "", serviceContext: "", environment: {}, user: "", group: "", workingDir: "" };
    const o = other.exec;
    if (o.command !== "") exec.command = o.command;
    if (o.serviceContext !== "") exec.serviceContext = o.serviceContext;
    mergeMap(exec.environment, o.environment);
    if (o.userId !== undefined) exec.userId = o.userId;
    if (o.user !== "") exec.user = o.user;
    if (o.groupId !== undefined) exec.groupId = o.groupId;
    if (o.group !== "") exec.group = o.group;
    if (o.workingDir !== "") exec.workingDir = o.workingDir;
    c.exec = exec;
  }
}

/** Returns a deep copy of a log target. */
export function copyLogTarget(t: LogTarget): LogTarget {
  return { ...t, services: [...t.services], labels: cloneMap(t.labels) };
}

/** Merges the fields set in `other` into `t` (Pebble's LogTarget.Merge). */
export function mergeLogTarget(t: LogTarget, other: LogTarget): void {
  if (other.type !== "") t.type = other.type;
  if (other.location !== "") t.location = other.location;
  t.services.push(...other.services);
  mergeMap(t.labels, other.labels);
}

/** Returns a deep copy of a workload. */
export function copyWorkload(w: Workload): Workload {
  return { ...w, environment: cloneMap(w.environment) };
}

/** Merges the fields set in `other` into `w`. */
export function mergeWorkload(w: Workload, other: Workload): void {
  mergeMap(w.environment, other.environment);
  if (other.userId !== undefined) w.userId = other.userId;
  if (other.user !== "") w.user = other.user;
  if (other.groupId !== undefined) w.groupId = other.groupId;
  if (other.group !== "") w.group = other.group;
}

/** Returns a deep copy of a layer. */
export function copyLayer(layer: Layer): Layer {
  const services: Record<string, Service> = {};
  for (const [k, v] of Object.entries(layer.services)) setKey(services, k, copyService(v));
  const checks: Record<string, Check> = {};
  for (const [k, v] of Object.entries(layer.checks)) setKey(checks, k, copyCheck(v));
  const logTargets: Record<string, LogTarget> = {};
  for (const [k, v] of Object.entries(layer.logTargets)) setKey(logTargets, k, copyLogTarget(v));
  const workloads: Record<string, Workload> = {};
  for (const [k, v] of Object.entries(layer.workloads)) setKey(workloads, k, copyWorkload(v));
  return { ...layer, services, checks, logTargets, workloads, pairing: { ...layer.pairing } };
}
