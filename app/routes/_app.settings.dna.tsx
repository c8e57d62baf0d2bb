import { type ActionFunctionArgs, data, type LoaderFunctionArgs } from "@remix-run/cloudflare";
import { useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { type DnaDiff, getDna, previewDnaLayer, putDnaLayer } from "../../workers/services/dna";
import { FormError, FormNotice } from "../components/form-messages";
import { PostForm } from "../components/post-form";
import { RoleNotice } from "../components/role-notice";
import { formFields, parseForm, problemMessage } from "../lib/forms.server";
import { canAct, currentProject, formAction, requireSession } from "../lib/session.server";
import type { SettingsHandle } from "../lib/settings-nav";

export async function loader({ request, context }: LoaderFunctionArgs) {
  const session = await requireSession(request, context);
  const project = await currentProject(session);
  // Members and above, as in the API (GET /projects/{id}/dna).
  if (!canAct(session.auth, "member")) return { hidden: true as const, project };
  const { dna, layers, versions } = await getDna(project.id, session);
  return {
    hidden: false as const,
    project,
    dna,
    custom: JSON.stringify(layers.custom ?? {}, null, 2),
    version: versions.custom,
    canEdit: canAct(session.auth, "admin"),
  };
}

export const handle: SettingsHandle<typeof loader> = { heading: ({ project }) => `DNA — ${project.name}` };

type ActionResult =
  | { kind: "preview"; text: string; version: number; diff: DnaDiff }
  | { kind: "saved"; version: number }
  | {
      kind: "error";
      text: string;
      version: number;
      message: string;
      conflict: boolean;
      fields: Record<string, string>;
    };

const dnaForm = z.object({
  intent: z.enum(["preview", "save"]),
  version: z.coerce.number().int().min(0),
  custom: z.string().max(200_000),
});

export async function action({ request, context }: ActionFunctionArgs) {
  const { session, form } = await formAction(request, context, "admin", "Your role cannot change settings.");
  const input = parseForm(dnaForm, formFields(form));
  const {
    intent,
    version,
    custom: text,
  } = input.ok ? input.data : { intent: "preview", version: 0, custom: String(form.get("custom") ?? "") };
  const answer = (result: ActionResult, status = 200) => data(result, { status });
  const refused = (message: string, status: number, fields: Record<string, string> = {}) =>
    answer({ kind: "error", text, version, message, conflict: status === 412, fields }, status);
  if (!input.ok) return refused(input.failure.error, 422, input.failure.fields);
  let layer: unknown;
  try {
    layer = JSON.parse(text);
  } catch {
    return refused("The custom layer must be JSON.", 422, { custom: "is not valid JSON" });
  }
  try {
    const project = await currentProject(session);
    if (intent === "preview") {
      return answer({
        kind: "preview",
        text,
        version,
        diff: await previewDnaLayer(project.id, "custom", layer, session),
      });
    }
    const saved = await putDnaLayer(project.id, "custom", layer, version, session);
    return answer({ kind: "saved", version: saved.versions.custom });
  } catch (error) {
    const problem = problemMessage(error);
    return refused(
      problem.status === 412
        ? `Someone else saved the DNA while you were editing. ${problem.message} Your text is kept below: reload the page to see their change, then apply yours again.`
        : problem.message,
      problem.status,
      problem.fields,
    );
  }
}

export default function DnaSettings() {
  const data = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  if (data.hidden) return <RoleNotice least="member" what="the business's DNA" />;
  const { dna, custom, version, canEdit } = data;
  const text = result && result.kind !== "saved" ? result.text : custom;
  const formVersion = result && result.kind !== "saved" ? result.version : version;
  return (
    <>
      <p>
        What Apex knows about this business: identity, brand voice, services, areas and module settings. The merged view
        below is defaults, then what onboarding generated, then your own custom layer.
      </p>
      <h2>Merged</h2>
      <pre data-testid="merged-dna">{JSON.stringify(dna, null, 2)}</pre>
      <h2>Your custom layer (version {version})</h2>
      {canEdit ? (
        <PostForm className="stack" style={{ maxWidth: "none" }}>
          <input type="hidden" name="version" value={formVersion} />
          <label>
            Custom layer (JSON)
            <textarea
              name="custom"
              defaultValue={text}
              key={`${formVersion}-${result?.kind ?? "none"}`}
              aria-describedby="dna-help"
            />
          </label>
          <p id="dna-help">Preview shows what your edit changes before you save it.</p>
          {result?.kind === "error" ? (
            <FormError
              message={result.message}
              fields={result.fields}
              testId={result.conflict ? "dna-conflict" : "dna-error"}
            />
          ) : null}
          {result?.kind === "preview" ? (
            <section aria-label="Changes" data-testid="dna-diff">
              <h3>Changes</h3>
              {result.diff.length === 0 ? (
                <p>No changes.</p>
              ) : (
                <ul>
                  {result.diff.map((d) => (
                    <li key={d.path}>
                      <code>{d.path}</code>: {JSON.stringify(d.before) ?? "—"} → {JSON.stringify(d.after) ?? "—"}
                    </li>
                  ))}
                </ul>
              )}
            </section>
          ) : null}
          <FormNotice
            message={result?.kind === "saved" ? `Saved as version ${result.version}.` : null}
            testId="dna-saved"
          />
          <div className="row">
            <button type="submit" name="intent" value="preview" className="secondary">
              Preview changes
            </button>
            <button type="submit" name="intent" value="save">
              Save
            </button>
          </div>
        </PostForm>
      ) : (
        <>
          <p className="empty">Your role can read the settings but not change them.</p>
          <pre>{custom}</pre>
        </>
      )}
    </>
  );
}
