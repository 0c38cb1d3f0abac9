// Identity types of the client API (`/v1/identities`) and their JSON conversions.

import { ProtocolError } from "./errors.ts";

/** An identity's access level: `"admin"`, `"read"`, `"metrics"` or `"untrusted"`. */
export type IdentityAccess = "admin" | "read" | "metrics" | "untrusted";

/**
 * A named identity's configuration, in the shape of ops' `pebble.Identity`: an access
 * level and at least one way to authenticate.
 */
export interface Identity {
  /** What the identity may do. */
  access: IdentityAccess | string;
  /** Authenticates callers on the unix socket by their UID. */
  local?: { userId: number };
  /**
   * HTTP Basic authentication: a sha512-crypt hash (`openssl passwd -6`). The daemon
   * reports it as `"*****"`.
   */
  basic?: { password: string };
  /** An X.509 certificate in PEM form (reported as `"*****"`). */
  cert?: { pem: string };
}

/** An identity in the API's JSON shape. */
export function identityToJson(id: Identity): Record<string, unknown> {
  const out: Record<string, unknown> = { access: id.access };
  if (id.local) out.local = { "user-id": id.local.userId };
  if (id.basic) out.basic = { password: id.basic.password };
  if (id.cert) out.cert = { pem: id.cert.pem };
  return out;
}

/** Parses the result of `GET /v1/identities`. */
export function parseIdentities(result: unknown): Record<string, Identity> {
  if (result === null || result === undefined) return {};
  if (typeof result !== "object" || Array.isArray(result)) {
    throw new ProtocolError(`cannot parse identities from Pebble: ${JSON.stringify(result)}`);
  }
  const out: Record<string, Identity> = {};
  for (const [name, raw] of Object.entries(result as Record<string, unknown>)) {
    if (raw === null || typeof raw !== "object") {
      throw new ProtocolError(`server returned null identity ${JSON.stringify(name)}`);
    }
    const r = raw as Record<string, Record<string, unknown> | undefined>;
    const id: Identity = { access: String(r.access ?? "") };
    if (r.local) id.local = { userId: Number(r.local["user-id"]) };
    if (r.basic) id.basic = { password: String(r.basic.password ?? "") };
    if (r.cert) id.cert = { pem: String(r.cert.pem ?? "") };
    out[name] = id;
  }
  return out;
}
