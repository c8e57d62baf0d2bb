import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../context";
import { LEAD_SOURCE_IDS } from "../intake/sources";
import type { RoutePolicy } from "../middleware/policy";
import {
  listIntakeSecrets,
  revokeIntakeSecret,
  rotateIntakeSecret,
  rotateIntakeSecretInput,
} from "../services/intake-secrets";
import { defineRoute, idempotencyKeyHeader, idParam, notFoundError } from "./shared";

/** Even a hint is admin data, like the speed-to-lead settings the secrets used to live in. */
const read = { risk: "READ", role: "admin" } satisfies RoutePolicy;
const manage = { risk: "WRITE-HIGH", role: "admin" } satisfies RoutePolicy;

const sourceParams = idParam.extend({
  source: z.enum(LEAD_SOURCE_IDS).openapi({ param: { name: "source", in: "path" } }),
});

const secretView = z
  .object({
    source: z.enum(LEAD_SOURCE_IDS),
    label: z.string().openapi({ description: 'What the owner calls it, e.g. "form token"' }),
    hint: z.string().nullable().openapi({
      description: "The last four characters (…1234); null when the source has no secret and takes no leads",
    }),
    createdAt: z.string().nullable(),
    rotatedAt: z.string().nullable(),
  })
  .openapi("IntakeSecret");

const listRoute = defineRoute(read, {
  method: "get",
  path: "/{id}/intake-secrets",
  tags: ["lead intake"],
  summary: "Each lead source's secret as a hint (never the secret itself)",
  request: { params: idParam },
  responses: {
    200: {
      description: "One item per lead source",
      content: { "application/json": { schema: z.object({ items: z.array(secretView) }) } },
    },
    ...notFoundError,
  },
});

const rotateRoute = defineRoute(manage, {
  method: "post",
  path: "/{id}/intake-secrets/{source}/rotate",
  tags: ["lead intake"],
  summary: "Create or rotate a lead source's secret; the secret is in this response only",
  description:
    'Without a body (or with `{}`) Apex generates a strong secret; `{"value": …}` uses the owner\'s own ' +
    "(e.g. the key already typed into Google Ads), checked by the source's rule. The previous secret stops " +
    "working at once. A retry with the same Idempotency-Key answers the same secret.",
  request: {
    params: sourceParams,
    headers: idempotencyKeyHeader,
    body: { required: false, content: { "application/json": { schema: rotateIntakeSecretInput } } },
  },
  responses: {
    200: {
      description: "Set; copy `secret` now",
      content: {
        "application/json": { schema: secretView.extend({ secret: z.string() }).openapi("RevealedIntakeSecret") },
      },
    },
    ...notFoundError,
  },
});

const revokeRoute = defineRoute(
  manage,
  {
    method: "delete",
    path: "/{id}/intake-secrets/{source}",
    tags: ["lead intake"],
    summary: "Remove a lead source's secret: its posts are refused from now on",
    request: { params: sourceParams },
    responses: { 204: { description: "Removed" }, ...notFoundError },
  },
  { naturallyIdempotent: "removing a secret that is gone changes nothing (a repeat answers 404)" },
);

export function intakeSecretRoutes() {
  return new OpenAPIHono<AppEnv>()
    .openapi(listRoute, async (c) =>
      c.json({ items: await listIntakeSecrets(c.req.valid("param").id, c.get("services")) }, 200),
    )
    .openapi(rotateRoute, async (c) => {
      const { id, source } = c.req.valid("param");
      return c.json(await rotateIntakeSecret(id, source, c.req.valid("json"), c.get("services")), 200);
    })
    .openapi(revokeRoute, async (c) => {
      const { id, source } = c.req.valid("param");
      await revokeIntakeSecret(id, source, c.get("services"));
      return c.body(null, 204);
    });
}
