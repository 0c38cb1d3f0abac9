/**
 * The identities of the daemon (Pebble's identities manager): named identities with an
 * access level, changed all-or-nothing (`add`, `update`, `replace`, `remove`), persisted
 * in the daemon state as `identity` records, and looked up for each request.
 *
 * @module
 */

import type { State } from "../state/state.ts";
import {
  type Identity,
  IdentityError,
  identityFromRecord,
  identityToRecord,
  validateIdentity,
} from "./identity.ts";
import { verifyPassword } from "./crypt.ts";
import { logNotice } from "../log.ts";

/** An identity with its name. */
export interface NamedIdentity {
  name: string;
  identity: Identity;
}

/** What `POST /v1/identities` asks for. */
export type IdentityAction = "add" | "update" | "replace" | "remove";

/** Holds the identities and answers who a caller is. */
export class IdentityManager {
  private identities = new Map<string, Identity>();
  private byUid = new Map<number, NamedIdentity>();
  private cryptProblemLogged = false;
  /**
   * `Authorization` header values that verified, with what they verified against: a
   * repeated request costs one map lookup. Bounded; emptied whenever identities change.
   */
  private verifiedHeaders = new Map<string, { name: string; hash: string }>();

  constructor(private state: State) {}

  /** Reads the identities from the (loaded) state. */
  load(): void {
    this.identities.clear();
    for (const [name, rec] of this.state.identityRecords()) {
      this.identities.set(name, identityFromRecord(rec as Record<string, unknown>));
    }
    this.reindex();
  }

  /** How many identities there are (0: callers get the default access). */
  get size(): number {
    return this.identities.size;
  }

  /** Every identity, by name in sorted order. */
  list(): Map<string, Identity> {
    return new Map([...this.identities].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
  }

  /**
   * Applies a change to the identities, all or nothing; the state is marked for the next
   * commit. A null identity means "remove" (only with `replace` and `remove`).
   * @throws {IdentityError} with Pebble's message; nothing is changed then.
   */
  apply(action: IdentityAction, changes: Map<string, Identity | null>): void {
    const next = new Map(this.identities);
    const sortedNames = [...changes.keys()].sort();
    const missing = sortedNames.filter((n) => !this.identities.has(n));
    switch (action) {
      case "add": {
        for (const name of sortedNames) validateNamed(name, changes.get(name)!);
        const existing = sortedNames.filter((n) => this.identities.has(n));
        if (existing.length) {
          throw new IdentityError(`identities already exist: ${existing.join(", ")}`);
        }
        for (const name of sortedNames) next.set(name, changes.get(name)!);
        break;
      }
      case "update": {
        for (const name of sortedNames) validateNamed(name, changes.get(name)!);
        if (missing.length) {
          throw new IdentityError(`identities do not exist: ${missing.join(", ")}`);
        }
        for (const name of sortedNames) next.set(name, changes.get(name)!);
        break;
      }
      case "replace": {
        for (const name of sortedNames) {
          const id = changes.get(name);
          if (id) validateNamed(name, id);
        }
        for (const name of sortedNames) {
          const id = changes.get(name);
          if (id) next.set(name, id);
          else next.delete(name);
        }
        break;
      }
      case "remove": {
        if (missing.length) {
          throw new IdentityError(`identities do not exist: ${missing.join(", ")}`);
        }
        for (const name of sortedNames) next.delete(name);
        break;
      }
    }
    verifyUniqueUserIds(next);
    for (const name of sortedNames) {
      const id = next.get(name);
      if (id === this.identities.get(name)) continue;
      this.state.setIdentityRecord(name, id ? identityToRecord(id) : null);
    }
    this.identities = next;
    this.reindex();
  }

  /** The identity an `Authorization` header value verified for before, if any. */
  verifiedHeader(header: string): NamedIdentity | undefined {
    const seen = this.verifiedHeaders.get(header);
    if (!seen) return undefined;
    const identity = this.identities.get(seen.name);
    return identity?.basic?.password === seen.hash ? { name: seen.name, identity } : undefined;
  }

  /**
   * The identity an `Authorization: Basic ...` header authenticates, if any (as
   * {@link fromBasic}, with the header remembered once it verified).
   */
  fromBasicHeader(header: string, user: string, password: string): NamedIdentity | undefined {
    const found = this.fromBasic(user, password);
    if (found) {
      if (this.verifiedHeaders.size >= 256) this.verifiedHeaders.clear();
      this.verifiedHeaders.set(header, { name: found.name, hash: found.identity.basic!.password });
    }
    return found;
  }

  /** The identity whose `local` user-id is `uid`. */
  fromUid(uid: number): NamedIdentity | undefined {
    return this.byUid.get(uid);
  }

  /**
   * The `basic` identity named `username` whose password hash matches `password`
   * (verified hashes are cached, so repeated requests cost little).
   */
  fromBasic(username: string, password: string): NamedIdentity | undefined {
    const identity = this.identities.get(username);
    if (!identity?.basic) return undefined;
    let ok = false;
    try {
      ok = verifyPassword(identity.basic.password, password);
    } catch (e) {
      // No libcrypt: say so once, and treat the credentials as not matching.
      if (!this.cryptProblemLogged) logNotice((e as Error).message);
      this.cryptProblemLogged = true;
    }
    return ok ? { name: username, identity } : undefined;
  }

  private reindex(): void {
    this.verifiedHeaders.clear();
    this.byUid.clear();
    for (const [name, identity] of this.identities) {
      if (identity.local) this.byUid.set(identity.local.userId, { name, identity });
    }
  }
}

function validateNamed(name: string, id: Identity): void {
  try {
    validateIdentity(name, id);
  } catch (e) {
    throw new IdentityError(`identity ${JSON.stringify(name)} invalid: ${(e as Error).message}`);
  }
}

function verifyUniqueUserIds(identities: Map<string, Identity>): void {
  const byUid = new Map<number, string[]>();
  for (const [name, id] of identities) {
    if (!id.local) continue;
    const names = byUid.get(id.local.userId) ?? [];
    names.push(name);
    byUid.set(id.local.userId, names);
  }
  for (const [uid, names] of [...byUid].sort((a, b) => a[0] - b[0])) {
    if (names.length > 1) {
      throw new IdentityError(
        `cannot have multiple identities with user ID ${uid} (${names.sort().join(", ")})`,
      );
    }
  }
}
