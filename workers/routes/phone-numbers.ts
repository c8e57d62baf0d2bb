import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../context";
import type { RoutePolicy } from "../middleware/policy";
import {
  attachPhoneNumber,
  buyPhoneNumber,
  listPhoneNumbers,
  releasePhoneNumber,
  searchAvailableNumbers,
} from "../services/phone-numbers";
import { defineRoute, idempotencyKeyHeader, idParam, notConfiguredError, notFoundError, spendCapError } from "./shared";

/** Numbers cost money and carry the business's calls: admins only, like the speed-to-lead settings. */
const read = { risk: "READ", role: "admin" } satisfies RoutePolicy;
const manage = { risk: "WRITE-HIGH", role: "admin" } satisfies RoutePolicy;

const e164 = z
  .string()
  .min(2)
  .max(20)
  .openapi({ description: "A phone number in E.164 form", example: "+14155550142" });

const phoneNumberView = z
  .object({
    number: z.string(),
    origin: z.enum(["typed", "purchased", "attached"]).openapi({
      description: "typed into the settings, bought through Apex, or attached from the tenant's Twilio subaccount",
    }),
    sid: z.string().nullable().openapi({ description: "Twilio's IncomingPhoneNumber sid, in the tenant's subaccount" }),
    tracking: z.boolean().openapi({ description: "The project's tracking number: the bridge's caller id" }),
    claimedAt: z.string(),
  })
  .openapi("PhoneNumber");

const availableNumber = z
  .object({
    phoneNumber: z.string(),
    friendlyName: z.string(),
    locality: z.string().nullable(),
    region: z.string().nullable(),
  })
  .openapi("AvailablePhoneNumber");

/** A number Apex holds is stored in E.164, so anything else in the path is a 422 naming `number`, not a 404. */
const numberParams = idParam.extend({
  number: z
    .string()
    .regex(/^\+[1-9]\d{6,14}$/, "must be a phone number in E.164 form, such as +14155550142")
    .openapi({ param: { name: "number", in: "path" }, example: "+14155550142" }),
});

const listRoute = defineRoute(read, {
  method: "get",
  path: "/{id}/phone-numbers",
  tags: ["phone numbers"],
  summary: "The project's numbers",
  request: { params: idParam },
  responses: {
    200: {
      description: "Numbers, oldest first",
      content: { "application/json": { schema: z.object({ items: z.array(phoneNumberView) }) } },
    },
    ...notFoundError,
  },
});

const searchRoute = defineRoute(read, {
  method: "get",
  path: "/{id}/phone-numbers/available",
  tags: ["phone numbers"],
  summary: "Local numbers for sale in an area code (searched by the platform account; nothing is created)",
  request: {
    params: idParam,
    query: z.object({
      areaCode: z.string().regex(/^[2-9][0-8]\d$/, "a three-digit North American area code, such as 415"),
      country: z
        .string()
        .regex(/^[A-Z]{2}$/, "a two-letter country code, such as US")
        .default("US"),
    }),
  },
  responses: {
    200: {
      description: "Up to ten numbers",
      content: { "application/json": { schema: z.object({ items: z.array(availableNumber) }) } },
    },
    ...notFoundError,
    ...notConfiguredError,
  },
});

const buyRoute = defineRoute(manage, {
  method: "post",
  path: "/{id}/phone-numbers",
  tags: ["phone numbers"],
  summary: "Buy a number (or attach one the tenant's Twilio account holds); it becomes the tracking number",
  description:
    "Apex sets the number's voice, SMS, status and fallback URLs itself; the fallback is a static TwiML " +
    "document that forwards to the owner and backups when Apex cannot answer. Bought once however often retried. " +
    "A purchase is a spend (its first month is recorded in the usage ledger): refused at the project's spend cap. " +
    "The tenant's Twilio subaccount is created with its first purchase.",
  request: {
    params: idParam,
    headers: idempotencyKeyHeader,
    body: {
      required: true,
      content: {
        "application/json": {
          schema: z.object({
            phoneNumber: e164,
            attach: z.boolean().default(false).openapi({ description: "true: a number already in the account" }),
          }),
        },
      },
    },
  },
  responses: {
    201: { description: "The number", content: { "application/json": { schema: phoneNumberView } } },
    ...spendCapError,
    ...notFoundError,
    ...notConfiguredError,
  },
});

const releaseRoute = defineRoute(
  manage,
  {
    method: "delete",
    path: "/{id}/phone-numbers/{number}",
    tags: ["phone numbers"],
    summary: "Release a number: a bought one goes back to Twilio; an attached one loses Apex's URLs",
    request: { params: numberParams },
    responses: { 204: { description: "Released" }, ...notFoundError },
  },
  { naturallyIdempotent: "releasing a number that is gone changes nothing (a repeat answers 404)" },
);

export function phoneNumberRoutes() {
  return new OpenAPIHono<AppEnv>()
    .openapi(listRoute, async (c) =>
      c.json({ items: await listPhoneNumbers(c.req.valid("param").id, c.get("services")) }, 200),
    )
    .openapi(searchRoute, async (c) =>
      c.json(
        { items: await searchAvailableNumbers(c.req.valid("param").id, c.req.valid("query"), c.get("services")) },
        200,
      ),
    )
    .openapi(buyRoute, async (c) => {
      const { id } = c.req.valid("param");
      const { phoneNumber, attach } = c.req.valid("json");
      const adopt = attach ? attachPhoneNumber : buyPhoneNumber;
      return c.json(await adopt(id, { phoneNumber }, c.get("services")), 201);
    })
    .openapi(releaseRoute, async (c) => {
      const { id, number } = c.req.valid("param");
      await releasePhoneNumber(id, number, c.get("services"));
      return c.body(null, 204);
    });
}
