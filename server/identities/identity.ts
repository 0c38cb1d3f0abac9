/**
 * One identity as Pebble models it: an access level and one or more ways to
 * authenticate (`local` UID, `basic` sha512-crypt password, `cert` X.509 PEM), with the
 * API's JSON decoding and Pebble's validation messages.
 *
 * @module
 */

/** Access levels, from most to least trusted. */
export type IdentityAccess = "admin" | "read" | "metrics" | "untrusted";

/** An identity (its name is the key it is stored under). */
export interface Identity {
  access: IdentityAccess;
  local?: { userId: number };
  basic?: { password: string };
  /** The certificate in PEM form (validated when added). */
  cert?: { pem: string };
}

/** A request or configuration problem with identities (a 400 over the API). */
export class IdentityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "IdentityError";
  }
}

const NAME_RE = /^[a-zA-Z][a-zA-Z0-9_\-]*$/;
const ACCESS = ["admin", "read", "metrics", "untrusted"];

/** Pebble's Identity.Validate (the name problem names "" as Pebble's message does). */
export function validateIdentity(name: string, id: Identity): void {
  if (!NAME_RE.test(name)) {
    throw new IdentityError(
      `identity name "" invalid: must start with an alphabetic character and only contain alphanumeric characters, underscore, and hyphen`,
    );
  }
  const access = id.access as string;
  if (access === "") {
    throw new IdentityError(
      `access value must be specified ("admin", "read", "metrics", or "untrusted")`,
    );
  }
  if (!ACCESS.includes(access)) {
    throw new IdentityError(
      `invalid access value ${
        JSON.stringify(access)
      }, must be "admin", "read", "metrics", or "untrusted"`,
    );
  }
  if (id.basic && id.basic.password === "") {
    throw new IdentityError("basic identity must specify password (hashed)");
  }
  if (!id.local && !id.basic && !id.cert) {
    throw new IdentityError(`identity must have at least one type ("local", "basic", or "cert")`);
  }
}

/** A JSON decoding problem, worded as Go's decoder words the common ones. */
export class IdentityDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "IdentityDecodeError";
  }
}

function jsonType(v: unknown): string {
  if (typeof v === "number") return `number ${v}`;
  if (Array.isArray(v)) return "array";
  return typeof v === "object" ? "object" : typeof v;
}

function decodeFail(v: unknown, struct: string, field: string, goType: string): never {
  throw new IdentityDecodeError(
    `json: cannot unmarshal ${
      jsonType(v)
    } into Go struct field ${struct}.identities.${field} of type ${goType}`,
  );
}

function objectOrNull(v: unknown, struct: string, field: string): Record<string, unknown> | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== "object" || Array.isArray(v)) decodeFail(v, struct, field, struct);
  return v as Record<string, unknown>;
}

function str(v: unknown, struct: string, field: string): string {
  if (v === undefined || v === null) return "";
  if (typeof v !== "string") decodeFail(v, struct, field, "string");
  return v;
}

/**
 * Decodes the JSON of one identity as the API receives it (Pebble's apiIdentity): type
 * errors throw {@link IdentityDecodeError}; missing or invalid parts {@link IdentityError}.
 * `null` stays null (a removal in `replace`/`remove`).
 */
export function identityFromApi(name: string, raw: unknown): Identity | null {
  if (raw === null) return null;
  const obj = objectOrNull(raw, "apiIdentity", "")!;
  const id: Identity = { access: str(obj.access, "apiIdentity", "access") as IdentityAccess };
  const local = objectOrNull(obj.local, "apiIdentity", "local");
  const basic = objectOrNull(obj.basic, "apiIdentity", "basic");
  const cert = objectOrNull(obj.cert, "apiIdentity", "cert");
  if (local) {
    const uid = local["user-id"];
    if (uid !== undefined && uid !== null) {
      if (typeof uid !== "number" || !Number.isInteger(uid) || uid < 0 || uid > 0xffffffff) {
        decodeFail(uid, "apiLocalIdentity", "local.user-id", "uint32");
      }
    }
    if (uid === undefined || uid === null) {
      throw new IdentityError("local identity must specify user-id");
    }
    id.local = { userId: uid as number };
  }
  if (basic) id.basic = { password: str(basic.password, "apiBasicIdentity", "basic.password") };
  if (cert) id.cert = { pem: parseCertPem(str(cert.pem, "apiCertIdentity", "cert.pem")) };
  validateIdentity(name, id);
  return id;
}

/**
 * Checks a PEM certificate as Pebble does (one PEM block, nothing after it, a parsable
 * X.509 certificate) and returns it in canonical PEM form.
 */
export function parseCertPem(pem: string): string {
  const m = /-----BEGIN ([^\n-]*)-----[^\n]*\r?\n([\s\S]*?)-----END \1-----[ \t]*(?:\r?\n|$)/
    .exec(pem);
  if (!m) throw new IdentityError("cert identity must include a PEM-encoded certificate");
  if (pem.slice(m.index + m[0].length).length > 0) {
    throw new IdentityError("cert identity cannot have extra data after the PEM block");
  }
  const body = m[2].replace(/\s+/g, "");
  let der: Uint8Array;
  try {
    der = Uint8Array.from(atob(body), (c) => c.charCodeAt(0));
  } catch {
    throw new IdentityError("cert identity must include a PEM-encoded certificate");
  }
  try {
    parseX509(der);
  } catch (e) {
    throw new IdentityError(
      `cannot parse certificate from cert identity: ${(e as Error).message}`,
    );
  }
  const lines = body.match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join("\n")}\n-----END CERTIFICATE-----\n`;
}

// node:crypto is loaded only when a cert identity is seen (not at daemon start-up).
let X509: (typeof import("node:crypto"))["X509Certificate"] | undefined;

function parseX509(der: Uint8Array): void {
  if (!X509) {
    throw new Error("internal error: X.509 support not loaded (call loadX509 first)");
  }
  new X509(der);
}

/** Loads node:crypto's X509Certificate (call before {@link identityFromApi} with certs). */
export async function loadX509(): Promise<void> {
  X509 ??= (await import("node:crypto")).X509Certificate;
}

/** The identity as `GET /v1/identities` shows it: secrets replaced by `*****`. */
export function identityToApi(id: Identity): Record<string, unknown> {
  const out: Record<string, unknown> = { access: id.access };
  if (id.local) out.local = { "user-id": id.local.userId };
  if (id.basic) out.basic = { password: "*****" };
  if (id.cert) out.cert = { pem: "*****" };
  return out;
}

/** The identity as stored in the daemon state. */
export function identityToRecord(id: Identity): Record<string, unknown> {
  const out: Record<string, unknown> = { access: id.access };
  if (id.local) out.local = { "user-id": id.local.userId };
  if (id.basic) out.basic = { password: id.basic.password };
  if (id.cert) out.cert = { pem: id.cert.pem };
  return out;
}

/** An identity read back from the daemon state (trusted: it was validated when added). */
export function identityFromRecord(r: Record<string, unknown>): Identity {
  const id: Identity = { access: String(r.access) as IdentityAccess };
  const local = r.local as Record<string, unknown> | undefined;
  const basic = r.basic as Record<string, unknown> | undefined;
  const cert = r.cert as Record<string, unknown> | undefined;
  if (local) id.local = { userId: Number(local["user-id"]) };
  if (basic) id.basic = { password: String(basic.password) };
  if (cert) id.cert = { pem: String(cert.pem) };
  return id;
}
