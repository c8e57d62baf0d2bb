import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/cloudflare";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { z } from "zod";
import {
  type CampaignPreview,
  type CampaignView,
  campaignRecipients,
  cancelCampaign,
  getCampaign,
  launchCampaign,
  pauseCampaign,
  previewCampaign,
  resumeCampaign,
} from "../../workers/campaigns/campaigns";
import { Problem } from "../../workers/problems";
import { FormError, FormNotice } from "../components/form-messages";
import { PostForm } from "../components/post-form";
import { Table } from "../components/table";
import { failure, formFields, invalid, parseForm } from "../lib/forms.server";
import { canAct, formAction, requireConfirmedRole, requireSession } from "../lib/session.server";

/** A running campaign's counters move with every text, which publishes no event: the page reloads itself meanwhile. */
const RUNNING_REFRESH_SECONDS = 5;

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: `${data?.campaign.name ?? "Campaign"} · Apex` },
  ...(data?.campaign.run.state === "running"
    ? [{ httpEquiv: "refresh", content: String(RUNNING_REFRESH_SECONDS) }]
    : []),
];
// A pause, resume, cancel or completion revises the campaign entity, which is announced here.
export const handle = { channels: ["entity:campaign"] };

/** The recipient statuses, in the order a text moves through them (workers/routes/campaigns.ts). */
const STATUSES = [
  "queued",
  "sending",
  "sent",
  "delivered",
  "undelivered",
  "failed",
  "refused",
  "excluded",
  "cancelled",
] as const;
/** Always shown; the others only when some recipient is in them. */
const MAIN_STATUSES: readonly string[] = ["queued", "sent", "delivered", "failed", "refused", "excluded"];
const PAGE_SIZE = 100;

const notFound = () => new Response("No such campaign", { status: 404 });

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const session = await requireSession(request, context);
  const id = z.uuid().safeParse(params.id);
  if (!id.success) throw notFound();
  const campaign = await getCampaign(id.data, session).catch((error) => {
    throw error instanceof Problem && error.status === 404 ? notFound() : error;
  });
  const url = new URL(request.url);
  const status = STATUSES.find((s) => s === url.searchParams.get("status"));
  const cursor = z.uuid().safeParse(url.searchParams.get("cursor")).data;
  const draft = campaign.run.state === "draft";
  // A draft has no recipients yet, only who it would reach; once launched the recipients are fixed and listed.
  const preview = draft && campaign.settings ? await previewCampaign(campaign.id, session) : null;
  const recipients = draft
    ? null
    : await campaignRecipients(campaign.id, { status, limit: PAGE_SIZE, after: cursor }, session);
  return {
    campaign,
    preview,
    recipients,
    status: status ?? "",
    canPause: canAct(session.auth, "member"),
    canManage: canAct(session.auth, "admin"),
  };
}

const campaignAction = z.object({ intent: z.enum(["launch", "pause", "resume", "cancel"]) });
type Intent = z.output<typeof campaignAction>["intent"];

const CHANGES = {
  launch: { run: launchCampaign, done: "Launched: texts go out within the send window, at the set pace." },
  pause: { run: pauseCampaign, done: "Paused: no further text goes until it is resumed." },
  resume: { run: resumeCampaign, done: "Resumed where it stopped." },
  cancel: { run: cancelCampaign, done: "Cancelled: texts not yet sent never go." },
} satisfies Record<Intent, { run: typeof launchCampaign; done: string }>;

export async function action({ request, context, params }: ActionFunctionArgs) {
  // Pausing is any member's: stopping texts must never wait for an admin.
  const { session, form } = await formAction(request, context, "member", "Your role cannot change campaigns.");
  const id = z.uuid().safeParse(params.id);
  if (!id.success) throw notFound();
  const input = parseForm(campaignAction, formFields(form));
  if (!input.ok) return invalid(input.failure, { notice: null });
  const { intent } = input.data;
  try {
    if (intent !== "pause") await requireConfirmedRole(session, "admin", "This action");
    await CHANGES[intent].run(id.data, session);
    return { error: null, fields: {}, notice: CHANGES[intent].done };
  } catch (error) {
    return failure(error, { notice: null });
  }
}

const when = (iso: string | null | undefined) =>
  iso ? new Date(iso).toISOString().replace("T", " ").slice(0, 16) : "—";
const money = (usd: number) => `$${usd.toFixed(2)}`;

function Counter({ value, label, testId }: { value: string | number; label: string; testId?: string }) {
  return (
    <div className="card">
      <div className="value" data-testid={testId}>
        {value}
      </div>
      <div className="label">{label}</div>
    </div>
  );
}

function Preview({ preview, dailyLimit }: { preview: CampaignPreview; dailyLimit: number }) {
  const { cost, segments, excluded } = preview;
  return (
    <section aria-label="Preview">
      <h2>Preview</h2>
      <section className="cards" aria-label="Who and what it costs">
        <Counter value={preview.audience} label="customers it would text" testId="audience" />
        <Counter value={excluded.total} label="left out" testId="excluded-total" />
        <Counter value={segments.total} label="SMS segments in all" />
        <Counter value={money(cost.estimatedUsd)} label="estimated cost" testId="estimated-cost" />
        <Counter value={preview.estimatedDays} label={`days at ${dailyLimit} a day`} />
      </section>
      <p data-testid="cap">
        {cost.capUsd === null
          ? `No spending cap on this project; ${money(cost.spentThisMonthUsd)} spent this month.`
          : `${money(cost.spentThisMonthUsd)} of the ${money(cost.capUsd)} monthly cap spent; `}
        {cost.capUsd === null ? null : cost.fitsUnderCap ? (
          <span className="pill ok">fits under the cap</span>
        ) : (
          <span className="pill bad">would pass the cap: sending pauses when the cap is reached</span>
        )}
      </p>
      <p>
        {segments.gsm7Messages} plain (GSM-7) and {segments.ucs2Messages} Unicode (UCS-2) messages; the longest is{" "}
        {segments.largestMessage} segments.
      </p>
      <h3>Sample messages</h3>
      {preview.samples.length === 0 ? (
        <p className="empty">Nobody in the audience: check the statuses, months and job types.</p>
      ) : (
        <ul>
          {preview.samples.map((sample) => (
            <li key={sample.leadId} data-testid="sample">
              <p>
                To {sample.name} ({sample.phone}) · {sample.segments} segment{sample.segments === 1 ? "" : "s"},{" "}
                {sample.encoding}
              </p>
              <pre>{sample.body}</pre>
            </li>
          ))}
        </ul>
      )}
      {excluded.total > 0 ? (
        <>
          <h3>Left out, and why</h3>
          <ul>
            {Object.entries(excluded.byReason).map(([reason, n]) => (
              <li key={reason} data-testid="excluded-reason">
                {reason}: {n}
              </li>
            ))}
          </ul>
          <Table columns={["Name", "Phone", "Why"]}>
            {excluded.sample.map((e) => (
              <tr key={e.leadId}>
                <td>{e.name}</td>
                <td>{e.phone}</td>
                <td>{e.detail}</td>
              </tr>
            ))}
          </Table>
        </>
      ) : null}
    </section>
  );
}

function Counters({ counts, spentUsd }: Pick<CampaignView, "counts" | "spentUsd">) {
  const { byStatus } = counts;
  const shown = STATUSES.filter((s) => MAIN_STATUSES.includes(s) || (byStatus[s] ?? 0) > 0);
  return (
    <section className="cards" aria-label="Counters">
      {shown.map((s) => (
        <Counter key={s} value={byStatus[s] ?? 0} label={s} testId={`count-${s}`} />
      ))}
      <Counter value={counts.replied} label="replied" testId="count-replied" />
      <Counter value={counts.optedOut} label="opted out" testId="count-opted-out" />
      <Counter value={money(spentUsd)} label={`spent (${counts.segments} segments)`} />
    </section>
  );
}

function Recipients({
  items,
  nextCursor,
  status,
}: {
  items: Awaited<ReturnType<typeof campaignRecipients>>["items"];
  nextCursor: string | undefined;
  status: string;
}) {
  return (
    <>
      <h2>Recipients</h2>
      <Form method="get" className="row" aria-label="Filter recipients">
        <label>
          Status
          <select name="status" defaultValue={status}>
            <option value="">any</option>
            {STATUSES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <button type="submit">Filter</button>
      </Form>
      {items.length === 0 ? (
        <p className="empty">No recipients{status ? ` ${status}` : ""}.</p>
      ) : (
        <Table columns={["Phone", "Status", "Why", "Sent", "Replied"]}>
          {items.map((r) => (
            <tr key={r.leadId} data-testid="recipient-row">
              <td>
                <Link to={`/leads/${r.leadId}`}>{r.phone}</Link>
              </td>
              <td>
                <span className={`pill ${r.status === "delivered" ? "ok" : r.status === "failed" ? "bad" : ""}`}>
                  {r.status}
                </span>
              </td>
              <td>{[r.reason, r.detail ?? r.errorCode].filter(Boolean).join(": ") || "—"}</td>
              <td>{when(r.sentAt)}</td>
              <td>{r.optedOutAt ? `opted out ${when(r.optedOutAt)}` : when(r.repliedAt)}</td>
            </tr>
          ))}
        </Table>
      )}
      {nextCursor ? (
        <p>
          <Link to={`?${new URLSearchParams({ ...(status ? { status } : {}), cursor: nextCursor }).toString()}`}>
            More recipients
          </Link>
        </p>
      ) : null}
    </>
  );
}

export default function CampaignPage() {
  const { campaign, preview, recipients, status, canPause, canManage } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state !== "idle";
  const { state } = campaign.run;
  const button = (intent: Intent, label: string, secondary = false) => (
    <button type="submit" name="intent" value={intent} className={secondary ? "secondary" : undefined} disabled={busy}>
      {label}
    </button>
  );
  return (
    <>
      <p>
        <Link to="/campaigns">← All campaigns</Link>
      </p>
      <h1>
        {campaign.name}{" "}
        <span className="pill" data-testid="campaign-state">
          {state}
        </span>
      </h1>
      {campaign.run.launchedAt ? <p>Launched {when(campaign.run.launchedAt)} UTC.</p> : null}
      {state === "paused" && campaign.run.pausedDetail ? (
        <p data-testid="paused-reason">
          Paused ({campaign.run.pausedReason}): {campaign.run.pausedDetail}
        </p>
      ) : null}
      <FormError message={result?.error} testId="campaign-error" />
      <FormNotice message={result?.notice} />
      {canPause && (state === "draft" || state === "running" || state === "paused") ? (
        <PostForm className="row" aria-label="Campaign actions">
          {canManage && state === "draft" ? button("launch", "Launch") : null}
          {state === "running" ? button("pause", "Pause") : null}
          {canManage && state === "paused" ? button("resume", "Resume") : null}
          {canManage ? button("cancel", "Cancel campaign", true) : null}
        </PostForm>
      ) : null}
      {canPause && !canManage && state !== "cancelled" && state !== "completed" ? (
        <p className="muted">Launching, resuming and cancelling need an admin.</p>
      ) : null}

      {campaign.settings ? (
        <details>
          <summary>Settings</summary>
          <pre>{campaign.settings.template}</pre>
          <p>
            {[
              `Statuses ${campaign.settings.audience.statuses.join(", ")}`,
              `last contact at least ${campaign.settings.audience.lastContactOlderThanMonths} months ago`,
              campaign.settings.audience.jobTypes?.length
                ? `job types ${campaign.settings.audience.jobTypes.join(", ")}`
                : null,
              campaign.settings.offer ? `offer "${campaign.settings.offer}"` : null,
              `sends ${campaign.settings.sendWindow.start}:00–${campaign.settings.sendWindow.end}:00 in the customer's time`,
              `at most ${campaign.settings.dailyLimit} a day, ${campaign.settings.pacePerSecond} a second`,
            ]
              .filter(Boolean)
              .join("; ")}
            .
          </p>
        </details>
      ) : (
        <FormError message={`This campaign's settings no longer check out: ${campaign.settingsError ?? "unknown"}`} />
      )}

      {preview && campaign.settings ? <Preview preview={preview} dailyLimit={campaign.settings.dailyLimit} /> : null}
      {recipients ? (
        <>
          <h2>Progress</h2>
          <Counters counts={campaign.counts} spentUsd={campaign.spentUsd} />
          <Recipients items={recipients.items} nextCursor={recipients.nextCursor} status={status} />
        </>
      ) : null}
    </>
  );
}
