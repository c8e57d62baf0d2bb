import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../context";
import { guard } from "../middleware/guard";
import { idempotency } from "../middleware/idempotency";
import { getVoiceSettings, putVoiceSettings } from "../services/project-settings";
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

const read: RoutePolicy = { risk: "READ", role: "admin" };
const write: RoutePolicy = { risk: "WRITE-HIGH", role: "admin" };

const settingsBody = z.record(z.string(), z.unknown()).openapi("VoiceSettings", {
  description:
    'ownerPhone, trackingNumber (E.164), defaultCountry, timezone, businessHours {mon: [["08:00","17:00"]]…}, ' +
    "whisperTemplate, ownerSmsTemplate, textBackTemplate, disclosure, dedupWindowMinutes, textBackWindowMinutes, " +
    "intake {googleKey, wordpressSecret, formToken} (admin-only; a `…1234` hint sent back keeps the stored secret)",
});

const getRoute = createRoute({
  method: "get",
  path: "/{id}/voice-settings",
  tags: ["projects"],
  summary: "Speed-to-lead settings of a project, with the project's ETag",
  "x-apex-policy": read,
  middleware: [guard(read)] as const,
  request: { params: idParam },
  responses: {
    200: { description: "Settings", content: { "application/json": { schema: settingsBody } } },
    ...guardedErrors,
    ...notFoundError,
  },
});

const putRoute = createRoute({
  method: "put",
  path: "/{id}/voice-settings",
  tags: ["projects"],
  summary: "Replace the speed-to-lead settings (validated whole); needs If-Match",
  "x-apex-policy": write,
  middleware: [guard(write), idempotency] as const,
  request: {
    params: idParam,
    headers: ifMatchHeader,
    body: { required: true, content: { "application/json": { schema: settingsBody } } },
  },
  responses: {
    200: { description: "Saved", content: { "application/json": { schema: settingsBody } } },
    ...guardedErrors,
    ...notFoundError,
    ...conflictErrors,
  },
});

export function projectSettingsRoutes() {
  return new OpenAPIHono<AppEnv>()
    .openapi(getRoute, async (c) => {
      const { settings, version } = await getVoiceSettings(c.req.valid("param").id, {
        db: c.var.db(),
        actor: actorOf(c),
      });
      c.header("ETag", etag(version));
      return c.json(settings, 200);
    })
    .openapi(putRoute, async (c) => {
      const { settings, version } = await putVoiceSettings(
        c.req.valid("param").id,
        requiredVersion(c),
        c.req.valid("json"),
        {
          db: c.var.db(),
          actor: actorOf(c),
        },
      );
      c.header("ETag", etag(version));
      return c.json(settings, 200);
    });
}
