/**
 * sha512-crypt password verification (`$6$...` hashes, as `openssl passwd -6` makes) through
 * glibc's libcrypt. Verified hash/password pairs are remembered (as SHA-256 digests, never
 * the password itself), so an authenticated request pays the deliberately slow hash once.
 *
 * @module
 */

import { createHash, timingSafeEqual } from "node:crypto";

type Libcrypt = Deno.DynamicLibrary<{
  crypt: { parameters: ["buffer", "buffer"]; result: "pointer" };
}>;

let lib: Libcrypt | null | undefined;
let loadError = "";

function openLibcrypt(): Libcrypt | null {
  if (lib !== undefined) return lib;
  try {
    lib = Deno.dlopen("libcrypt.so.1", {
      crypt: { parameters: ["buffer", "buffer"], result: "pointer" },
    });
  } catch (e) {
    lib = null;
    loadError = (e as Error).message;
  }
  return lib;
}

/** Thrown when sha512-crypt is not available on this system (no libcrypt.so.1). */
export class CryptUnavailableError extends Error {
  constructor(detail: string) {
    super(`cannot verify sha512-crypt passwords: libcrypt.so.1 is not available: ${detail}`);
    this.name = "CryptUnavailableError";
  }
}

const encoder = new TextEncoder();

function cString(s: string): Uint8Array {
  const bytes = encoder.encode(s);
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  return out;
}

/** glibc's `crypt(password, setting)`; null when it refuses the setting. */
export function crypt(password: string, setting: string): string | null {
  const c = openLibcrypt();
  if (!c) throw new CryptUnavailableError(loadError);
  const ptr = c.symbols.crypt(cString(password), cString(setting));
  if (ptr === null) return null;
  const out = new Deno.UnsafePointerView(ptr).getCString();
  // libcrypt's failure tokens start with "*".
  return out.startsWith("*") ? null : out;
}

const MAX_CACHED = 1024;
const verified = new Set<string>();

function cacheKey(hash: string, password: string): string {
  return createHash("sha256").update(hash).update("\0").update(password).digest("base64");
}

/**
 * Whether `password` matches the sha512-crypt `hash` (only `$6$` hashes are accepted, as
 * in Pebble). Successful checks are cached, keyed by a digest of hash and password.
 */
export function verifyPassword(hash: string, password: string): boolean {
  if (!hash.startsWith("$6$")) return false;
  const key = cacheKey(hash, password);
  if (verified.has(key)) return true;
  const computed = crypt(password, hash);
  if (computed === null) return false;
  const a = encoder.encode(computed);
  const b = encoder.encode(hash);
  if (a.length !== b.length || !timingSafeEqual(a, b)) return false;
  if (verified.size >= MAX_CACHED) verified.clear();
  verified.add(key);
  return true;
}
