/**
 * `GET /v1/logs`: service logs as JSON lines (`application/x-ndjson`), the last `n`
 * across the chosen services in time order, then, with `follow=true`, new lines as they
 * come until the client goes away.
 *
 * @module
 */

import type { Route } from "./api.ts";
import { commaList } from "./context.ts";
import { badRequest, internalError, RawResponse } from "./response.ts";
import { goJsonTime, type LogEntry } from "../logs/mod.ts";

const DEFAULT_LOGS = 30;
/** A follower further behind than this (bytes queued) skips lines instead of buffering. */
const MAX_FOLLOW_BACKLOG = 4 * 1024 * 1024;
const encoder = new TextEncoder();

function jsonLine(e: LogEntry): string {
  const message = e.message.endsWith("\n") ? e.message.slice(0, -1) : e.message;
  return `{"time":"${goJsonTime(e.time)}","service":${JSON.stringify(e.service)},"message":${
    JSON.stringify(message)
  }}\n`;
}

/** Routes of this area. */
export const logRoutes: Route[] = [
  {
    path: "/v1/logs",
    read: "user",
    // deno-lint-ignore require-await
    GET: async ({ deps, query, signal }) => {
      const m = deps.services;
      if (!m) return internalError("service manager not available");
      let services = commaList(query, "services");
      const followStr = query.get("follow") ?? "";
      if (followStr !== "" && followStr !== "true" && followStr !== "false") {
        return badRequest(`follow parameter must be "true" or "false"`);
      }
      const follow = followStr === "true";
      let n: number;
      const nStr = query.get("n") ?? "";
      if (nStr !== "") {
        if (!/^[+-]?\d+$/.test(nStr) || Number(nStr) < -1) {
          return badRequest("n must be -1, 0, or a positive integer");
        }
        n = Number(nStr);
      } else {
        n = follow ? 0 : DEFAULT_LOGS;
      }
      if (services.length === 0) services = m.list().map((s) => s.name);
      const buffers = [...m.logBuffers(services)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

      // Subscribing and taking the snapshot happen in one turn: no line falls between.
      const pending: LogEntry[] = [];
      let push: ((e: LogEntry) => void) | null = follow ? (e) => pending.push(e) : null;
      const unsubscribe = follow ? buffers.map(([, b]) => b.subscribe((e) => push?.(e))) : [];
      let initial: LogEntry[] = [];
      if (n !== 0) {
        for (const [, b] of buffers) initial.push(...b.last(n));
        initial.sort((a, b) => a.time - b.time); // stable: ties keep service order
        if (n > 0 && initial.length > n) initial = initial.slice(initial.length - n);
      }
      const firstText = initial.map(jsonLine).join("");

      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          if (firstText) controller.enqueue(encoder.encode(firstText));
          if (!follow) {
            controller.close();
            return;
          }
          let batch = "";
          let scheduled = false;
          const flush = () => {
            scheduled = false;
            if (batch === "" || push === null) return;
            if ((controller.desiredSize ?? 0) > -MAX_FOLLOW_BACKLOG) {
              controller.enqueue(encoder.encode(batch));
            }
            batch = "";
          };
          push = (e) => {
            batch += jsonLine(e);
            if (!scheduled) {
              scheduled = true;
              queueMicrotask(flush);
            }
          };
          for (const e of pending) push(e);
          const stop = () => {
            push = null;
            for (const u of unsubscribe) u();
            try {
              controller.close();
            } catch {
              // already closed
            }
          };
          if (signal.aborted) stop();
          else signal.addEventListener("abort", stop, { once: true });
        },
        cancel() {
          push = null;
          for (const u of unsubscribe) u();
        },
      }, new ByteLengthQueuingStrategy({ highWaterMark: 64 * 1024 }));
      return new RawResponse({ "content-type": "application/x-ndjson" }, stream);
    },
  },
];
