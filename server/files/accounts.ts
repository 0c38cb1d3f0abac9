/**
 * User and group names and IDs from /etc/passwd and /etc/group (what Go's pure-Go
 * `os/user` reads), and Pebble's rules for owner fields (`user-id`/`user`,
 * `group-id`/`group`).
 *
 * @module
 */

import { FileError } from "./errors.ts";

interface Entry {
  name: string;
  id: number;
  /** For users: the primary group ID. */
  gid: number;
}

function parse(text: string, users: boolean): Entry[] {
  const out: Entry[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const f = line.split(":");
    if (f.length < (users ? 4 : 3)) continue;
    const id = Number(f[2]);
    if (!/^\d+$/.test(f[2])) continue;
    out.push({ name: f[0], id, gid: users ? Number(f[3]) : id });
  }
  return out;
}

/** The accounts database, read once per request when first needed. */
export class Accounts {
  #users?: Entry[];
  #groups?: Entry[];

  constructor(
    readonly passwdPath = "/etc/passwd",
    readonly groupPath = "/etc/group",
  ) {}

  #read(path: string, users: boolean): Entry[] {
    try {
      return parse(Deno.readTextFileSync(path), users);
    } catch {
      return [];
    }
  }

  #userList(): Entry[] {
    return this.#users ??= this.#read(this.passwdPath, true);
  }

  #groupList(): Entry[] {
    return this.#groups ??= this.#read(this.groupPath, false);
  }

  /** The name of a UID ("" when unknown). */
  userName(uid: number): string {
    return this.#userList().find((u) => u.id === uid)?.name ?? "";
  }

  /** The name of a GID ("" when unknown). */
  groupName(gid: number): string {
    return this.#groupList().find((g) => g.id === gid)?.name ?? "";
  }

  /** A user by name. */
  user(name: string): Entry | undefined {
    return this.#userList().find((u) => u.name === name);
  }

  /** A user by ID. */
  userById(uid: number): Entry | undefined {
    return this.#userList().find((u) => u.id === uid);
  }

  /** A group by name. */
  group(name: string): Entry | undefined {
    return this.#groupList().find((g) => g.name === name);
  }
}

/** Owner fields of a request item. */
export interface OwnerFields {
  userId?: number | null;
  user?: string;
  groupId?: number | null;
  group?: string;
}

/** A resolved owner, or `null` for "leave ownership alone". */
export type Owner = { uid: number; gid: number } | null;

/**
 * Resolves owner fields as Pebble does: names are looked up and must agree with IDs
 * given alongside; a user without a group gets the user's primary group; a group alone
 * is refused. Errors read `cannot look up user and group: ...`.
 */
export function resolveOwner(fields: OwnerFields, accounts: Accounts): Owner {
  let uid = fields.userId ?? undefined;
  let gid = fields.groupId ?? undefined;
  const fail = (msg: string) => new FileError(`cannot look up user and group: ${msg}`);
  if (uid === undefined && !fields.user && gid === undefined && !fields.group) return null;
  if (fields.user) {
    const u = accounts.user(fields.user);
    if (!u) throw fail(`user: unknown user ${fields.user}`);
    if (uid !== undefined && uid !== u.id) {
      throw fail(
        `user ${JSON.stringify(fields.user)} UID (${u.id}) does not match user-id (${uid})`,
      );
    }
    uid = u.id;
  }
  if (fields.group) {
    const g = accounts.group(fields.group);
    if (!g) throw fail(`group: unknown group ${fields.group}`);
    if (gid !== undefined && gid !== g.id) {
      throw fail(
        `group ${JSON.stringify(fields.group)} GID (${g.id}) does not match group-id (${gid})`,
      );
    }
    gid = g.id;
  }
  if (gid === undefined) {
    const u = accounts.userById(uid!);
    if (!u) throw fail(`user: unknown userid ${uid}`);
    gid = u.gid;
  }
  if (uid === undefined) throw fail("must specify user, not just group");
  return { uid, gid };
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
