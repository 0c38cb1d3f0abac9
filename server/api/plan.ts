/**
 * `/v1/plan` and `/v1/layers`.
 *
 * @module
 */

import type { Route } from "./api.ts";
import { jsonObject } from "./context.ts";
import { badRequest, internalError, sync } from "./response.ts";
import {
  LabelExistsError,
  LayerError,
  LayerInsertError,
  parseLayer,
  PlanError,
} from "../../plan/mod.ts";

/** Routes of this area. */
export const planRoutes: Route[] = [
  {
    path: "/v1/plan",
    read: "admin",
    GET: ({ deps, query }) => {
      const format = query.get("format") ?? "";
      if (format !== "yaml") return badRequest(`invalid format ${JSON.stringify(format)}`);
      return sync(deps.plan.planYaml());
    },
  },
  {
    path: "/v1/layers",
    write: "admin",
    POST: async (req) => {
      const body = await jsonObject(req, {
        action: "string",
        combine: "boolean",
        inner: "boolean",
        label: "string",
        format: "string",
        layer: "string",
      });
      if (body.action !== "add") {
        return badRequest(`invalid action ${JSON.stringify(body.action ?? "")}`);
      }
      const label = (body.label as string | undefined) ?? "";
      if (label === "") return badRequest("label must be set");
      if (body.format !== "yaml") {
        return badRequest(`invalid format ${JSON.stringify(body.format ?? "")}`);
      }
      let layer;
      try {
        layer = parseLayer(String(body.layer ?? ""), { label, order: 0 });
      } catch (e) {
        if (e instanceof LayerError) return badRequest(`cannot parse layer YAML: ${e.message}`);
        throw e;
      }
      try {
        if (body.combine) req.deps.plan.combineLayer(layer, body.inner === true);
        else req.deps.plan.appendLayer(layer, body.inner === true);
      } catch (e) {
        if (
          e instanceof LabelExistsError || e instanceof LayerInsertError || e instanceof PlanError
        ) {
          return badRequest((e as Error).message);
        }
        return internalError((e as Error).message);
      }
      return sync(true);
    },
  },
];
