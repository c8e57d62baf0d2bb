import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../context";
import { huntOverview, huntScreenshot } from "../hunter/hunts";
import { getLeadHunterSettings, putLeadHunterSettings } from "../hunter/settings-store";
import type { RoutePolicy } from "../middleware/policy";
import { conflictErrors, defineRoute, etag, idParam, ifMatchHeader, notFoundError, requiredVersion } from "./shared";

const read = { risk: "READ", role: "viewer" } satisfies RoutePolicy;
const configure = { risk: "WRITE-HIGH", role: "admin" } satisfies RoutePolicy;

const settingsBody = z.record(z.string(), z.unknown()).openapi("LeadHunterSettings", {
  description:
    "enabled, platforms (gigs | trades), keywords, places, radiusKm + center {lat, lon}, " +
    "schedule {everyMinutes, days, from, to}, scoreThreshold, contactPolicy (alert-only | bridge-public-phone), " +
    "maxPagesPerRun. Hunts start with POST /api/v1/tasks/sniper_agent {projectId}.",
});

const overviewBody = z.record(z.string(), z.unknown()).openapi("HuntOverview", {
  description: "settings, runs (the sniper_agent tickets with scored and alerted counts), leads (with provenance)",
});

const settingsRoute = defineRoute(read, {
  method: "get",
  path: "/projects/{id}/lead-hunter-settings",
  tags: ["hunter"],
  summary: "The lead hunter's settings of a project, with the project's ETag",
  request: { params: idParam },
  responses: {
    200: { description: "Settings", content: { "application/json": { schema: settingsBody } } },
    ...notFoundError,
  },
});

const putSettingsRoute = defineRoute(configure, {
  method: "put",
  path: "/projects/{id}/lead-hunter-settings",
  tags: ["hunter"],
  summary: "Replace the lead hunter's settings (validated whole; audited); needs If-Match",
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

const overviewRoute = defineRoute(read, {
  method: "get",
  path: "/projects/{id}/hunt",
  tags: ["hunter"],
  summary: "The Hunt page's data: settings, recent runs with their counts, hunted leads with provenance",
  request: { params: idParam },
  responses: {
    200: { description: "Overview", content: { "application/json": { schema: overviewBody } } },
    ...notFoundError,
  },
});

const screenshotRoute = defineRoute(read, {
  method: "get",
  path: "/leads/{id}/hunt-screenshot",
  tags: ["hunter"],
  summary: "The page a hunted lead was found on, as the hunter saw it (PNG)",
  request: { params: idParam },
  responses: {
    200: { description: "Screenshot", content: { "image/png": { schema: z.string() } } },
    ...notFoundError,
  },
});

export function huntRoutes() {
  return new OpenAPIHono<AppEnv>()
    .openapi(settingsRoute, async (c) => {
      const { settings, version } = await getLeadHunterSettings(c.req.valid("param").id, c.get("services"));
      c.header("ETag", etag(version));
      return c.json(settings, 200);
    })
    .openapi(putSettingsRoute, async (c) => {
      const { settings, version } = await putLeadHunterSettings(
        c.req.valid("param").id,
        requiredVersion(c),
        c.req.valid("json"),
        c.get("services"),
      );
      c.header("ETag", etag(version));
      return c.json(settings, 200);
    })
    .openapi(overviewRoute, async (c) => c.json(await huntOverview(c.req.valid("param").id, c.get("services")), 200))
    .openapi(screenshotRoute, async (c) => {
      const object = await huntScreenshot(c.req.valid("param").id, c.get("services"));
      // A stream, not JSON: the typed-response helper cannot describe it, hence the cast.
      return c.body(object.body, 200, { "Content-Type": "image/png" }) as never;
    });
}
