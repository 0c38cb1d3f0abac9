/**
 * `/v1/files`: list, read (multipart, streamed from disk), write (multipart upload,
 * streamed to disk and renamed into place), make directories and remove paths, as
 * Pebble's files API. Admin only, both ways: some files are sensitive.
 *
 * @module
 */

import type { Route } from "./api.ts";
import type { ApiRequest, User } from "./context.ts";
import { ApiResponse, badRequest, error, RawResponse, sync } from "./response.ts";
import { logNotice } from "../log.ts";
import { parseMediaType } from "../../client/_multipart.ts";
import { checkCanChown, resolveOwner } from "../files/accounts.ts";
import { makeDirectory, parsePermissions, removePath } from "../files/dirs.ts";
import { FileError, goQuote, nonAbsolute } from "../files/errors.ts";
import { listFiles } from "../files/list.ts";
import { newBoundary, smallFilesBody, writeFilesBody } from "../files/read.ts";
import { writeFiles, type WriteItem } from "../files/write.ts";
import { isAbsPath } from "../files/paths.ts";

/** Pebble's shortest accepted multipart boundary. */
const MIN_BOUNDARY_LENGTH = 32;

/** Routes of this area. */
export const fileRoutes: Route[] = [
  { path: "/v1/files", read: "admin", write: "admin", GET: getFiles, POST: postFiles },
];

function userString(user: User | null): string {
  return user?.uid === null || user?.uid === undefined ? "<unknown>" : String(user.uid);
}

/** Pebble's security log line for file transfers. */
function securityWarn(user: User | null, event: string, description: string): void {
  logNotice((iso) =>
    JSON.stringify({
      type: "security",
      datetime: `${iso.slice(0, 19)}Z`, // to the second, as Pebble's
      level: "WARN",
      event: `authz_admin:${userString(user)},${event}`,
      description,
      appid: "pebble",
    })
  );
}

function fileErrorStatus(err: FileError): number {
  if (err.kind === "not-found") return 404;
  if (err.kind === "permission-denied") return 403;
  return 400;
}

function getFiles(req: ApiRequest): ApiResponse | RawResponse | Promise<ApiResponse> {
  const { query } = req;
  const action = query.get("action") ?? "";
  switch (action) {
    case "read": {
      const paths = query.getAll("path");
      if (paths.length === 0) return badRequest("must specify one or more paths");
      if (req.headers.accept !== "multipart/form-data") {
        return badRequest("must accept multipart/form-data");
      }
      const boundary = newBoundary();
      const onPath = (p: string) => securityWarn(req.user, "pull_file", `Pulling file ${p}`);
      return new RawResponse(
        { "content-type": `multipart/form-data; boundary=${boundary}` },
        smallFilesBody(paths, boundary, onPath) ??
          ((out) => writeFilesBody(paths, boundary, onPath, out)),
      );
    }
    case "list": {
      const path = query.get("path") ?? "";
      if (path === "") return badRequest("must specify path");
      const pattern = query.get("pattern") ?? "";
      const itself = query.get("itself") ?? "";
      if (itself !== "true" && itself !== "false" && itself !== "") {
        return badRequest(`itself parameter must be "true" or "false"`);
      }
      if (!isAbsPath(path)) return badRequest(`path must be absolute, got ${goQuote(path)}`);
      return list(path, pattern, itself === "true");
    }
    default:
      return badRequest(`invalid action ${goQuote(action)}`);
  }
}

async function list(path: string, pattern: string, itself: boolean): Promise<ApiResponse> {
  try {
    return sync(await listFiles(path, pattern, itself));
  } catch (e) {
    if (!(e instanceof FileError)) throw e;
    return error(fileErrorStatus(e), e.message, e.kind);
  }
}

async function postFiles(req: ApiRequest): Promise<ApiResponse> {
  const contentType = req.headers["content-type"] ?? "";
  const media = parseMediaType(contentType);
  if (!media) return badRequest(`invalid Content-Type ${goQuote(contentType)}`);
  switch (media.type) {
    case "multipart/form-data": {
      const boundary = media.params.get("boundary") ?? "";
      if (boundary.length < MIN_BOUNDARY_LENGTH) {
        return badRequest(`invalid boundary ${goQuote(boundary)}`);
      }
      const outcome = await writeFiles(req.body(), boundary, {
        onPath: (p) => securityWarn(req.user, "push_file", `Pushing file ${p}`),
        decodeMetadata: (v) => {
          const d = decodeFields(v, "", { action: "string" }, METADATA_TYPE);
          if (typeof d === "string") return `cannot decode request metadata: ${d}`;
          const files = decodeItems(v, "files", "writeFilesItem", WRITE_ITEM);
          if (typeof files === "string") return `cannot decode request metadata: ${files}`;
          return { action: String(d.action ?? ""), files: files.map(toWriteItem) };
        },
      });
      if ("badRequest" in outcome) return badRequest(outcome.badRequest);
      return sync(outcome.results);
    }
    case "application/json": {
      const body = await req.json();
      const top = decodeFields(body, "", { action: "string" }, JSON_BODY_TYPE);
      if (typeof top === "string") return badRequest(`cannot decode request body: ${top}`);
      const action = String(top.action ?? "");
      switch (action) {
        case "make-dirs": {
          const dirs = decodeItems(body, "dirs", "makeDirsItem", MAKE_DIRS_ITEM);
          if (typeof dirs === "string") return badRequest(`cannot decode request body: ${dirs}`);
          const results = [];
          for (const dir of dirs) results.push(result(dir.path, await makeDir(dir)));
          return sync(results);
        }
        case "remove": {
          const paths = decodeItems(body, "paths", "removePathsItem", REMOVE_ITEM);
          if (typeof paths === "string") return badRequest(`cannot decode request body: ${paths}`);
          const results = [];
          for (const p of paths) {
            results.push(
              result(p.path, await catchFileError(removePath(String(p.path ?? ""), !!p.recursive))),
            );
          }
          return sync(results);
        }
        case "write":
          return badRequest(`must use multipart with "write" action`);
        default:
          return badRequest(`invalid action ${goQuote(action)}`);
      }
    }
    default:
      return badRequest(`invalid media type ${goQuote(media.type)}`);
  }
}

function result(path: unknown, err: FileError | null) {
  return err ? { path: String(path ?? ""), error: err.toResult() } : { path: String(path ?? "") };
}

async function catchFileError(p: Promise<void>): Promise<FileError | null> {
  try {
    await p;
    return null;
  } catch (e) {
    if (e instanceof FileError) return e;
    throw e;
  }
}

async function makeDir(dir: Item): Promise<FileError | null> {
  return await catchFileError((async () => {
    const path = String(dir.path ?? "");
    if (!isAbsPath(path)) throw nonAbsolute(path);
    const perm = parsePermissions(dir.permissions as string | undefined, 0o755);
    const owner = resolveOwner(toWriteItem(dir));
    checkCanChown(path, owner);
    await makeDirectory(path, perm, {
      makeParents: !!dir["make-parents"],
      existOk: !!dir["make-parents"],
      owner,
    });
  })());
}

// ---- decoding JSON the way Go's encoding/json reports type errors ----

type GoType = "string" | "bool" | "int";
type Item = Record<string, unknown>;

const WRITE_ITEM: Record<string, GoType> = {
  path: "string",
  "make-dirs": "bool",
  permissions: "string",
  "user-id": "int",
  user: "string",
  "group-id": "int",
  group: "string",
};
const MAKE_DIRS_ITEM: Record<string, GoType> = {
  path: "string",
  "make-parents": "bool",
  permissions: "string",
  "user-id": "int",
  user: "string",
  "group-id": "int",
  group: "string",
};
const REMOVE_ITEM: Record<string, GoType> = { path: "string", recursive: "bool" };

function jsonKind(v: unknown): string {
  if (Array.isArray(v)) return "array";
  if (typeof v === "boolean") return "bool";
  return typeof v;
}

function fits(v: unknown, t: GoType): boolean {
  if (v === null || v === undefined) return true;
  if (t === "string") return typeof v === "string";
  if (t === "bool") return typeof v === "boolean";
  return typeof v === "number" && Number.isInteger(v) && Math.abs(v) <= Number.MAX_SAFE_INTEGER;
}

/** Go's name of the anonymous struct of the JSON body of `POST /v1/files`. */
const JSON_BODY_TYPE = 'struct { Action string "json:\\"action\\""; ' +
  'Dirs []daemon.makeDirsItem "json:\\"dirs\\""; Paths []daemon.removePathsItem "json:\\"paths\\"" }';
/** Go's name of the anonymous struct of an upload's metadata. */
const METADATA_TYPE = 'struct { Action string "json:\\"action\\""; ' +
  'Files []daemon.writeFilesItem "json:\\"files\\"" }';

/** The fields of a struct value `v` (of Go type `goType`, named in errors) checked by `spec`. */
function decodeFields(
  v: unknown,
  where: string,
  spec: Record<string, GoType>,
  goType = "struct",
): Item | string {
  if (v === null) return {};
  if (typeof v !== "object" || Array.isArray(v)) {
    return `json: cannot unmarshal ${jsonKind(v)} into Go value of type ${goType}`;
  }
  const obj = v as Item;
  for (const [key, type] of Object.entries(spec)) {
    const value = obj[key];
    if (!fits(value, type)) {
      const kind = typeof value === "number" ? `number ${value}` : jsonKind(value);
      return `json: cannot unmarshal ${
        typeof value === "number" && type === "int" ? kind : jsonKind(value)
      } into Go struct field ${where}.${key} of type ${type}`;
    }
  }
  return obj;
}

function decodeItems(
  body: unknown,
  field: string,
  struct: string,
  spec: Record<string, GoType>,
): Item[] | string {
  const list = (body as Item | null)?.[field];
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) {
    return `json: cannot unmarshal ${
      jsonKind(list)
    } into Go struct field .${field} of type []daemon.${struct}`;
  }
  const out: Item[] = [];
  for (const item of list) {
    if (item === null) {
      out.push({});
      continue;
    }
    if (typeof item !== "object" || Array.isArray(item)) {
      return `json: cannot unmarshal ${
        jsonKind(item)
      } into Go struct field .${field} of type daemon.${struct}`;
    }
    const d = decodeFields(item, `${struct}.${field}`, spec);
    if (typeof d === "string") return d;
    out.push(d);
  }
  return out;
}

function toWriteItem(item: Item): WriteItem {
  return {
    path: String(item.path ?? ""),
    makeDirs: !!item["make-dirs"],
    permissions: (item.permissions as string | null) ?? undefined,
    userId: item["user-id"] as number | null | undefined,
    user: (item.user as string | null) ?? undefined,
    groupId: item["group-id"] as number | null | undefined,
    group: (item.group as string | null) ?? undefined,
  };
}
