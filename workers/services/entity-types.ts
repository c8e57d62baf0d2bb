import { z } from "zod";
import { type Transaction, withTenant } from "../../schema/tenant-transaction";
import { problems } from "../problems";
import { recordAudit } from "../repositories/audit";
import { type EntityTypeRow, findEntityType, insertEntityType, listEntityTypes } from "../repositories/entity-types";
import type { ServiceContext } from "../service-context";
import { earlierEffect, recordEffect } from "./idempotent-effects";
import { compileTenantSchema } from "./tenant-schema";

/**
 * Built-in entity types (lead, call, message, keyword, …) and the zod schema their `data` must pass.
 * Schemas are open (`loose`): agents add fields over time; the fields named
 * here are checked. Tenants add their own types with a JSON schema.
 */
const e164 = z.string().regex(/^\+[1-9]\d{6,14}$/, "must be an E.164 phone number like +15551234567");

const builtInTypes: Record<string, z.ZodType> = {
  lead: z.looseObject({
    phone: e164.optional(),
    email: z.email().optional(),
    message: z.string().max(10_000).optional(),
    source: z.string().max(100).optional(),
  }),
  call: z.looseObject({
    direction: z.enum(["inbound", "outbound"]).optional(),
    from: e164.optional(),
    to: e164.optional(),
    durationSeconds: z.number().int().nonnegative().optional(),
  }),
  message: z.looseObject({
    direction: z.enum(["inbound", "outbound"]).optional(),
    body: z.string().max(5_000).optional(),
  }),
  keyword: z.looseObject({ phrase: z.string().min(1).max(200).optional() }),
  page: z.looseObject({ url: z.url().optional(), title: z.string().max(300).optional() }),
  anchor: z.looseObject({ place: z.string().max(300).optional() }),
  campaign: z.looseObject({ channel: z.string().max(50).optional() }),
};

export const TYPE_NAME = /^[a-z][a-z0-9_]{0,49}$/;

/**
 * What `data` of a stored tenant type must pass. A type stored before Apex
 * refused unsafe patterns may still hold one: it is never run, and writes to
 * the type are refused, naming what is wrong, until it is defined anew.
 */
function storedTypeSchema(name: string, jsonSchema: unknown): z.ZodType {
  const compiled = compileTenantSchema(jsonSchema);
  if (compiled.ok) return compiled.schema;
  const reasons = compiled.errors.map((e) => `${e.field} ${e.message}`).join("; ");
  return z.unknown().superRefine((_, ctx) => {
    ctx.addIssue({ code: "custom", message: `type ${name} has a schema Apex will not run (${reasons})` });
  });
}

/** The schema `data` of `type` must pass, built-in or the tenant's own; `undefined` for an unknown type. */
export async function dataSchemaFor(tx: Transaction, type: string): Promise<z.ZodType | undefined> {
  const builtIn = builtInTypes[type];
  if (builtIn) return builtIn;
  const custom = await findEntityType(tx, type);
  return custom ? storedTypeSchema(custom.name, custom.jsonSchema) : undefined;
}

interface EntityTypeView {
  name: string;
  builtIn: boolean;
  description: string;
  jsonSchema: unknown;
}

const viewOf = (row: EntityTypeRow): EntityTypeView => ({
  name: row.name,
  builtIn: false,
  description: row.description,
  jsonSchema: row.jsonSchema,
});

export async function entityTypeList({ db, actor }: Pick<ServiceContext, "db" | "actor">): Promise<EntityTypeView[]> {
  const builtIns = Object.entries(builtInTypes).map(([name, schema]) => ({
    name,
    builtIn: true,
    description: `Built-in ${name}`,
    jsonSchema: z.toJSONSchema(schema),
  }));
  const custom = await withTenant(db, actor.auth.tenantId, (tx) => listEntityTypes(tx));
  return [...builtIns, ...custom.map(viewOf)];
}

export async function defineEntityType(
  input: { name: string; description?: string | undefined; jsonSchema: Record<string, unknown> },
  { db, actor, idempotency }: Pick<ServiceContext, "db" | "actor" | "idempotency">,
): Promise<EntityTypeView> {
  if (builtInTypes[input.name]) throw problems.validation([{ field: "name", message: "is a built-in type" }]);
  const compiled = compileTenantSchema(input.jsonSchema);
  if (!compiled.ok) throw problems.validation(compiled.errors);
  return withTenant(db, actor.auth.tenantId, async (tx) => {
    const earlier = await earlierEffect<EntityTypeView>(tx, idempotency);
    if (earlier) return earlier;
    const row = await insertEntityType(tx, {
      tenantId: actor.auth.tenantId,
      name: input.name,
      description: input.description ?? "",
      jsonSchema: input.jsonSchema,
    });
    if (!row) throw problems.conflict("entity-type-exists", `This tenant already has a type named ${input.name}.`);
    const view = viewOf(row);
    await recordAudit(tx, actor, { action: "entity_type.create", entityType: "entity_type", after: view });
    await recordEffect(tx, actor.auth.tenantId, idempotency, view);
    return view;
  });
}
