import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/cloudflare";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { getLlmSettings, putLlmSettings } from "../../workers/services/llm-settings";
import { type AppContext, canAct, formAction, problemMessage, requireSession } from "../lib/session.server";
import { SettingsNav } from "../lib/settings-nav";

export const meta: MetaFunction = () => [{ title: "AI provider · Apex" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const session = await requireSession(request, context as unknown as AppContext);
  return { settings: await getLlmSettings(session), csrf: session.csrf, canManage: canAct(session.auth, "owner") };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { session, form } = await formAction(request, context, "owner", "Only owners choose the AI provider.");
  const value = (name: string) =>
    String(form.get(name) ?? "").trim() === "" ? undefined : String(form.get(name)).trim();
  try {
    await putLlmSettings(
      {
        provider: String(form.get("provider")) as "gemini" | "openai" | "rules",
        model: value("model"),
        baseUrl: value("baseUrl"),
        apiKey: value("apiKey"),
      },
      session,
    );
    return { saved: true, error: null };
  } catch (error) {
    return { saved: false, error: problemMessage(error).message };
  }
}

export default function LlmSettings() {
  const { settings, csrf, canManage } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  return (
    <>
      <h1>AI provider</h1>
      <SettingsNav />
      <p>
        Now: <strong>{settings.provider}</strong> {settings.model ? `(${settings.model})` : ""} — key{" "}
        {settings.apiKey ?? "none"} ·{" "}
        {settings.source === "platform" ? "the platform default" : "chosen by this account"}
      </p>
      {result?.saved ? <p role="status">Saved.</p> : null}
      {result?.error ? (
        <p className="error" role="alert">
          {result.error}
        </p>
      ) : null}
      {canManage ? (
        <Form method="post" className="stack">
          <input type="hidden" name="csrf" value={csrf} />
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
        </Form>
      ) : (
        <p className="empty">Only owners choose the AI provider.</p>
      )}
    </>
  );
}
