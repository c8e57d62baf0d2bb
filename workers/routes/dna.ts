import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../context";
import { DNA_LAYERS } from "../dna/schema";
import type { RoutePolicy } from "../middleware/policy";
import { getDna, putDnaLayer } from "../services/dna";
import { conflictErrors, defineRoute, etag, idParam, ifMatchHeader, notFoundError, requiredVersion } from "./shared";

const read = { risk: "READ", role: "member" } satisfies RoutePolicy;
const write = { risk: "WRITE-HIGH", role: "admin" } satisfies RoutePolicy;

const dnaView = z
  .object({
    dna: z
      .record(z.string(), z.unknown())
      .openapi({ description: "The merged DNA (defaults → generated → custom), or one layer with ?layer=" }),
    versions: z.object({ generated: z.number().int(), custom: z.number().int() }),
  })
  .openapi("ProjectDna");

const getRoute = defineRoute(read, {
  method: "get",
  path: "/{id}/dna",
  tags: ["dna"],
  summary: "A project's DNA, merged or one layer; the ETag is the custom layer's version (what PUT …/dna/custom needs)",
  description: "Holds no secrets: lead-source secrets are sealed apart (/projects/{id}/intake-secrets, decision 017).",
  request: { params: idParam, query: z.object({ layer: z.enum(DNA_LAYERS).optional() }) },
  responses: {
    200: { description: "DNA", content: { "application/json": { schema: dnaView } } },
    ...notFoundError,
  },
});

const putRoute = defineRoute(write, {
  method: "put",
  path: "/{id}/dna/custom",
  tags: ["dna"],
  summary: "Replace the custom layer (a partial DNA merged over defaults and generated); needs If-Match",
  request: {
    params: idParam,
    headers: ifMatchHeader,
    body: { required: true, content: { "application/json": { schema: z.record(z.string(), z.unknown()) } } },
  },
  responses: {
    200: { description: "The merged DNA after the change", content: { "application/json": { schema: dnaView } } },
    ...notFoundError,
    ...conflictErrors,
  },
});

export function dnaRoutes() {
  return new OpenAPIHono<AppEnv>()
    .openapi(getRoute, async (c) => {
      const found = await getDna(c.req.valid("param").id, c.get("services"));
      const layer = c.req.valid("query").layer;
      c.header("ETag", etag(found.versions.custom));
      return c.json(
        { dna: (layer ? found.layers[layer] : found.dna) as Record<string, unknown>, versions: found.versions },
        200,
      );
    })
    .openapi(putRoute, async (c) => {
      const { id } = c.req.valid("param");
      const saved = await putDnaLayer(id, "custom", c.req.valid("json"), requiredVersion(c), c.get("services"));
      c.header("ETag", etag(saved.versions.custom));
      return c.json({ dna: saved.dna as unknown as Record<string, unknown>, versions: saved.versions }, 200);
    });
}
