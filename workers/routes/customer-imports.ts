import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../context";
import type { RoutePolicy } from "../middleware/policy";
import { customerImportInput, importCustomers } from "../services/customer-import";
import { defineRoute, idempotencyKeyHeader, idParam, notFoundError } from "./shared";

/** Importing customers attests to their consent to be texted: an admin's act. */
const manage = { risk: "WRITE-HIGH", role: "admin" } satisfies RoutePolicy;

const importError = z.object({
  line: z.number().int().openapi({ description: "The file's line where the row starts; the header is line 1" }),
  field: z.string(),
  message: z.string(),
  duplicateOf: z.number().int().optional().openapi({ description: "The earlier line this row repeats" }),
});

const importReport = z
  .object({
    confirmed: z.boolean(),
    mapping: z.record(z.string(), z.union([z.string(), z.array(z.string())])),
    dataRows: z.number().int(),
    importable: z.number().int(),
    created: z.number().int(),
    errors: z.array(importError),
    sample: z.array(
      z.object({
        line: z.number().int(),
        name: z.string().optional(),
        phone: z.string().optional(),
        email: z.string().optional(),
        lastJobDate: z.string().optional(),
        jobType: z.string().optional(),
        notes: z.string().optional(),
      }),
    ),
  })
  .openapi("CustomerImportReport");

const importRoute = defineRoute(
  manage,
  {
    method: "post",
    path: "/{id}/customer-imports",
    tags: ["campaigns"],
    summary: "Import past customers from a CSV: a report by line and field, and nothing written until confirm is true",
    description:
      "Every row is checked (phone, email, date, repeats in the file, leads the project already has, numbers " +
      "that opted out) and reported by line and field. With `confirm: true` the good rows become won leads in one " +
      "transaction, each carrying the consent basis attested to, by whom and when; bad rows are left out.",
    request: {
      params: idParam,
      headers: idempotencyKeyHeader,
      body: { required: true, content: { "application/json": { schema: customerImportInput } } },
    },
    responses: {
      200: {
        description: "The report; `created` counts the leads written",
        content: { "application/json": { schema: importReport } },
      },
      ...notFoundError,
    },
  },
  { bodyLimit: 6 * 1024 * 1024 },
);

export function customerImportRoutes() {
  return new OpenAPIHono<AppEnv>().openapi(importRoute, async (c) =>
    c.json(await importCustomers(c.req.valid("param").id, c.req.valid("json"), c.get("services")), 200),
  );
}
