import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/cloudflare";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { diffLayers } from "../../workers/dna/schema";
import { getDna, putDnaLayer } from "../../workers/services/dna";
import {
  type AppContext,
  canAct,
  currentProject,
  formAction,
  problemMessage,
  requireSession,
} from "../lib/session.server";
import { SettingsNav } from "../lib/settings-nav";

export const meta: MetaFunction = () => [{ title: "DNA settings · Apex" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const session = await requireSession(request, context as unknown as AppContext);
  const project = await currentProject(session);
  const { dna, layers, versions } = await getDna(project.id, session);
  return {
    project,
    dna,
    custom: JSON.stringify(layers.custom ?? {}, null, 2),
    version: versions.custom,
    csrf: session.csrf,
    canEdit: canAct(session.auth, "admin"),
  };
}

type ActionResult =
  | { kind: "preview"; text: string; version: number; diff: { path: string; before: unknown; after: unknown }[] }
  | { kind: "saved"; version: number }
  | {
      kind: "error";
      text: string;
      version: number;
      message: string;
      conflict: boolean;
      fields: Record<string, string>;
    };

export async function action({ request, context }: ActionFunctionArgs): Promise<ActionResult> {
  const { session, form } = await formAction(request, context, "admin", "Your role cannot change settings.");
  const project = await currentProject(session);
  const text = String(form.get("custom") ?? "");
  const version = Number(form.get("version"));
  let layer: unknown;
  try {
    layer = JSON.parse(text);
  } catch {
    return { kind: "error", text, version, message: "The custom layer must be JSON.", conflict: false, fields: {} };
  }
  if (form.get("intent") === "preview") {
    const { layers } = await getDna(project.id, session);
    return { kind: "preview", text, version, diff: diffLayers(layers.custom ?? {}, layer) };
  }
  try {
    const saved = await putDnaLayer(project.id, "custom", layer, version, session);
    return { kind: "saved", version: saved.versions.custom };
  } catch (error) {
    const problem = problemMessage(error);
    return {
      kind: "error",
      text,
      version,
      conflict: problem.status === 412,
      message:
        problem.status === 412
          ? `Someone else saved the DNA while you were editing. ${problem.message} Your text is kept below: reload the page to see their change, then apply yours again.`
          : problem.message,
      fields: problem.fields,
    };
  }
}

export default function DnaSettings() {
  const { project, dna, custom, version, csrf, canEdit } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const text = result && result.kind !== "saved" ? result.text : custom;
  const formVersion = result && result.kind !== "saved" ? result.version : version;
  return (
    <>
      <h1>DNA — {project.name}</h1>
      <SettingsNav />
      <p>
        What Apex knows about this business: identity, brand voice, services, areas and module settings. The merged view
        below is defaults, then what onboarding generated, then your own custom layer.
      </p>
      <h2>Merged</h2>
      <pre data-testid="merged-dna">{JSON.stringify(dna, null, 2)}</pre>
      <h2>Your custom layer (version {version})</h2>
      {canEdit ? (
        <Form method="post" className="stack" style={{ maxWidth: "none" }}>
          <input type="hidden" name="csrf" value={csrf} />
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
            <div className="error" role="alert" data-testid={result.conflict ? "dna-conflict" : "dna-error"}>
              <p>{result.message}</p>
              {Object.entries(result.fields).length > 0 ? (
                <ul>
                  {Object.entries(result.fields).map(([field, message]) => (
                    <li key={field}>
                      {field}: {message}
                    </li>
                  ))}
                </ul>
              ) : null}
            </div>
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
          {result?.kind === "saved" ? (
            <p role="status" data-testid="dna-saved">
              Saved as version {result.version}.
            </p>
          ) : null}
          <div className="row">
            <button type="submit" name="intent" value="preview" className="secondary">
              Preview changes
            </button>
            <button type="submit" name="intent" value="save">
              Save
            </button>
          </div>
        </Form>
      ) : (
        <>
          <p className="empty">Your role can read the settings but not change them.</p>
          <pre>{custom}</pre>
        </>
      )}
    </>
  );
}
