/**
 * `/v1/identities`: list identities (secrets masked) and change them all-or-nothing.
 *
 * @module
 */

import type { Route } from "./api.ts";
import { badRequest, sync } from "./response.ts";
import {
  type Identity,
  IdentityDecodeError,
  identityFromApi,
  identityToApi,
  loadX509,
} from "../identities/identity.ts";
import type { IdentityAction } from "../identities/manager.ts";

const ACTIONS = new Set(["add", "update", "replace", "remove"]);
// How Go's decoder names the payload type in its errors.
const PAYLOAD_TYPE =
  'struct { Action string "json:\\"action\\""; Identities map[string]*daemon.apiIdentity "json:\\"identities\\"" }';

/** Routes of this area. */
export const identityRoutes: Route[] = [
  {
    path: "/v1/identities",
    read: "user",
    write: "admin",
    GET: ({ deps }) => {
      const out: Record<string, unknown> = {};
      for (const [name, id] of deps.identities?.list() ?? []) out[name] = identityToApi(id);
      return sync(out);
    },
    POST: async (req) => {
      const body = await req.json();
      if (body === null || typeof body !== "object" || Array.isArray(body)) {
        return badRequest(
          `cannot decode request body: json: cannot unmarshal ${
            Array.isArray(body) ? "array" : typeof body
          } into Go value of type ${PAYLOAD_TYPE}`,
        );
      }
      const { action = "", identities = null } = body as Record<string, unknown>;
      if (typeof action !== "string") {
        return badRequest(
          `cannot decode request body: json: cannot unmarshal ${typeof action} into Go struct field .action of type string`,
        );
      }
      if (identities !== null && (typeof identities !== "object" || Array.isArray(identities))) {
        return badRequest(
          `cannot decode request body: json: cannot unmarshal ${
            Array.isArray(identities) ? "array" : typeof identities
          } into Go struct field .identities of type map[string]*daemon.apiIdentity`,
        );
      }
      const raw = (identities ?? {}) as Record<string, unknown>;
      if (Object.values(raw).some((v) => v && typeof v === "object" && "cert" in v)) {
        await loadX509();
      }
      const parsed = new Map<string, Identity | null>();
      for (const name of Object.keys(raw).sort()) {
        try {
          parsed.set(name, identityFromApi(name, raw[name]));
        } catch (e) {
          if (e instanceof IdentityDecodeError) {
            return badRequest(`cannot decode request body: ${e.message}`);
          }
          return badRequest(
            `invalid identity for ${JSON.stringify(name)}: ${(e as Error).message}`,
          );
        }
      }
      if (!ACTIONS.has(action)) {
        return badRequest(
          `invalid action ${
            JSON.stringify(action)
          }, must be "add", "update", "replace", or "remove"`,
        );
      }
      for (const [name, id] of parsed) {
        if ((action === "add" || action === "update") && id === null) {
          return badRequest(
            `identity value for ${JSON.stringify(name)} must not be null for ${action} operation`,
          );
        }
        if (action === "remove" && id !== null) {
          return badRequest(
            `identity value for ${JSON.stringify(name)} must be null for remove operation`,
          );
        }
      }
      const manager = req.deps.identities;
      if (!manager) return badRequest("identities are not supported by this daemon");
      try {
        manager.apply(action as IdentityAction, parsed);
      } catch (e) {
        return badRequest((e as Error).message);
      }
      await req.deps.state.commit();
      return sync(null);
    },
  },
];
