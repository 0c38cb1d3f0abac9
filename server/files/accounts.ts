/**
 * User and group names of IDs from /etc/passwd and /etc/group (what Go's pure-Go
 * `os/user` reads), and Pebble's rules for owner fields (`user-id`/`user`,
 * `group-id`/`group`).
 *
 * @module
 */

import { FileError } from "./errors.ts";
import {
  readAccountLines,
  resolveUserGroup,
  UserGroupError,
  type UserGroupSpec,
} from "../process/user.ts";

interface Entry {
  name: string;
  id: number;
}

function entries(path: string, minFields: number): Entry[] {
  return readAccountLines(path)
    .filter((f) => f.length >= minFields && /^\d+$/.test(f[2]))
    .map((f) => ({ name: f[0], id: Number(f[2]) }));
}

/** The accounts database, read once per request when first needed. */
export class Accounts {
  #users?: Entry[];
  #groups?: Entry[];

  constructor(
    readonly passwdPath = "/etc/passwd",
    readonly groupPath = "/etc/group",
  ) {}

  #userList(): Entry[] {
    return this.#users ??= entries(this.passwdPath, 4);
  }

  #groupList(): Entry[] {
    return this.#groups ??= entries(this.groupPath, 3);
  }

  /** The name of a UID ("" when unknown). */
  userName(uid: number): string {
    return this.#userList().find((u) => u.id === uid)?.name ?? "";
  }

  /** The name of a GID ("" when unknown). */
  groupName(gid: number): string {
    return this.#groupList().find((g) => g.id === gid)?.name ?? "";
  }
}

/** Owner fields of a request item (as a service's user fields). */
export type OwnerFields = UserGroupSpec;

/** A resolved owner, or `null` for "leave ownership alone". */
export type Owner = { uid: number; gid: number } | null;

/**
 * Resolves owner fields with Pebble's rules (those of server/process `resolveUserGroup`:
 * names must agree with IDs given alongside, a user without a group gets the user's
 * primary group, a group alone is refused). Errors read `cannot look up user and group: ...`.
 */
export function resolveOwner(fields: OwnerFields): Owner {
  try {
    return resolveUserGroup(fields);
  } catch (e) {
    if (e instanceof UserGroupError) {
      throw new FileError(`cannot look up user and group: ${e.message}`);
    }
    throw e;
  }
}

/**
 * Refuses, before anything is written, an owner that this process cannot give: only root
 * may give a file to another user (the kernel refuses `chown` with EPERM otherwise).
 */
export function checkCanChown(path: string, owner: Owner): void {
  if (owner === null) return;
  const me = Deno.uid();
  if (me === null || me === 0 || owner.uid === me) return;
  throw new FileError(
    `chown ${path}: operation not permitted (pebble is not running as root, so it cannot ` +
      `give files to user ID ${owner.uid})`,
    "permission-denied",
  );
}
