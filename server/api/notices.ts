/**
 * `/v1/notices` and `/v1/notices/{id}`: reading notices (with long-poll) and recording
 * custom ones. Any local user may record notices; they are kept under the caller's UID.
 *
 * @module
 */

import { concatBytes } from "../../client/_bytes.ts";
import { decodeFirstValue } from "../go_json.ts";
import type { ApiRequest } from "./context.ts";
import { MAX_JSON_BODY, type Route } from "./api.ts";
import { commaList } from "./context.ts";
import { ApiError, badRequest, error, forbidden, notFound, sync } from "./response.ts";
import { queryDuration } from "./changes.ts";
import { GoTimeError, parseGoRFC3339 } from "./go_time.ts";
import { NOTICE_TYPES, NoticeFilter, noticeToJSON } from "../state/notices.ts";

const CUSTOM_KEY = /^[a-z0-9]+(-[a-z0-9]+)*(\.[a-z0-9]+(-[a-z0-9]+)*)+(\/[a-z0-9]+(-[a-z0-9]+)*)+$/;
const MAX_KEY_LENGTH = 256;
const MAX_DATA_SIZE = 4 * 1024;
const MAX_UINT32 = 0xffffffff;
const encoder = new TextEncoder();

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
        const id = parseUserIdFilter(commaList(query, "user-id"));
        if (typeof id === "string") return badRequest(`invalid "user-id" filter: ${id}`);
        filter.userId = id;
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
      // Unknown types are ignored (for newer clients), but if every type asked for is
      // unknown, nothing matches.
      const types = commaList(query, "types");
      const validTypes = [
        ...new Set(types.filter((t) => (NOTICE_TYPES as readonly string[]).includes(t))),
      ];
      if (types.length > 0 && validTypes.length === 0) return sync([]);
      if (validTypes.length) filter.types = validTypes;
      const keys = commaList(query, "keys");
      if (keys.length) filter.keys = keys;
      const after = query.get("after");
      if (after) {
        try {
          const us = parseGoRFC3339(after);
          if (!isGoZeroTime(us)) filter.after = us;
        } catch (e) {
          if (!(e instanceof GoTimeError)) throw e;
          return badRequest(`invalid "after" timestamp: ${e.message}`);
        }
      }
      const timeout = queryDuration(query.get("timeout"));
      if (typeof timeout === "string") return badRequest(`invalid timeout: ${timeout}`);
      let notices;
      if (timeout !== 0) {
        // A negative timeout has passed already: Pebble then returns what matches now.
        const waitSignal = timeout > 0
          ? AbortSignal.any([signal, AbortSignal.timeout(Math.max(1, timeout / 1e6))])
          : AbortSignal.abort();
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
      const bytes = await readBody(req);
      const text = new TextDecoder().decode(bytes);
      let body: unknown;
      try {
        body = parseFirstJson(text, bytes);
      } catch (e) {
        return badRequest(`cannot decode request body: ${(e as Error).message}`);
      }
      if (body === null) body = {};
      if (typeof body !== "object" || Array.isArray(body)) {
        return badRequest(
          `cannot decode request body: json: cannot unmarshal ${
            jsonKind(body)
          } into Go value of type struct { Action string "json:\\"action\\""; Type string "json:\\"type\\""; Key string "json:\\"key\\""; RepeatAfter string "json:\\"repeat-after\\""; DataJSON json.RawMessage "json:\\"data\\"" }`,
        );
      }
      const obj = body as Record<string, unknown>;
      for (const field of ["action", "type", "key", "repeat-after"]) {
        const v = obj[field];
        if (v !== undefined && v !== null && typeof v !== "string") {
          return badRequest(
            `cannot decode request body: json: cannot unmarshal ${
              jsonKind(v)
            } into Go struct field .${field} of type string`,
          );
        }
      }
      const action = (obj.action as string | undefined) ?? "";
      const type = (obj.type as string | undefined) ?? "";
      const key = (obj.key as string | undefined) ?? "";
      if (action !== "add") return badRequest(`invalid action ${JSON.stringify(action)}`);
      if (type !== "custom") {
        return badRequest(`invalid type ${JSON.stringify(type)} (can only add "custom" notices)`);
      }
      if (!CUSTOM_KEY.test(key)) {
        return badRequest(
          `invalid key ${JSON.stringify(key)} (must be in "example.com/path" format)`,
        );
      }
      if (key.length > MAX_KEY_LENGTH) {
        return badRequest(`key must be ${MAX_KEY_LENGTH} bytes or less`);
      }
      const repeatAfter = queryDuration((obj["repeat-after"] as string | undefined) ?? null);
      if (typeof repeatAfter === "string") {
        return badRequest(`invalid repeat-after: ${repeatAfter}`);
      }
      // Pebble limits the data as sent (its raw JSON text), not as re-encoded.
      const rawData = rawMember(text, "data");
      if (rawData !== undefined && encoder.encode(rawData).length > MAX_DATA_SIZE) {
        return badRequest(`total size of data must be ${MAX_DATA_SIZE} bytes or less`);
      }
      const data = decodeData(obj.data);
      if (typeof data === "string") return badRequest(`cannot decode notice data: ${data}`);
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
      if (!n || n.lastOccurred + n.expireAfterNs / 1e3 < Date.now() * 1000) {
        return notFound(`cannot find notice with ID ${JSON.stringify(params.id)}`);
      }
      if (n.userId !== null && user.access !== "admin" && n.userId !== user.uid) {
        return forbidden(`not allowed to access notice with id ${JSON.stringify(params.id)}`);
      }
      return sync(noticeToJSON(n));
    },
  },
];

/** Go's zero time (0001-01-01T00:00:00Z), which Pebble treats as no `after` filter. */
const GO_ZERO_US = new Date(0).setUTCFullYear(1, 0, 1) * 1000;

function isGoZeroTime(us: number): boolean {
  return us === GO_ZERO_US;
}

/** The one UID of a `user-id` filter, or Go's error text. */
function parseUserIdFilter(values: string[]): number | string {
  if (values.length !== 1) return `must only include one "user-id"`;
  const s = values[0];
  if (!/^[+-]?\d+$/.test(s)) {
    return `strconv.ParseInt: parsing ${JSON.stringify(s)}: invalid syntax`;
  }
  const n = BigInt(s);
  if (n < -(2n ** 63n) || n >= 2n ** 63n) {
    return `strconv.ParseInt: parsing ${JSON.stringify(s)}: value out of range`;
  }
  if (n < 0n || n > BigInt(MAX_UINT32)) return `user ID is not a valid uint32: ${n}`;
  return Number(n);
}

/** The JSON kind of a value, as Go's decoder names it in errors. */
function jsonKind(v: unknown): string {
  if (Array.isArray(v)) return "array";
  if (v === null) return "null";
  switch (typeof v) {
    case "string":
      return "string";
    case "number":
      return "number";
    case "boolean":
      return "bool";
    default:
      return "object";
  }
}

/** Decodes `data` as Go decodes JSON into map[string]string; a string is the error. */
function decodeData(d: unknown): Record<string, string> | null | string {
  if (d === undefined || d === null) return null;
  if (typeof d !== "object" || Array.isArray(d)) {
    return `json: cannot unmarshal ${jsonKind(d)} into Go value of type map[string]string`;
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(d as Record<string, unknown>)) {
    if (v === null) out[k] = "";
    else if (typeof v === "string") out[k] = v;
    else return `json: cannot unmarshal ${jsonKind(v)} into Go value of type string`;
  }
  return out;
}

/** Reads the request body, with the API's JSON body limit. */
async function readBody(req: ApiRequest): Promise<Uint8Array> {
  const contentLength = Number(req.headers["content-length"] ?? 0);
  if (contentLength > MAX_JSON_BODY) throw tooLarge();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of req.body()) {
    size += chunk.length;
    if (size > MAX_JSON_BODY) throw tooLarge();
    chunks.push(chunk);
  }
  return concatBytes(chunks);
}

function tooLarge(): ApiError {
  return new ApiError(error(413, `request body too large (limit ${MAX_JSON_BODY} bytes)`));
}

const isSpace = (c: string | undefined) => c === " " || c === "\t" || c === "\r" || c === "\n";

/** Index just past the JSON value starting at `i` (the text is assumed valid there). */
function valueEnd(text: string, i: number): number {
  const stringEnd = (j: number) => {
    j++; // opening quote
    while (j < text.length && text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
    return j + 1;
  };
  const c = text[i];
  if (c === '"') return stringEnd(i);
  if (c === "{" || c === "[") {
    let depth = 0;
    do {
      const d = text[i];
      if (d === '"') {
        i = stringEnd(i);
        continue;
      }
      if (d === "{" || d === "[") depth++;
      else if (d === "}" || d === "]") depth--;
      i++;
    } while (depth > 0 && i < text.length);
    return i;
  }
  while (i < text.length && !isSpace(text[i]) && !",}]".includes(text[i])) i++;
  return i;
}

/**
 * Parses the first JSON value of `text` as Go's json.Decoder does: what follows it is
 * left unread, and a syntax error reads as Go's.
 */
export function parseFirstJson(
  text: string,
  bytes: Uint8Array = new TextEncoder().encode(text),
): unknown {
  return decodeFirstValue(bytes, text);
}

/**
 * The raw JSON text of the last top-level member `name` of a JSON object text (which
 * parsed already), or undefined when there is none.
 */
export function rawMember(text: string, name: string): string | undefined {
  let i = 0;
  const ws = () => {
    while (isSpace(text[i])) i++;
  };
  let found: string | undefined;
  ws();
  if (text[i] !== "{") return undefined;
  i++;
  for (;;) {
    ws();
    if (text[i] !== '"') return found;
    const keyStart = i;
    i = valueEnd(text, i);
    const key = JSON.parse(text.slice(keyStart, i));
    ws();
    i++; // colon
    ws();
    const start = i;
    i = valueEnd(text, i);
    if (key === name) found = text.slice(start, i);
    ws();
    if (text[i] !== ",") return found;
    i++;
  }
}
