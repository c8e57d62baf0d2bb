import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/cloudflare";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import {
  createWebhookEndpoint,
  listWebhookEndpoints,
  SUBSCRIBABLE_EVENTS,
  updateWebhookEndpoint,
  webhookDeliveryLog,
} from "../../workers/services/webhooks";
import { type AppContext, canAct, formAction, problemMessage, requireSession } from "../lib/session.server";
import { SettingsNav } from "../lib/settings-nav";

export const meta: MetaFunction = () => [{ title: "Webhooks · Apex" }];
export const handle = { channels: ["webhook:*"] };

export async function loader({ request, context }: LoaderFunctionArgs) {
  const session = await requireSession(request, context as unknown as AppContext);
  if (!canAct(session.auth, "admin")) return { endpoints: [], csrf: session.csrf, canManage: false };
  const endpoints = await listWebhookEndpoints(session);
  const withLog = await Promise.all(
    endpoints.map(async (e) => ({ ...e, deliveries: await webhookDeliveryLog(e.id, 10, session) })),
  );
  return { endpoints: withLog, csrf: session.csrf, canManage: true };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { session, form } = await formAction(request, context, "admin", "Your role cannot manage webhooks.");
  try {
    if (form.get("intent") === "toggle") {
      await updateWebhookEndpoint(
        String(form.get("id")),
        Number(form.get("version")),
        { enabled: form.get("enabled") === "true" },
        session,
      );
      return { secret: null, error: null };
    }
    const events = form.getAll("events").map(String);
    const created = await createWebhookEndpoint(
      { url: String(form.get("url")), events: events.length ? events : ["*"] },
      session,
    );
    return { secret: created.secret, error: null };
  } catch (error) {
    return { secret: null, error: problemMessage(error).message };
  }
}

export default function Webhooks() {
  const { endpoints, csrf, canManage } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  return (
    <>
      <h1>Webhooks</h1>
      <SettingsNav />
      {!canManage ? <p className="empty">Only admins and owners manage webhooks.</p> : null}
      {result?.secret ? (
        <div className="card" role="status">
          <p>Signing secret (shown once):</p>
          <pre>{result.secret}</pre>
        </div>
      ) : null}
      {result?.error ? (
        <p className="error" role="alert">
          {result.error}
        </p>
      ) : null}
      {canManage && endpoints.length === 0 ? <p className="empty">No endpoints yet.</p> : null}
      {endpoints.map((e) => (
        <article key={e.id} className="card">
          <h2>{e.url}</h2>
          <p>
            {e.events.join(", ")} ·{" "}
            <span className={`pill ${e.enabled ? "ok" : "bad"}`}>{e.enabled ? "enabled" : "disabled"}</span>{" "}
            {e.disabledReason ?? ""}
          </p>
          <Form method="post">
            <input type="hidden" name="csrf" value={csrf} />
            <input type="hidden" name="id" value={e.id} />
            <input type="hidden" name="version" value={e.version} />
            <input type="hidden" name="enabled" value={String(!e.enabled)} />
            <button type="submit" name="intent" value="toggle" className="secondary">
              {e.enabled ? "Disable" : "Enable"}
            </button>
          </Form>
          <h3>Recent deliveries</h3>
          {e.deliveries.length === 0 ? (
            <p className="empty">Nothing delivered yet.</p>
          ) : (
            <ul>
              {e.deliveries.map((d) => (
                <li key={d.id}>
                  {d.eventType} — {d.status} ({d.attempts.map((a) => a.statusCode ?? a.error).join(", ")})
                </li>
              ))}
            </ul>
          )}
        </article>
      ))}
      {canManage ? (
        <>
          <h2>New endpoint</h2>
          <Form method="post" className="stack">
            <input type="hidden" name="csrf" value={csrf} />
            <label>
              URL
              <input name="url" type="url" required />
            </label>
            <fieldset>
              <legend>Events (none ticked: all)</legend>
              {SUBSCRIBABLE_EVENTS.filter((e) => e !== "*").map((event) => (
                <label key={event} style={{ display: "flex", fontWeight: 400 }}>
                  <input type="checkbox" name="events" value={event} style={{ width: "auto" }} /> {event}
                </label>
              ))}
            </fieldset>
            <button type="submit" name="intent" value="create">
              Add endpoint
            </button>
          </Form>
        </>
      ) : null}
    </>
  );
}
