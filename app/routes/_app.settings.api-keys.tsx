import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/cloudflare";
import { useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { newApiKeyInput } from "../../workers/auth/inputs";
import { apiKeyList, createApiKey, revokeKey } from "../../workers/services/api-keys";
import { FormError, SecretShownOnce } from "../components/form-messages";
import { PostForm } from "../components/post-form";
import { Table } from "../components/table";
import { failure, formFields, invalid, parseForm } from "../lib/forms.server";
import { canAct, formAction, requireSession } from "../lib/session.server";

export async function loader({ request, context }: LoaderFunctionArgs) {
  const session = await requireSession(request, context);
  if (!canAct(session.auth, "admin")) return { keys: [], canManage: false };
  return { keys: await apiKeyList(session), canManage: true };
}

const keyAction = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("revoke"), id: z.uuid() }),
  newApiKeyInput.pick({ name: true, role: true }).extend({ intent: z.literal("create") }),
]);

export async function action({ request, context }: ActionFunctionArgs) {
  const { session, form } = await formAction(request, context, "admin", "Your role cannot manage API keys.");
  const input = parseForm(keyAction, formFields(form));
  if (!input.ok) return invalid(input.failure, { created: null });
  try {
    if (input.data.intent === "revoke") {
      await revokeKey(input.data.id, session);
      return { created: null, error: null };
    }
    const created = await createApiKey({ name: input.data.name, role: input.data.role }, session);
    return { created: created.key, error: null };
  } catch (error) {
    return failure(error, { created: null });
  }
}

export default function ApiKeys() {
  const { keys, canManage } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  return (
    <>
      {!canManage ? <p className="empty">Only admins and owners manage API keys.</p> : null}
      <SecretShownOnce intro="Copy this key now: it is shown once." secret={result?.created} testId="new-api-key" />
      <FormError message={result?.error} />
      {canManage ? (
        <>
          {keys.length === 0 ? (
            <p className="empty">No API keys yet.</p>
          ) : (
            <Table columns={["Name", "Role", "Created", "State"]}>
              {keys.map((k) => (
                <tr key={k.id}>
                  <td>{k.name}</td>
                  <td>{k.role}</td>
                  <td>{k.createdAt.slice(0, 10)}</td>
                  <td>
                    {k.revokedAt ? (
                      "revoked"
                    ) : (
                      <PostForm>
                        <input type="hidden" name="id" value={k.id} />
                        <button type="submit" name="intent" value="revoke" className="secondary">
                          Revoke
                        </button>
                      </PostForm>
                    )}
                  </td>
                </tr>
              ))}
            </Table>
          )}
          <h2>New key</h2>
          <PostForm className="stack">
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
          </PostForm>
        </>
      ) : null}
    </>
  );
}
