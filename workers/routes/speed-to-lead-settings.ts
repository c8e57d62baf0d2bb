import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../context";
import type { RoutePolicy } from "../middleware/policy";
import { getSpeedToLeadSettings, putSpeedToLeadSettings } from "../speed-to-lead/settings-store";
import { conflictErrors, defineRoute, etag, idParam, ifMatchHeader, notFoundError, requiredVersion } from "./shared";

const read = { risk: "READ", role: "admin" } satisfies RoutePolicy;
const write = { risk: "WRITE-HIGH", role: "admin" } satisfies RoutePolicy;

const settingsBody = z.record(z.string(), z.unknown()).openapi("SpeedToLeadSettings", {
  description:
    'ownerPhone, trackingNumber (E.164), defaultCountry, timezone, businessHours {mon: [["08:00","17:00"]]…}, ' +
    "whisperTemplate, ownerSmsTemplate, textBackTemplate, disclosure, customerDisclosure (always | by-region), " +
    "bridgeAtCap (keep-calling | pause), dedupWindowMinutes, textBackWindowMinutes, scoreThreshold. " +
    "Lead-source secrets are not settings: see /projects/{id}/intake-secrets.",
});

/**
 * The settings live at /speed-to-lead-settings; /voice-settings, their first
 * name, stays as a deprecated alias for clients written against it.
 */
const getRoute = (path: string, deprecated: boolean) =>
  defineRoute(read, {
    method: "get",
    path,
    deprecated,
    tags: ["projects"],
    summary: "Speed-to-lead settings of a project, with the project's ETag",
    request: { params: idParam },
    responses: {
      200: { description: "Settings", content: { "application/json": { schema: settingsBody } } },
      ...notFoundError,
    },
  });

const putRoute = (path: string, deprecated: boolean) =>
  defineRoute(write, {
    method: "put",
    path,
    deprecated,
    tags: ["projects"],
    summary: "Replace the speed-to-lead settings (validated whole); needs If-Match",
    request: {
      params: idParam,
      headers: ifMatchHeader,
      body: { required: true, content: { "application/json": { schema: settingsBody } } },
    },
    responses: {
      200: { description: "Saved", content: { "application/json": { schema: settingsBody } } },
      ...notFoundError,
      ...conflictErrors,
    },
  });

export function speedToLeadSettingsRoutes() {
  const app = new OpenAPIHono<AppEnv>();
  for (const [path, deprecated] of [
    ["/{id}/speed-to-lead-settings", false],
    ["/{id}/voice-settings", true],
  ] as const) {
    app
      .openapi(getRoute(path, deprecated), async (c) => {
        const { settings, version } = await getSpeedToLeadSettings(c.req.valid("param").id, c.get("services"));
        c.header("ETag", etag(version));
        return c.json(settings, 200);
      })
      .openapi(putRoute(path, deprecated), async (c) => {
        const { settings, version } = await putSpeedToLeadSettings(
          c.req.valid("param").id,
          requiredVersion(c),
          c.req.valid("json"),
          c.get("services"),
        );
        c.header("ETag", etag(version));
        return c.json(settings, 200);
      });
  }
  return app;
}
