import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/cloudflare";
import { useActionData, useLoaderData } from "@remix-run/react";
import { getLlmSettings, llmSettingsInput, putLlmSettings } from "../../workers/services/llm-settings";
import { FormError, FormNotice } from "../components/form-messages";
import { PostForm } from "../components/post-form";
import { RoleNotice } from "../components/role-notice";
import { failure, invalid, parseForm } from "../lib/forms.server";
import { canAct, formAction, requireSession } from "../lib/session.server";

export async function loader({ request, context }: LoaderFunctionArgs) {
  const session = await requireSession(request, context);
  // Admins and above, as in the API: the provider's address and key hint.
  if (!canAct(session.auth, "admin")) return { hidden: true as const };
  return { hidden: false as const, settings: await getLlmSettings(session), canManage: canAct(session.auth, "owner") };
}

// Empty inputs mean "not given", as an absent JSON field would.
const blankIsAbsent = (form: FormData) =>
  Object.fromEntries(
    [...form].flatMap(([name, value]) =>
      typeof value === "string" && value.trim() !== "" ? [[name, value.trim()]] : [],
    ),
  );

export async function action({ request, context }: ActionFunctionArgs) {
  const { session, form } = await formAction(request, context, "owner", "Only owners choose the AI provider.");
  const { csrf: _, ...fields } = blankIsAbsent(form);
  const input = parseForm(llmSettingsInput, fields);
  if (!input.ok) return invalid(input.failure, { saved: false });
  try {
    await putLlmSettings(input.data, session);
    return { saved: true, error: null };
  } catch (error) {
    return failure(error, { saved: false });
  }
}

export default function LlmSettings() {
  const data = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  if (data.hidden) return <RoleNotice least="admin" what="the AI provider settings" />;
  const { settings, canManage } = data;
  return (
    <>
      <p>
        Now: <strong>{settings.provider}</strong> {settings.model ? `(${settings.model})` : ""} — key{" "}
        {settings.apiKey ?? "none"} ·{" "}
        {settings.source === "platform" ? "the platform default" : "chosen by this account"}
      </p>
      <FormNotice message={result?.saved ? "Saved." : null} />
      <FormError message={result?.error} />
      {canManage ? (
        <PostForm className="stack">
          <label>
            Provider
            <select name="provider" defaultValue={settings.provider}>
              <option value="gemini">Google Gemini</option>
              <option value="openai">OpenAI-compatible endpoint</option>
              <option value="rules">Rules only (no key, no transcription)</option>
            </select>
          </label>
          <label>
            Model (optional)
            <input name="model" defaultValue={settings.model ?? ""} />
          </label>
          <label>
            Base URL (OpenAI-compatible only)
            <input name="baseUrl" type="url" defaultValue={settings.baseUrl ?? ""} />
          </label>
          <label>
            API key (stored encrypted; leave empty for rules)
            <input name="apiKey" type="password" autoComplete="off" />
          </label>
          <button type="submit">Save</button>
        </PostForm>
      ) : (
        <p className="empty">Only owners choose the AI provider.</p>
      )}
    </>
  );
}
