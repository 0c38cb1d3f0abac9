/**
 * Pebble's rules for running a process as another user: `user`/`user-id` and
 * `group`/`group-id`, names resolved from the system's user and group databases
 * (`/etc/passwd`, `/etc/group`, what Go's pure-Go `os/user` reads), with Pebble's
 * error messages.
 *
 * @module
 */

/** A user or group lookup failed, or the fields contradict each other. */
export class UserGroupError extends Error {
  override name = "UserGroupError";
}

/** One entry of `/etc/passwd`. */
export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

/** The entries of a colon-separated account file (`/etc/passwd`, `/etc/group`); [] if unreadable. */
export function readAccountLines(path: string): string[][] {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch {
    return [];
  }
  const out: string[][] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    out.push(line.split(":"));
  }
  return out;
}

/** Looks a user up by name or UID in `/etc/passwd` (undefined when absent). */
export function lookupUser(
  key: { name: string } | { uid: number },
  passwdPath = "/etc/passwd",
): PasswdEntry | undefined {
  for (const f of readAccountLines(passwdPath)) {
    if (f.length < 6 || !/^\d+$/.test(f[2]) || !/^\d+$/.test(f[3])) continue;
    const entry = { name: f[0], uid: Number(f[2]), gid: Number(f[3]), home: f[5] };
    if ("name" in key ? entry.name === key.name : entry.uid === key.uid) return entry;
  }
  return undefined;
}

/** Looks a group's GID up by name in `/etc/group` (undefined when absent). */
export function lookupGroup(name: string, groupPath = "/etc/group"): number | undefined {
  for (const f of readAccountLines(groupPath)) {
    if (f.length >= 3 && f[0] === name && /^\d+$/.test(f[2])) return Number(f[2]);
  }
  return undefined;
}

/** The identity fields of a service (or exec request), as the layer spells them. */
export interface UserGroupSpec {
  user?: string;
  userId?: number | null;
  group?: string;
  groupId?: number | null;
}

/** A resolved identity: both IDs, or neither (run as the daemon's user). */
export interface UserGroup {
  uid: number;
  gid: number;
}

/**
 * Resolves user and group fields to numeric IDs as Pebble's `NormalizeUidGid` does:
 * names win over nothing but must agree with IDs given alongside them
 * (`user "x" UID (1) does not match user-id (2)`), a group alone is an error
 * (`must specify user, not just group`), and a user without a group runs with that
 * user's primary group. Returns null when nothing is asked for.
 *
 * ```ts
 * resolveUserGroup({ user: "nobody" }); // { uid: 65534, gid: 65534 }
 * ```
 */
export function resolveUserGroup(
  spec: UserGroupSpec,
  files: { passwd?: string; group?: string } = {},
): UserGroup | null {
  let uid = spec.userId ?? undefined;
  let gid = spec.groupId ?? undefined;
  const user = spec.user ?? "";
  const group = spec.group ?? "";
  if (uid === undefined && user === "" && gid === undefined && group === "") return null;
  if (user !== "") {
    const u = lookupUser({ name: user }, files.passwd);
    if (!u) throw new UserGroupError(`user: unknown user ${user}`);
    if (uid !== undefined && uid !== u.uid) {
      throw new UserGroupError(
        `user ${JSON.stringify(user)} UID (${u.uid}) does not match user-id (${uid})`,
      );
    }
    uid = u.uid;
  }
  if (group !== "") {
    const g = lookupGroup(group, files.group);
    if (g === undefined) throw new UserGroupError(`group: unknown group ${group}`);
    if (gid !== undefined && gid !== g) {
      throw new UserGroupError(
        `group ${JSON.stringify(group)} GID (${g}) does not match group-id (${gid})`,
      );
    }
    gid = g;
  }
  if (uid === undefined) throw new UserGroupError("must specify user, not just group");
  if (gid === undefined) {
    const u = lookupUser({ uid }, files.passwd);
    if (!u) throw new UserGroupError(`user: unknown userid ${uid}`);
    gid = u.gid;
  }
  return { uid, gid };
}
