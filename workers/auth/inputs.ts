import { z } from "zod";
import { problems, zodFieldErrors } from "../problems";

/**
 * What the identity, member and API-key services accept. The API's routes
 * and the web app's form actions both reach those services, so the services
 * validate here and every caller gets the same 422 naming the field; nothing
 * unchecked reaches Postgres (a role like `superadmin`, a non-uuid id).
 */
export const roleSchema = z.enum(["owner", "admin", "member", "viewer"]);

const password = z.string().min(12, "at least 12 characters").max(1024);

export const signupInput = z.object({
  email: z.email().max(320),
  password,
  name: z.string().min(1).max(200),
  tenantName: z.string().min(1).max(200),
  projectName: z.string().min(1).max(200),
});

export const loginInput = z.object({
  email: z.email().max(320),
  password: z.string().min(1).max(1024),
  /** Which tenant, for users in several. */
  tenantId: z.uuid().optional(),
});

export const refreshTokenInput = z.string().min(1).max(200);

export const acceptInvitationInput = z.object({
  token: z.string().min(1).max(200),
  name: z.string().min(1).max(200),
  password,
});

export const invitationInput = z.object({ email: z.email().max(320), role: roleSchema });

export const newApiKeyInput = z.object({
  name: z.string().min(1).max(100),
  role: roleSchema,
  expiresInDays: z.number().int().min(1).max(3650).optional(),
});

/**
 * `value` as `schema` has it, or a 422 naming each offending field. `field`
 * names a bare value (an id, a token) that has no path of its own.
 */
export function parseInput<T extends z.ZodType>(schema: T, value: unknown, field = "(body)"): z.output<T> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw problems.validation(
    zodFieldErrors(parsed.error.issues).map((e) => (e.field === "(body)" ? { ...e, field } : e)),
  );
}

export const parseId = (value: unknown, field: string): string => parseInput(z.uuid(), value, field);
export const parseRole = (value: unknown, field = "role") => parseInput(roleSchema, value, field);
