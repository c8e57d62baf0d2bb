import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/cloudflare";
import { useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { webhookDeliveryLog } from "../../workers/services/webhook-delivery";
import {
  createWebhookEndpoint,
  listWebhookEndpoints,
  SUBSCRIBABLE_EVENTS,
  updateWebhookEndpoint,
} from "../../workers/services/webhook-endpoints";
import { FormError, SecretShownOnce } from "../components/form-messages";
import { PostForm } from "../components/post-form";
import { failure, formFields, invalid, parseForm } from "../lib/forms.server";
import { canAct, formAction, requireSession } from "../lib/session.server";
import type { SettingsHandle } from "../lib/settings-nav";

export const handle: SettingsHandle = { channels: ["webhook:*"] };

export async function loader({ request, context }: LoaderFunctionArgs) {
  const session = await requireSession(request, context);
  if (!canAct(session.auth, "admin")) return { endpoints: [], canManage: false };
  const endpoints = await listWebhookEndpoints(session);
  const withLog = await Promise.all(
    endpoints.map(async (e) => ({ ...e, deliveries: await webhookDeliveryLog(e.id, 10, session) })),
  );
  return { endpoints: withLog, canManage: true };
}

const webhookAction = z.discriminatedUnion("intent", [
  z.object({
    intent: z.literal("toggle"),
    id: z.uuid(),
    version: z.coerce.number().int().min(1),
    enabled: z.enum(["true", "false"]),
  }),
  z.object({
    intent: z.literal("create"),
    url: z.string().min(1).max(2000),
    // Ticked boxes; none ticked means every event.
    events: z.array(z.enum(SUBSCRIBABLE_EVENTS)),
  }),
]);

export async function action({ request, context }: ActionFunctionArgs) {
  const { session, form } = await formAction(request, context, "admin", "Your role cannot manage webhooks.");
  const input = parseForm(webhookAction, { ...formFields(form), events: form.getAll("events") });
  if (!input.ok) return invalid(input.failure, { secret: null });
  const asked = input.data;
  try {
    if (asked.intent === "toggle") {
      await updateWebhookEndpoint(asked.id, asked.version, { enabled: asked.enabled === "true" }, session);
      return { secret: null, error: null };
    }
    const created = await createWebhookEndpoint(
      { url: asked.url, events: asked.events.length ? asked.events : ["*"] },
      session,
    );
    return { secret: created.secret, error: null };
  } catch (error) {
    return failure(error, { secret: null });
  }
}

export default function Webhooks() {
  const { endpoints, canManage } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  return (
    <>
      {!canManage ? <p className="empty">Only admins and owners manage webhooks.</p> : null}
      <SecretShownOnce
        intro="Signing secret (shown once; verify deliveries with any Standard Webhooks library):"
        secret={result?.secret}
      />
      <FormError message={result?.error} />
      {canManage && endpoints.length === 0 ? <p className="empty">No endpoints yet.</p> : null}
      {endpoints.map((e) => (
        <article key={e.id} className="card">
          <h2>{e.url}</h2>
          <p>
            {e.events.join(", ")} ·{" "}
            <span className={`pill ${e.enabled ? "ok" : "bad"}`}>{e.enabled ? "enabled" : "disabled"}</span>{" "}
            {e.signatureScheme === "legacy+standard" ? (
              <span
                className="pill"
                title="Created before Standard Webhooks: also signed with Apex-Signature, deprecated"
              >
                legacy signature
              </span>
            ) : null}{" "}
            {e.disabledReason ?? ""}
          </p>
          <PostForm>
            <input type="hidden" name="id" value={e.id} />
            <input type="hidden" name="version" value={e.version} />
            <input type="hidden" name="enabled" value={String(!e.enabled)} />
            <button type="submit" name="intent" value="toggle" className="secondary">
              {e.enabled ? "Disable" : "Enable"}
            </button>
          </PostForm>
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
          <PostForm className="stack">
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
          </PostForm>
        </>
      ) : null}
    </>
  );
}
