import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/cloudflare";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import type { Role } from "../../workers/context";
import { apiKeyList, createApiKey, revokeKey } from "../../workers/services/api-keys";
import { type AppContext, canAct, formAction, problemMessage, requireSession } from "../lib/session.server";
import { SettingsNav } from "../lib/settings-nav";

export const meta: MetaFunction = () => [{ title: "API keys · Apex" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const session = await requireSession(request, context as unknown as AppContext);
  if (!canAct(session.auth, "admin")) return { keys: [], csrf: session.csrf, canManage: false };
  return { keys: await apiKeyList(session), csrf: session.csrf, canManage: true };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { session, form } = await formAction(request, context, "admin", "Your role cannot manage API keys.");
  try {
    if (form.get("intent") === "revoke") {
      await revokeKey(String(form.get("id")), session);
      return { created: null, error: null };
    }
    const created = await createApiKey(
      { name: String(form.get("name")), role: String(form.get("role")) as Role },
      session,
    );
    return { created: created.key, error: null };
  } catch (error) {
    return { created: null, error: problemMessage(error).message };
  }
}

export default function ApiKeys() {
  const { keys, csrf, canManage } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  return (
    <>
      <h1>API keys</h1>
      <SettingsNav />
      {!canManage ? <p className="empty">Only admins and owners manage API keys.</p> : null}
      {result?.created ? (
        <div className="card" role="status">
          <p>Copy this key now: it is shown once.</p>
          <pre data-testid="new-api-key">{result.created}</pre>
        </div>
      ) : null}
      {result?.error ? (
        <p className="error" role="alert">
          {result.error}
        </p>
      ) : null}
      {canManage ? (
        <>
          {keys.length === 0 ? (
            <p className="empty">No API keys yet.</p>
          ) : (
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Role</th>
                  <th scope="col">Created</th>
                  <th scope="col">State</th>
                </tr>
              </thead>
              <tbody>
                {keys.map((k) => (
                  <tr key={k.id}>
                    <td>{k.name}</td>
                    <td>{k.role}</td>
                    <td>{k.createdAt.slice(0, 10)}</td>
                    <td>
                      {k.revokedAt ? (
                        "revoked"
                      ) : (
                        <Form method="post">
                          <input type="hidden" name="csrf" value={csrf} />
                          <input type="hidden" name="id" value={k.id} />
                          <button type="submit" name="intent" value="revoke" className="secondary">
                            Revoke
                          </button>
                        </Form>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <h2>New key</h2>
          <Form method="post" className="stack">
            <input type="hidden" name="csrf" value={csrf} />
            <label>
              Name
              <input name="name" required maxLength={100} />
            </label>
            <label>
              Role
              <select name="role" defaultValue="member">
                {["admin", "member", "viewer"].map((r) => (
                  <option key={r}>{r}</option>
                ))}
              </select>
            </label>
            <button type="submit" name="intent" value="create">
              Create key
            </button>
          </Form>
        </>
      ) : null}
    </>
  );
}
