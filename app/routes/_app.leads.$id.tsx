import { type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction, redirect } from "@remix-run/cloudflare";
import { Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { z } from "zod";
import { startTask } from "../../workers/agents/start-task";
import { auditPage } from "../../workers/services/audit";
import { deleteEntity, type Entity, getEntity, restoreEntity, updateEntity } from "../../workers/services/entities";
import { type CallSystem, callSystem, leadSystem } from "../../workers/services/entity-system";
import { type LeadSpeed, leadSpeed } from "../../workers/services/lead-speed";
import { relationshipsOfEntity } from "../../workers/services/relationships";
import { projectVoice } from "../../workers/speed-to-lead/context";
import { textLead } from "../../workers/speed-to-lead/messages";
import { FormError, FormNotice } from "../components/form-messages";
import { PostForm } from "../components/post-form";
import { failure, formFields, invalid, parseForm } from "../lib/forms.server";
import { canAct, formAction, requireSession } from "../lib/session.server";

export const meta: MetaFunction = () => [{ title: "Lead · Apex" }];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const session = await requireSession(request, context);
  const id = z.uuid().safeParse(params.id);
  if (!id.success) throw new Response("No such lead", { status: 404 });
  const lead = await getEntity(id.data, session, true).catch(() => undefined);
  if (lead?.type !== "lead") throw new Response("No such lead", { status: 404 });
  const edges = await relationshipsOfEntity(lead.id, "out", session);
  const related = await Promise.all(edges.map((e) => getEntity(e.toId, session).catch(() => undefined)));
  const calls = related.filter((e): e is Entity => e?.type === "call");
  const messages = related.filter((e): e is Entity => e?.type === "message");
  // The audit log (IPs, how callers were verified) is admin-only, as GET /api/v1/audit is.
  const audit = canAct(session.auth, "admin") ? await auditPage({ entityId: lead.id, limit: 20 }, session) : undefined;
  // An archived project has no settings to judge by: the lead is shown without a verdict.
  const voice = await projectVoice(lead.projectId, session).catch(() => undefined);
  return {
    lead,
    // Apex's own state, parsed here by the same schemas its writers use (no casts in the page).
    leadState: leadSystem(lead),
    calls: calls.map((call) => ({ call, state: callSystem(call) })),
    speed: voice ? leadSpeed(lead, calls, voice.settings.connectTargetSeconds) : null,
    messages,
    audit: audit?.items ?? null,
    canEdit: canAct(session.auth, "member"),
  };
}

export const handle = { channels: ["entity:lead", "entity:call", "entity:message"] };

const version = z.coerce.number().int().min(1);
const leadAction = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("call") }),
  z.object({ intent: z.literal("text"), body: z.string().trim().min(1).max(1600) }),
  z.object({ intent: z.literal("won"), version }),
  z.object({ intent: z.literal("lost"), version }),
  z.object({ intent: z.literal("delete"), version }),
  z.object({ intent: z.literal("restore") }),
]);

export async function action({ request, context, params }: ActionFunctionArgs) {
  const { session, form } = await formAction(request, context, "member", "Your role cannot change leads.");
  const id = z.uuid().safeParse(params.id);
  if (!id.success) throw new Response("No such lead", { status: 404 });
  const input = parseForm(leadAction, formFields(form));
  if (!input.ok) return invalid(input.failure, { notice: null });
  const lead = id.data;
  try {
    const asked = input.data;
    if (asked.intent === "call") {
      const { projectId } = await getEntity(lead, session);
      await startTask(
        "sales_agent",
        { leadId: lead, projectId, attempt: session.actor.requestId },
        { ...session, waitUntil: (p) => context.cloudflare.ctx.waitUntil(p) },
      );
      return { error: null, fields: {}, notice: "Calling: your phone rings first." };
    }
    if (asked.intent === "text") {
      await textLead(lead, asked.body, session);
      return { error: null, fields: {}, notice: "Text sent." };
    }
    if (asked.intent === "won" || asked.intent === "lost")
      await updateEntity(lead, asked.version, { status: asked.intent }, session);
    else if (asked.intent === "delete") await deleteEntity(lead, asked.version, session);
    else await restoreEntity(lead, session);
  } catch (error) {
    return failure(error, { notice: null });
  }
  return redirect(`/leads/${lead}`);
}

const when = (iso: string) => new Date(iso).toISOString().replace("T", " ").slice(0, 19);

function Speed({ speed }: { speed: LeadSpeed }) {
  if (speed.dialledAfterSeconds === null) return null;
  return (
    <p data-testid="lead-speed">
      {`Phone dialled ${speed.dialledAfterSeconds} s after the lead came in`}
      {speed.connectedAfterSeconds === null ? "" : `, customer connected after ${speed.connectedAfterSeconds} s`}.{" "}
      {speed.slow ? (
        <span className="pill bad" data-testid="slow-lead">
          {`slow lead: over the ${speed.targetSeconds} s target`}
        </span>
      ) : (
        <span className="pill ok">{`within the ${speed.targetSeconds} s target`}</span>
      )}
    </p>
  );
}

function CallCard({ call, state }: { call: Pick<Entity, "id" | "name" | "status">; state: CallSystem }) {
  const timeline = state.timeline ?? [];
  const transcript = state.transcript?.text;
  const analysis = state.analysis;
  const recording = state.recording;
  return (
    <article className="card" data-testid="call">
      <h3>
        {call.name}{" "}
        <span className={`pill ${state.connected ? "ok" : ""}`}>
          {state.connected ? "connected" : (call.status ?? "—")}
        </span>
      </h3>
      <ol className="timeline" aria-label="Call steps">
        {timeline.map((step) => (
          <li key={`${step.status}-${step.at}`}>
            <time dateTime={step.at}>{when(step.at)}</time> — {step.status}
          </li>
        ))}
      </ol>
      {recording ? (
        <p>
          Recording: {recording.durationSeconds ?? 0} s{" "}
          {recording.stored ? (
            // biome-ignore lint/a11y/useMediaCaption: a phone call recording has no caption track; its transcript is below.
            <audio
              controls
              preload="none"
              src={`/calls/${call.id}/recording`}
              aria-label={`Recording of ${call.name}`}
            />
          ) : (
            "(being copied)"
          )}
        </p>
      ) : null}
      {transcript ? (
        <details>
          <summary>Transcript</summary>
          <pre>{transcript}</pre>
        </details>
      ) : null}
      {analysis ? (
        <section aria-label="Call analysis" data-testid="analysis">
          <h4>Analysis</h4>
          {analysis.basis === "lead-message" ? <p className="muted">From the lead's message (no transcript).</p> : null}
          <p>{analysis.summary}</p>
          <p>
            Intent: {analysis.customerIntent} · Sentiment: {analysis.sentiment} · Urgency: {analysis.urgency}
          </p>
          {analysis.nextSteps?.length ? (
            <ul>
              {analysis.nextSteps.map((step) => (
                <li key={step}>{step}</li>
              ))}
            </ul>
          ) : null}
        </section>
      ) : null}
    </article>
  );
}

export default function LeadPage() {
  const { lead, leadState, calls, speed, messages, audit, canEdit } = useLoaderData<typeof loader>();
  const navigation = useNavigation();
  const actionResult = useActionData<typeof action>();
  const score = leadState.score;
  const busy = navigation.state !== "idle";
  return (
    <>
      <p>
        <Link to="/leads">← All leads</Link>
      </p>
      <h1>
        {lead.name} <span className="pill">{lead.deletedAt ? "deleted" : (lead.status ?? "—")}</span>
      </h1>
      <p>
        {String(lead.data.phone ?? "")} {String(lead.data.email ?? "")} · from {String(lead.data.source ?? "—")} ·
        received <time dateTime={lead.createdAt}>{when(lead.createdAt)}</time>
      </p>
      {speed ? <Speed speed={speed} /> : null}
      {lead.data.message ? <blockquote>{String(lead.data.message)}</blockquote> : null}
      {canEdit ? (
        <PostForm className="row" aria-label="Lead actions">
          <input type="hidden" name="version" value={lead.version} />
          {lead.deletedAt ? (
            <button type="submit" name="intent" value="restore" disabled={busy}>
              Restore
            </button>
          ) : (
            <>
              <button type="submit" name="intent" value="won" disabled={busy}>
                Mark won
              </button>
              <button type="submit" name="intent" value="lost" className="secondary" disabled={busy}>
                Mark lost
              </button>
              <button type="submit" name="intent" value="delete" className="secondary" disabled={busy}>
                Delete
              </button>
            </>
          )}
          {busy ? <span role="status">Saving…</span> : null}
        </PostForm>
      ) : null}
      {canEdit && !lead.deletedAt && lead.data.phone ? (
        <div className="row" style={{ marginTop: ".75rem", alignItems: "flex-end" }}>
          <PostForm>
            <button type="submit" name="intent" value="call" disabled={busy}>
              Call now
            </button>
          </PostForm>
          <PostForm className="row" style={{ alignItems: "flex-end" }}>
            <label>
              Text {String(lead.data.phone)}
              <input name="body" required maxLength={1600} />
            </label>
            <button type="submit" name="intent" value="text" disabled={busy}>
              Send text
            </button>
          </PostForm>
        </div>
      ) : null}
      <FormError message={actionResult?.error} />
      <FormNotice message={actionResult?.notice} />

      <h2>Score</h2>
      {score ? (
        <div className="card">
          <div className="value">{score.value}</div>
          <ul>
            {score.reasons.map((r) => (
              <li key={r}>{r}</li>
            ))}
          </ul>
          <small>{score.model}</small>
        </div>
      ) : (
        <p className="empty">Not scored yet.</p>
      )}

      <h2>Calls</h2>
      {calls.length === 0 ? (
        <p className="empty">No calls yet.</p>
      ) : (
        calls.map(({ call, state }) => <CallCard key={call.id} call={call} state={state} />)
      )}
      {leadState.transcription ? <p>Transcription: {leadState.transcription}</p> : null}

      {leadState.shed?.length ? (
        <section aria-label="Not done" data-testid="shed">
          <h2>Not done, and why</h2>
          <ul>
            {leadState.shed.map((entry) => (
              <li key={`${entry.action}-${entry.at}`}>
                <time dateTime={entry.at}>{when(entry.at)}</time> — {entry.action}: {entry.detail ?? entry.reason}
              </li>
            ))}
          </ul>
        </section>
      ) : null}

      <h2>Texts</h2>
      {messages.length === 0 ? (
        <p className="empty">No texts.</p>
      ) : (
        <ul>
          {messages.map((m) => (
            <li key={m.id}>
              {m.data.direction === "inbound" ? "←" : "→"} {String(m.data.body ?? "")}
            </li>
          ))}
        </ul>
      )}

      {audit ? (
        <>
          <h2>History</h2>
          <ul>
            {audit.map((entry) => (
              <li key={entry.id}>
                <time dateTime={entry.createdAt}>{when(entry.createdAt)}</time> {entry.action} by {entry.actorType}
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </>
  );
}
