import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../context";
import { DNA_LAYERS } from "../dna/schema";
import { guard } from "../middleware/guard";
import { idempotency } from "../middleware/idempotency";
import { getDna, putDnaLayer } from "../services/dna";
import type { RoutePolicy } from "./policy";
import {
  actorOf,
  conflictErrors,
  etag,
  guardedErrors,
  idParam,
  ifMatchHeader,
  notFoundError,
  requiredVersion,
} from "./shared";

const read: RoutePolicy = { risk: "READ", role: "member" };
const write: RoutePolicy = { risk: "WRITE-HIGH", role: "admin" };

const dnaView = z
  .object({
    dna: z
      .record(z.string(), z.unknown())
      .openapi({ description: "The merged DNA (defaults → generated → custom), or one layer with ?layer=" }),
    versions: z.object({ generated: z.number().int(), custom: z.number().int() }),
  })
  .openapi("ProjectDna");

const getRoute = createRoute({
  method: "get",
  path: "/{id}/dna",
  tags: ["dna"],
  summary: "A project's DNA, merged or one layer; the ETag is the custom layer's version (what PUT …/dna/custom needs)",
  description:
    "Intake secrets (modules.speedToLead.intake) are shown in full to admins and owners only; other roles get " +
    "their last four characters (`…1234`). Sending a hint back unchanged keeps the stored secret.",
  "x-apex-policy": read,
  middleware: [guard(read)] as const,
  request: { params: idParam, query: z.object({ layer: z.enum(DNA_LAYERS).optional() }) },
  responses: {
    200: { description: "DNA", content: { "application/json": { schema: dnaView } } },
    ...guardedErrors,
    ...notFoundError,
  },
});

const putRoute = createRoute({
  method: "put",
  path: "/{id}/dna/custom",
  tags: ["dna"],
  summary: "Replace the custom layer (a partial DNA merged over defaults and generated); needs If-Match",
  "x-apex-policy": write,
  middleware: [guard(write), idempotency] as const,
  request: {
    params: idParam,
    headers: ifMatchHeader,
    body: { required: true, content: { "application/json": { schema: z.record(z.string(), z.unknown()) } } },
  },
  responses: {
    200: { description: "The merged DNA after the change", content: { "application/json": { schema: dnaView } } },
    ...guardedErrors,
    ...notFoundError,
    ...conflictErrors,
  },
});

export function dnaRoutes() {
  return new OpenAPIHono<AppEnv>()
    .openapi(getRoute, async (c) => {
      const found = await getDna(c.req.valid("param").id, { db: c.var.db(), actor: actorOf(c) });
      const layer = c.req.valid("query").layer;
      c.header("ETag", etag(found.versions.custom));
      return c.json(
        { dna: (layer ? found.layers[layer] : found.dna) as Record<string, unknown>, versions: found.versions },
        200,
      );
    })
    .openapi(putRoute, async (c) => {
      const saved = await putDnaLayer(c.req.valid("param").id, "custom", c.req.valid("json"), requiredVersion(c), {
        db: c.var.db(),
        actor: actorOf(c),
      });
      c.header("ETag", etag(saved.versions.custom));
      return c.json({ dna: saved.dna as unknown as Record<string, unknown>, versions: saved.versions }, 200);
    });
}
