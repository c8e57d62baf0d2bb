import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../context";
import type { RoutePolicy } from "../middleware/policy";
import { approvePage } from "../seo/approve";
import { seoOverview } from "../seo/overview";
import { getWordPressSite, saveSearchConsole, saveWordPressSite } from "../seo/sites";
import { conflictErrors, defineRoute, idParam, notFoundError } from "./shared";

const read = { risk: "READ", role: "viewer" } satisfies RoutePolicy;
const readAsAdmin = { risk: "READ", role: "admin" } satisfies RoutePolicy;
const configure = { risk: "WRITE-HIGH", role: "admin" } satisfies RoutePolicy;

const siteView = z
  .object({
    url: z.string(),
    username: z.string(),
    applicationPasswordHint: z.string(),
    searchConsole: z.object({ property: z.string(), tokenHint: z.string() }).nullable(),
    updatedAt: z.string(),
  })
  .openapi("WordPressSite");

const searchConsoleRoute = defineRoute(
  configure,
  {
    method: "put",
    path: "/projects/{id}/search-console",
    tags: ["seo"],
    summary: "Connect the site's Search Console property for the analytics stage (token sealed; audited)",
    request: {
      params: idParam,
      body: {
        required: true,
        content: {
          "application/json": {
            schema: z.object({ property: z.string(), accessToken: z.string() }).openapi("SearchConsoleInput", {
              description: "property: https://site/ or sc-domain:site; accessToken: OAuth, webmasters.readonly",
            }),
          },
        },
      },
    },
    responses: {
      200: { description: "Saved", content: { "application/json": { schema: siteView } } },
      ...notFoundError,
    },
  },
  { naturallyIdempotent: "saving the same property and token again stores the same connection" },
);

const siteBody = z
  .object({
    url: z.string().openapi({ description: "The site's address; the outbound-URL policy checks it" }),
    username: z.string(),
    applicationPassword: z.string().openapi({
      description: "An Application Password of that user (Users → Profile); stored sealed, shown back as a hint",
    }),
  })
  .openapi("WordPressSiteInput");

// The Application Password's hint is an admin's to see, as the LLM key's is.
const getSiteRoute = defineRoute(readAsAdmin, {
  method: "get",
  path: "/projects/{id}/wordpress",
  tags: ["seo"],
  summary: "The project's WordPress site (the password only as its hint); null when none is connected",
  request: { params: idParam },
  responses: {
    200: { description: "Site", content: { "application/json": { schema: siteView.nullable() } } },
    ...notFoundError,
  },
});

const putSiteRoute = defineRoute(
  configure,
  {
    method: "put",
    path: "/projects/{id}/wordpress",
    tags: ["seo"],
    summary: "Connect the project's WordPress site for programmatic SEO (audited)",
    request: { params: idParam, body: { required: true, content: { "application/json": { schema: siteBody } } } },
    responses: {
      200: { description: "Saved", content: { "application/json": { schema: siteView } } },
      ...notFoundError,
    },
  },
  { naturallyIdempotent: "saving the same site again stores the same address, user and password" },
);

const overviewRoute = defineRoute(read, {
  method: "get",
  path: "/projects/{id}/seo",
  tags: ["seo"],
  summary: "The pSEO pipeline's pages (status, critic report, links, map, WordPress record), clusters and anchors",
  request: { params: idParam },
  responses: {
    200: {
      description: "Overview",
      content: { "application/json": { schema: z.record(z.string(), z.unknown()).openapi("SeoOverview") } },
    },
    ...notFoundError,
  },
});

const approveRoute = defineRoute(
  configure,
  {
    method: "post",
    path: "/seo-pages/{id}/approve",
    tags: ["seo"],
    summary: "Approve a page the critic passed; it is published to WordPress (a publish ticket starts)",
    request: { params: idParam },
    responses: {
      200: {
        description: "Approved",
        content: {
          "application/json": {
            schema: z.object({ pageId: z.string(), status: z.string(), ticketId: z.string().nullable() }),
          },
        },
      },
      ...notFoundError,
      ...conflictErrors,
    },
  },
  { naturallyIdempotent: "approving an approved or published page changes nothing and starts no second publish" },
);

export function seoRoutes() {
  return new OpenAPIHono<AppEnv>()
    .openapi(getSiteRoute, async (c) => c.json(await getWordPressSite(c.req.valid("param").id, c.get("services")), 200))
    .openapi(putSiteRoute, async (c) =>
      c.json(await saveWordPressSite(c.req.valid("param").id, c.req.valid("json"), c.get("services")), 200),
    )
    .openapi(searchConsoleRoute, async (c) =>
      c.json(await saveSearchConsole(c.req.valid("param").id, c.req.valid("json"), c.get("services")), 200),
    )
    .openapi(overviewRoute, async (c) => c.json(await seoOverview(c.req.valid("param").id, c.get("services")), 200))
    .openapi(approveRoute, async (c) => c.json(await approvePage(c.req.valid("param").id, c.get("services")), 200));
}
