import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/cloudflare";
import { useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import {
  archiveProject,
  createProject,
  listProjects,
  renameProject,
  unarchiveProject,
} from "../../workers/services/projects";
import { fieldErrors } from "../components/field-errors";
import { FormError, FormNotice } from "../components/form-messages";
import { PostForm } from "../components/post-form";
import { Table } from "../components/table";
import { failure, formFields, invalid, parseForm } from "../lib/forms.server";
import { canAct, currentProject, formAction, requireSession } from "../lib/session.server";

/**
 * The tenant's projects (locations, brands): everyone sees the list; admins
 * create, rename, archive and bring back. Archived projects are listed too,
 * set apart, since this is the one place to unarchive them.
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const session = await requireSession(request, context);
  const [projects, chosen] = await Promise.all([
    listProjects(session, { archived: true }),
    currentProject(session).catch(() => undefined),
  ]);
  return { projects, chosenId: chosen?.id ?? null, canManage: canAct(session.auth, "admin") };
}

/** The service checks the name (and names the field); the form only has to say which project and which change. */
const projectsAction = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("create"), name: z.string() }),
  z.object({ intent: z.literal("rename"), id: z.uuid(), version: z.coerce.number().int().min(0), name: z.string() }),
  z.object({ intent: z.literal("archive"), id: z.uuid() }),
  z.object({ intent: z.literal("unarchive"), id: z.uuid() }),
]);

type Intent = z.output<typeof projectsAction>["intent"];

export async function action({ request, context }: ActionFunctionArgs) {
  const { session, form } = await formAction(request, context, "admin", "Your role cannot manage projects.");
  const fields = formFields(form);
  const about = { intent: String(fields.intent ?? "") as Intent, id: String(fields.id ?? "") };
  const input = parseForm(projectsAction, fields);
  if (!input.ok) return invalid(input.failure, about);
  const asked = input.data;
  try {
    if (asked.intent === "create") {
      const created = await createProject({ name: asked.name }, session);
      return { ...about, message: `Project "${created.name}" created. Choose it in the header to set it up.` };
    }
    if (asked.intent === "rename") {
      const renamed = await renameProject(asked.id, asked.version, { name: asked.name }, session);
      return { ...about, message: `Renamed to "${renamed.name}".` };
    }
    const changed =
      asked.intent === "archive" ? await archiveProject(asked.id, session) : await unarchiveProject(asked.id, session);
    return { ...about, message: `"${changed.name}" ${changed.archivedAt ? "archived" : "is active again"}.` };
  } catch (error) {
    return failure(error, about, "Someone else changed this project first; reload to see it.");
  }
}

export default function Projects() {
  const { projects, chosenId, canManage } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const failed = result && "error" in result ? result : undefined;
  // A field message belongs beside the input of the form that was sent: the new project's, or that row's.
  const errorsFor = (intent: Intent, id = "") =>
    fieldErrors(failed && failed.intent === intent && failed.id === id ? failed.fields : undefined);
  const createErrors = errorsFor("create");
  return (
    <>
      {failed ? (
        <FormError message={failed.error} />
      ) : (
        <FormNotice message={result && "message" in result ? result.message : null} />
      )}
      <p>
        Each project is a location or brand with its own settings, lead sources, numbers, leads and spending cap. The
        header chooses which one every page shows.
      </p>
      <Table columns={canManage ? ["Name", "Status", "Rename", "Archive"] : ["Name", "Status"]}>
        {projects.map((project) => {
          const errors = errorsFor("rename", project.id);
          const status = project.archivedAt
            ? `archived ${project.archivedAt.slice(0, 10)}`
            : project.id === chosenId
              ? "active · shown now"
              : "active";
          return (
            <tr key={project.id} className={project.archivedAt ? "archived" : undefined} data-testid="project-row">
              <td>{project.name}</td>
              <td>{status}</td>
              {canManage ? (
                <>
                  <td>
                    <PostForm className="row">
                      <input type="hidden" name="id" value={project.id} />
                      <input type="hidden" name="version" value={project.version} />
                      <label>
                        <span className="skip">New name for {project.name}</span>
                        <input
                          name="name"
                          defaultValue={project.name}
                          maxLength={100}
                          required
                          {...errors.aria("name")}
                        />
                      </label>
                      <button type="submit" name="intent" value="rename" className="secondary">
                        Rename
                      </button>
                      {errors.message("name")}
                    </PostForm>
                  </td>
                  <td>
                    <PostForm>
                      <input type="hidden" name="id" value={project.id} />
                      {project.archivedAt ? (
                        <button type="submit" name="intent" value="unarchive" className="secondary">
                          Unarchive
                        </button>
                      ) : (
                        <button type="submit" name="intent" value="archive" className="secondary">
                          Archive
                        </button>
                      )}
                    </PostForm>
                  </td>
                </>
              ) : null}
            </tr>
          );
        })}
      </Table>
      {canManage ? (
        <>
          <h2>New project</h2>
          <PostForm className="stack">
            <label>
              Name (e.g. the location: "Springfield")
              <input name="name" maxLength={100} required {...createErrors.aria("name")} />
              {createErrors.message("name")}
            </label>
            <button type="submit" name="intent" value="create">
              Create project
            </button>
          </PostForm>
          <p>
            Archiving keeps a project's leads and history but takes it out of the header, and its lead forms stop taking
            leads. A project that still has numbers bought or attached through Apex must release them first, and the
            last active project cannot be archived.
          </p>
        </>
      ) : null}
    </>
  );
}
