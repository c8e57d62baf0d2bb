import { OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../context";
import type { RoutePolicy } from "../middleware/policy";
import {
  archiveProject,
  createProject,
  listProjects,
  projectInput,
  renameProject,
  unarchiveProject,
} from "../services/projects";
import {
  defineRoute,
  etag,
  idempotencyKeyHeader,
  idParam,
  ifMatchHeader,
  notFoundError,
  problem,
  requiredVersion,
} from "./shared";

const read = { risk: "READ", role: "viewer" } satisfies RoutePolicy;
/** A project is where leads land and what a number rings: making, renaming and archiving one is an admin's. */
const manage = { risk: "WRITE-HIGH", role: "admin" } satisfies RoutePolicy;

const projectView = z
  .object({
    id: z.uuid(),
    name: z.string(),
    spendStatus: z.string(),
    createdAt: z.string(),
    archivedAt: z.string().nullable().openapi({ description: "When it was archived; null while active" }),
    version: z.number().int().openapi({ description: "The ETag's number: a rename sends it in If-Match" }),
  })
  .openapi("Project");

const projectBody = {
  required: true,
  content: { "application/json": { schema: projectInput } },
} as const;

const answered = (description: string) => ({
  description,
  content: { "application/json": { schema: projectView } },
});

const listRoute = defineRoute(read, {
  method: "get",
  path: "/",
  tags: ["projects"],
  summary: "The tenant's projects, oldest first; archived ones too with ?archived=true",
  request: {
    query: z.object({
      archived: z
        .enum(["true", "false"])
        .optional()
        .openapi({ description: "true: include archived projects (default false)" }),
    }),
  },
  responses: {
    200: {
      description: "Projects",
      content: { "application/json": { schema: z.object({ items: z.array(projectView) }) } },
    },
  },
});

const createRoute = defineRoute(manage, {
  method: "post",
  path: "/",
  tags: ["projects"],
  summary: "Create a project (a location or brand), with the defaults signup gives",
  request: { headers: idempotencyKeyHeader, body: projectBody },
  responses: {
    201: answered("Created; its ETag is in the ETag header"),
    409: problem("Another project has this name (`errors` names `name`), or the Idempotency-Key is in flight"),
  },
});

const renameRoute = defineRoute(manage, {
  method: "patch",
  path: "/{id}",
  tags: ["projects"],
  summary: "Rename a project; needs If-Match",
  request: { params: idParam, headers: ifMatchHeader, body: projectBody },
  responses: {
    200: answered("Renamed"),
    ...notFoundError,
    409: problem("Another project has this name (`errors` names `name`), or the Idempotency-Key is in flight"),
  },
});

const archiveRoute = defineRoute(manage, {
  method: "post",
  path: "/{id}/archive",
  tags: ["projects"],
  summary: "Archive a project: it leaves the switcher and its lead forms are refused; its history stays",
  description:
    "Refused (409) while the project holds a number bought or attached through Apex — release it first — " +
    "and when it is the tenant's last active project. Archiving an archived project changes nothing.",
  request: { params: idParam, headers: idempotencyKeyHeader },
  responses: {
    200: answered("Archived"),
    ...notFoundError,
    409: problem(
      "The project still holds Apex numbers, or is the last active one, or the Idempotency-Key is in flight",
    ),
  },
});

const unarchiveRoute = defineRoute(manage, {
  method: "post",
  path: "/{id}/unarchive",
  tags: ["projects"],
  summary: "Bring an archived project back",
  request: { params: idParam, headers: idempotencyKeyHeader },
  responses: { 200: answered("Active again"), ...notFoundError },
});

export function projectRoutes() {
  return new OpenAPIHono<AppEnv>()
    .openapi(listRoute, async (c) => {
      const archived = c.req.valid("query").archived === "true";
      return c.json({ items: await listProjects(c.get("services"), { archived }) }, 200);
    })
    .openapi(createRoute, async (c) => {
      const created = await createProject(c.req.valid("json"), c.get("services"));
      c.header("ETag", etag(created.version));
      c.header("Location", `/api/v1/projects/${created.id}`);
      return c.json(created, 201);
    })
    .openapi(renameRoute, async (c) => {
      const renamed = await renameProject(
        c.req.valid("param").id,
        requiredVersion(c),
        c.req.valid("json"),
        c.get("services"),
      );
      c.header("ETag", etag(renamed.version));
      return c.json(renamed, 200);
    })
    .openapi(archiveRoute, async (c) => {
      const archived = await archiveProject(c.req.valid("param").id, c.get("services"));
      c.header("ETag", etag(archived.version));
      return c.json(archived, 200);
    })
    .openapi(unarchiveRoute, async (c) => {
      const active = await unarchiveProject(c.req.valid("param").id, c.get("services"));
      c.header("ETag", etag(active.version));
      return c.json(active, 200);
    });
}
