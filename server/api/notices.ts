/**
 * `/v1/notices` and `/v1/notices/{id}`: reading notices (with long-poll) and recording
 * custom ones. Any local user may record notices; they are kept under the caller's UID.
 *
 * @module
 */

import type { Route } from "./api.ts";
import { commaList, jsonObject } from "./context.ts";
import { badRequest, forbidden, notFound, sync } from "./response.ts";
import { queryDuration } from "./changes.ts";
import { NOTICE_TYPES, NoticeFilter, noticeToJSON } from "../state/notices.ts";

const CUSTOM_KEY = /^[a-z0-9]+(-[a-z0-9]+)*(\.[a-z0-9]+(-[a-z0-9]+)*)+(\/[a-z0-9]+(-[a-z0-9]+)*)+$/;
const MAX_KEY_LENGTH = 256;
const MAX_DATA_SIZE = 4 * 1024;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Routes of this area. */
export const noticeRoutes: Route[] = [
  {
    path: "/v1/notices",
    read: "user",
    write: "user",
    GET: async ({ deps, user, query, signal }) => {
      if (!user || user.uid === null) {
        return forbidden("cannot determine UID of request, so cannot retrieve notices");
      }
      const filter: NoticeFilter = { userId: user.uid };
      const admin = user.access === "admin";
      if (query.has("user-id")) {
        if (!admin) return forbidden(`only admins may use the "user-id" filter`);
        const ids = commaList(query, "user-id");
        if (ids.length !== 1) {
          return badRequest(`invalid "user-id" filter: must only include one "user-id"`);
        }
        const n = Number(ids[0]);
        if (!/^-?\d+$/.test(ids[0]) || n < 0 || n > 0xffffffff) {
          return badRequest(`invalid "user-id" filter: user ID is not a valid uint32: ${ids[0]}`);
        }
        filter.userId = n;
      }
      if (query.has("users")) {
        if (!admin) return forbidden(`only admins may use the "users" filter`);
        if (query.has("user-id")) {
          return badRequest(`cannot use both "users" and "user-id" parameters`);
        }
        if (query.get("users") !== "all") {
          return badRequest(`invalid "users" filter: must be "all"`);
        }
        filter.userId = undefined;
      }
      const types = commaList(query, "types");
      const validTypes = [
        ...new Set(types.filter((t) => (NOTICE_TYPES as readonly string[]).includes(t))),
      ];
      if (types.length > 0 && validTypes.length === 0) return sync([]);
      filter.types = validTypes;
      filter.keys = commaList(query, "keys");
      const after = query.get("after");
      if (after) {
        const t = new Date(after);
        if (!RFC3339.test(after) || isNaN(t.getTime())) {
          return badRequest(`invalid "after" timestamp: cannot parse ${JSON.stringify(after)}`);
        }
        filter.after = t;
      }
      const timeout = queryDuration(query.get("timeout"));
      if (typeof timeout === "string") return badRequest(`invalid timeout: ${timeout}`);
      let notices;
      if (timeout > 0) {
        const waitSignal = AbortSignal.any([
          signal,
          AbortSignal.timeout(Math.max(1, timeout / 1e6)),
        ]);
        notices = await deps.state.waitNotices(filter, waitSignal);
        if (signal.aborted) return badRequest("request canceled");
      } else {
        notices = deps.state.noticeList(filter);
      }
      return sync(notices.map(noticeToJSON));
    },
    POST: async (req) => {
      const { deps, user } = req;
      if (!user || user.uid === null) {
        return forbidden("cannot determine UID of request, so cannot create notice");
      }
      const body = await jsonObject(req, {
        action: "string",
        type: "string",
        key: "string",
        "repeat-after": "string",
      });
      if (body.action !== "add") {
        return badRequest(`invalid action ${JSON.stringify(body.action ?? "")}`);
      }
      if (body.type !== "custom") {
        return badRequest(
          `invalid type ${JSON.stringify(body.type ?? "")} (can only add "custom" notices)`,
        );
      }
      const key = String(body.key ?? "");
      if (!CUSTOM_KEY.test(key)) {
        return badRequest(
          `invalid key ${JSON.stringify(key)} (must be in "example.com/path" format)`,
        );
      }
      if (new TextEncoder().encode(key).length > MAX_KEY_LENGTH) {
        return badRequest(`key must be ${MAX_KEY_LENGTH} bytes or less`);
      }
      const repeatAfter = queryDuration((body["repeat-after"] as string) ?? null);
      if (typeof repeatAfter === "string") {
        return badRequest(`invalid repeat-after: ${repeatAfter}`);
      }
      let data: Record<string, string> | null = null;
      if (body.data !== undefined && body.data !== null) {
        if (new TextEncoder().encode(JSON.stringify(body.data)).length > MAX_DATA_SIZE) {
          return badRequest(`total size of data must be ${MAX_DATA_SIZE} bytes or less`);
        }
        const d = body.data;
        if (
          typeof d !== "object" || Array.isArray(d) ||
          Object.values(d).some((v) => typeof v !== "string")
        ) {
          return badRequest("cannot decode notice data: data must be an object of string values");
        }
        data = d as Record<string, string>;
      }
      const id = deps.state.addNotice(user.uid, "custom", key, {
        data,
        repeatAfterNs: repeatAfter,
      });
      await deps.state.commit();
      return sync({ id });
    },
  },
  {
    path: "/v1/notices/:id",
    read: "user",
    GET: ({ deps, user, params }) => {
      if (!user || user.uid === null) {
        return forbidden("cannot determine UID of request, so cannot retrieve notice");
      }
      const n = deps.state.notice(params.id);
      if (!n) return notFound(`cannot find notice with ID "${params.id}"`);
      if (n.userId !== null && user.access !== "admin" && n.userId !== user.uid) {
        return forbidden(`not allowed to access notice with id "${params.id}"`);
      }
      return sync(noticeToJSON(n));
    },
  },
];
