import { type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction, redirect } from "@remix-run/cloudflare";
import { Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { z } from "zod";
import { startTask } from "../../workers/agents/start-task";
import { approvePage } from "../../workers/seo/approve";
import { seoOverview } from "../../workers/seo/overview";
import { STAGES, type Stage } from "../../workers/seo/pipeline";
import { saveWordPressSite } from "../../workers/seo/sites";
import type { CriticReport } from "../../workers/seo/types";
import { retryTicket } from "../../workers/services/tasks";
import { fieldErrors } from "../components/field-errors";
import { FormError, FormNotice } from "../components/form-messages";
import { PostForm } from "../components/post-form";
import { failure, formFields, invalid, parseForm } from "../lib/forms.server";
import { canAct, currentProject, formAction, requireConfirmedRole, requireSession } from "../lib/session.server";

export const meta: MetaFunction = () => [{ title: "Local SEO · Apex" }];
// A run and each of its stages are tickets; every page a stage writes, reviews or publishes is a page entity's change.
export const handle = { channels: ["ticket:*", "entity:page"] };

/** What each stage does, in the owner's words. */
const STAGE_LABELS: Record<Stage, string> = {
  scout_anchors: "Scout: local landmarks",
  strategist_run: "Strategist: keyword clusters",
  write_pages: "Writer: pages",
  critic_review: "Critic: review",
  librarian_link: "Librarian: internal links",
  enhance_media: "Media: maps",
  publish: "Publisher: WordPress",
  analytics_audit: "Analytics",
};

/** The statuses a person can approve from (workers/seo/approve.ts). */
const APPROVABLE: ReadonlySet<string> = new Set(["ready", "draft"]);

interface TicketLike {
  id: string;
  task: string;
  status: string;
  progress: number;
  message: string;
  error: string | null;
  attempts: number;
  createdAt: string;
  updatedAt: string;
}

const ticketRow = (t: TicketLike) => ({
  id: t.id,
  status: t.status,
  progress: t.progress,
  message: t.message,
  error: t.error,
  createdAt: t.createdAt,
  updatedAt: t.updatedAt,
});

/** Runs whose stages are read to tell an approval's publish from a run's own publish stage. */
const RUNS_READ = 3;
const PUBLISHES_SHOWN = 3;

/**
 * The latest run's board, one row per stage in pipeline order, and the
 * publishes approvals started. A retried stage (a second attempt) runs the
 * rest of the pipeline under its own ticket, so the stages opened beneath it
 * count too; per stage the newest ticket is shown. A run's publish stage is
 * a `publish` ticket of the project as well, so the approvals' are the
 * `publish` tickets that are no stage of a run or of another publish.
 */
async function pipelineTickets(env: Env, tenantId: string, projectId: string) {
  const tenant = env.TENANT.getByName(tenantId);
  const [runs, publishes] = await Promise.all([
    tenant.listProjectTickets("seo_pipeline", projectId, RUNS_READ),
    tenant.listProjectTickets("publish", projectId, PUBLISHES_SHOWN * 2),
  ]);
  const runStages: TicketLike[][] = await Promise.all(runs.map((run) => tenant.stageTickets(run.id)));
  const staged = new Set(runStages.flat().map((ticket) => ticket.id));
  const ownRuns = publishes.filter((ticket) => !staged.has(ticket.id));
  const [beneath, publishStages] = await Promise.all([
    Promise.all((runStages[0] ?? []).filter((t) => t.attempts > 1).map((t) => tenant.stageTickets(t.id))),
    Promise.all(ownRuns.map((ticket) => tenant.stageTickets(ticket.id))),
  ]);
  for (const ticket of publishStages.flat()) staged.add(ticket.id);
  const approvals = ownRuns.filter((ticket) => !staged.has(ticket.id)).slice(0, PUBLISHES_SHOWN);

  const [run] = runs;
  if (!run) return { run: null, approvals };
  const newest = new Map<string, TicketLike>();
  for (const ticket of [...(runStages[0] ?? []), ...beneath.flat()]) {
    const known = newest.get(ticket.task);
    if (!known || ticket.createdAt >= known.createdAt) newest.set(ticket.task, ticket);
  }
  return {
    run: {
      ...ticketRow(run),
      stages: STAGES.map((stage) => {
        const ticket = newest.get(stage);
        return { stage, label: STAGE_LABELS[stage], ticket: ticket ? ticketRow(ticket) : null };
      }),
    },
    approvals,
  };
}

interface WordPressRecord {
  id: number;
  link?: string;
  status?: string;
}

export async function loader({ request, context }: LoaderFunctionArgs) {
  const session = await requireSession(request, context);
  const project = await currentProject(session);
  const [overview, { run, approvals }] = await Promise.all([
    seoOverview(project.id, session),
    pipelineTickets(session.env, session.auth.tenantId, project.id),
  ]);
  const canAdmin = canAct(session.auth, "admin");
  const site = overview.wordpress;
  return {
    project: { id: project.id, name: project.name },
    // The password never leaves the server; its hint only for those who may replace it, as in Settings.
    wordpress: site
      ? {
          url: site.url,
          username: site.username,
          hint: canAdmin ? site.applicationPasswordHint : null,
          updatedAt: site.updatedAt,
        }
      : null,
    run,
    // Approving starts a publish outside any run: its ticket says whether WordPress took the page.
    publishes: approvals.map((ticket) => ticketRow(ticket)),
    pages: overview.pages.map((page) => {
      const wordpress = page.wordpress as WordPressRecord | null;
      return {
        id: page.id,
        slug: page.slug,
        title: page.title,
        status: page.status ?? "unknown",
        version: page.version,
        service: typeof page.service === "string" ? page.service : "—",
        place: typeof page.place === "string" ? page.place : "—",
        critic: page.critic as CriticReport | null,
        revisions: Number(page.revisions ?? 0),
        links: page.links.length,
        hasMap: page.map !== null,
        wordpress: wordpress ? { link: wordpress.link ?? null, status: wordpress.status ?? null } : null,
        analytics: page.analytics as { impressions: number; clicks: number; ctr: number; position: number } | null,
        proposal: page.proposal as { title: string; metaDescription: string; reason: string } | null,
      };
    }),
    clusters: overview.clusters,
    anchors: overview.anchors,
    canAdmin,
  };
}

const seoAction = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("run") }),
  z.object({ intent: z.literal("wordpress") }),
  z.object({ intent: z.literal("approve"), pageId: z.uuid() }),
  z.object({ intent: z.literal("retry"), ticketId: z.uuid() }),
]);
type Intent = z.output<typeof seoAction>["intent"];

/** What a WordPress form carried, to show again after a refusal (never the password). */
const typedSite = (form: FormData) => ({
  url: String(form.get("url") ?? "").trim(),
  username: String(form.get("username") ?? "").trim(),
});

export async function action({ request, context }: ActionFunctionArgs) {
  // Every act here is the pipeline's, whose agents and routes are the admin's.
  const { session, form } = await formAction(request, context, "admin", "Your role cannot change Local SEO.");
  const input = parseForm(seoAction, formFields(form));
  if (!input.ok) return invalid(input.failure, { notice: null, intent: null as Intent | null, typed: null });
  const { intent } = input.data;
  const typed = intent === "wordpress" ? typedSite(form) : null;
  try {
    const project = await currentProject(session);
    switch (input.data.intent) {
      case "run":
        await startTask(
          "seo_pipeline",
          { projectId: project.id },
          { ...session, waitUntil: (promise) => context.cloudflare.ctx.waitUntil(promise) },
        );
        // One run per project: a second press while one runs joins it, and either way it is on the board.
        return redirect("/seo");
      case "wordpress":
        await requireConfirmedRole(session, "admin", "Connecting WordPress");
        await saveWordPressSite(
          project.id,
          { ...typed, applicationPassword: String(form.get("applicationPassword") ?? "").trim() },
          session,
        );
        return { error: null, fields: {} as Record<string, string>, notice: "WordPress connected.", intent, typed };
      case "approve": {
        await requireConfirmedRole(session, "admin", "Approving a page");
        const approved = await approvePage(input.data.pageId, session);
        const notice = approved.ticketId
          ? "Approved: it is being published to WordPress."
          : `Already ${approved.status}: nothing to do.`;
        return { error: null, fields: {} as Record<string, string>, notice, intent, typed };
      }
      case "retry":
        await retryTicket(input.data.ticketId, session);
        return redirect("/seo");
    }
  } catch (error) {
    return failure(error, { notice: null, intent, typed });
  }
}

const when = (iso: string | null | undefined) =>
  iso ? new Date(iso).toISOString().replace("T", " ").slice(0, 16) : "—";

const pillOf = (status: string) =>
  status === "completed" || status === "published" || status === "ready"
    ? "pill ok"
    : status === "failed" || status === "needs-review"
      ? "pill bad"
      : "pill";

type Loaded = ReturnType<typeof useLoaderData<typeof loader>>;

function WordPressForm({ data }: { data: Loaded }) {
  const result = useActionData<typeof action>();
  const mine = result?.intent === "wordpress" ? result : undefined;
  const errors = fieldErrors(mine?.fields);
  const site = data.wordpress;
  // After a refusal the form keeps what was typed; otherwise it shows what is stored.
  const shown = mine?.error && mine.typed ? mine.typed : site;
  return (
    <section aria-labelledby="seo-wordpress">
      <h2 id="seo-wordpress">WordPress</h2>
      {site ? (
        <p data-testid="wordpress-site">
          Publishing to <strong>{site.url}</strong> as {site.username}
          {site.hint ? ` (Application Password ${site.hint})` : ""}, saved {when(site.updatedAt)} UTC.
        </p>
      ) : (
        <p className="empty" data-testid="wordpress-none">
          No WordPress site connected: a run writes and reviews pages, then stops at publishing.
        </p>
      )}
      {data.canAdmin ? (
        <>
          <FormNotice message={mine?.notice} testId="wordpress-notice" />
          <FormError message={mine?.error} testId="wordpress-error" />
          {/* Keyed by what it shows, so a refusal's values replace the ones the form was left at. */}
          <PostForm className="stack" aria-label="WordPress connection" key={`${shown?.url}|${shown?.username}`}>
            <label>
              Site address
              <input
                name="url"
                type="url"
                required
                defaultValue={shown?.url ?? ""}
                placeholder="https://www.example.com"
                {...errors.aria("url")}
              />
              {errors.message("url")}
            </label>
            <label>
              Username
              <input
                name="username"
                required
                autoComplete="off"
                defaultValue={shown?.username ?? ""}
                {...errors.aria("username")}
              />
              {errors.message("username")}
            </label>
            <label>
              Application Password (WordPress: Users → Profile → Application Passwords; stored sealed, never shown
              again)
              <input
                name="applicationPassword"
                type="password"
                required
                autoComplete="new-password"
                placeholder={site?.hint ? `stored: ${site.hint}; type it again to save` : ""}
                {...errors.aria("applicationPassword")}
              />
              {errors.message("applicationPassword")}
            </label>
            <button type="submit" name="intent" value="wordpress">
              Save
            </button>
          </PostForm>
        </>
      ) : null}
    </section>
  );
}

function Board({ run, canAdmin }: { run: NonNullable<Loaded["run"]>; canAdmin: boolean }) {
  return (
    <>
      <p data-testid="run-summary">
        Latest run started {when(run.createdAt)} UTC:{" "}
        <span className={pillOf(run.status)} data-testid="run-status">
          {run.status}
        </span>{" "}
        {run.message}
      </p>
      <table>
        <caption className="skip">The latest run's stages, in the order they run</caption>
        <thead>
          <tr>
            <th scope="col">Stage</th>
            <th scope="col">Status</th>
            <th scope="col">Progress</th>
            <th scope="col">Updated (UTC)</th>
          </tr>
        </thead>
        <tbody>
          {run.stages.map(({ stage, label, ticket }) => (
            <tr key={stage} data-testid="stage-row" data-stage={stage}>
              <th scope="row">{label}</th>
              <td>
                <span className={pillOf(ticket?.status ?? "")} data-testid="stage-status">
                  {ticket?.status ?? "not started"}
                </span>
                {ticket?.error ? (
                  // The publisher's errors carry the fix to make ("… Fix: …").
                  <p className="error" data-testid="stage-error">
                    {ticket.error}
                  </p>
                ) : null}
                {canAdmin && ticket?.status === "failed" ? (
                  <PostForm aria-label={`Retry ${label}`}>
                    <input type="hidden" name="ticketId" value={ticket.id} />
                    <button type="submit" name="intent" value="retry" className="secondary">
                      Retry from here
                    </button>
                  </PostForm>
                ) : null}
              </td>
              <td>
                {ticket ? (
                  <>
                    <div
                      className="bar"
                      role="progressbar"
                      aria-label={`${label} progress`}
                      aria-valuenow={ticket.progress}
                      aria-valuemin={0}
                      aria-valuemax={100}
                    >
                      <span style={{ width: `${ticket.progress}%` }} />
                    </div>
                    <span data-testid="stage-progress">{ticket.progress}%</span> {ticket.message}
                  </>
                ) : (
                  "—"
                )}
              </td>
              <td>{when(ticket?.updatedAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function Critic({ critic }: { critic: CriticReport | null }) {
  if (!critic) return <span data-testid="page-critic">—</span>;
  return (
    <details>
      <summary>
        <span className={critic.pass ? "pill ok" : "pill bad"} data-testid="page-critic">
          {critic.score} {critic.pass ? "pass" : "fail"}
        </span>
      </summary>
      <ul data-testid="page-critic-reasons">
        {critic.reasons.map((reason) => (
          <li key={reason}>{reason}</li>
        ))}
      </ul>
    </details>
  );
}

function Pages({ pages, canAdmin, busy }: { pages: Loaded["pages"]; canAdmin: boolean; busy: boolean }) {
  if (pages.length === 0) return <p className="empty">No pages yet: run the pipeline.</p>;
  return (
    <table>
      <caption className="skip">The project's pSEO pages</caption>
      <thead>
        <tr>
          <th scope="col">Page</th>
          <th scope="col">Service</th>
          <th scope="col">Place</th>
          <th scope="col">Status</th>
          <th scope="col">Critic</th>
          <th scope="col">Links</th>
          <th scope="col">Map</th>
          <th scope="col">WordPress</th>
          <th scope="col">Search (28 days)</th>
          {canAdmin ? <th scope="col">Approve</th> : null}
        </tr>
      </thead>
      <tbody>
        {pages.map((page) => (
          <tr key={page.id} data-testid="page-row" data-page-id={page.id} data-slug={page.slug}>
            <td>
              <Link to={`/seo/pages/${page.id}`} data-testid="page-preview">
                {page.title}
              </Link>
              <div>
                <small>
                  /{page.slug} · version {page.version}
                  {page.revisions > 0 ? ` · rewritten ${page.revisions}×` : ""}
                </small>
              </div>
            </td>
            <td>{page.service}</td>
            <td>{page.place}</td>
            <td>
              <span className={pillOf(page.status)} data-testid="page-status">
                {page.status}
              </span>
            </td>
            <td>
              <Critic critic={page.critic} />
            </td>
            <td data-testid="page-links">{page.links}</td>
            <td data-testid="page-map">{page.hasMap ? "yes" : "no"}</td>
            <td data-testid="page-wordpress">
              {page.wordpress?.link ? (
                <a href={page.wordpress.link} rel="noreferrer noopener" target="_blank">
                  {page.wordpress.status ?? "in WordPress"}
                </a>
              ) : (
                (page.wordpress?.status ?? "—")
              )}
            </td>
            <td data-testid="page-analytics">
              {page.analytics
                ? `${page.analytics.impressions} seen · ${page.analytics.clicks} clicks · ${(page.analytics.ctr * 100).toFixed(1)} % · position ${page.analytics.position.toFixed(1)}`
                : "—"}
              {page.proposal ? (
                <details data-testid="page-proposal">
                  <summary>Rewrite proposed</summary>
                  <p>{page.proposal.reason}</p>
                  <p>
                    Title: <strong>{page.proposal.title}</strong>
                  </p>
                  <p>Description: {page.proposal.metaDescription}</p>
                </details>
              ) : null}
            </td>
            {canAdmin ? (
              <td>
                {APPROVABLE.has(page.status) ? (
                  <PostForm aria-label={`Approve ${page.title}`}>
                    <input type="hidden" name="pageId" value={page.id} />
                    <button type="submit" name="intent" value="approve" disabled={busy} data-testid="page-approve">
                      Approve
                    </button>
                  </PostForm>
                ) : null}
              </td>
            ) : null}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Publishes({ publishes }: { publishes: Loaded["publishes"] }) {
  if (publishes.length === 0) return null;
  return (
    <>
      <h2>Publishing after approval</h2>
      <ul>
        {publishes.map((ticket) => (
          <li key={ticket.id} data-testid="publish-row">
            {when(ticket.createdAt)} UTC:{" "}
            <span className={pillOf(ticket.status)} data-testid="publish-status">
              {ticket.status}
            </span>{" "}
            {ticket.error ? <span className="error">{ticket.error}</span> : ticket.message}
          </li>
        ))}
      </ul>
    </>
  );
}

export default function LocalSeo() {
  const data = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state !== "idle";
  const running = data.run?.status === "queued" || data.run?.status === "processing";
  const pageResult = result?.intent === "approve" || result?.intent === "run" || result?.intent === "retry";
  const byStatus = data.pages.reduce<Record<string, number>>((counts, page) => {
    counts[page.status] = (counts[page.status] ?? 0) + 1;
    return counts;
  }, {});
  return (
    <>
      <h1>Local SEO</h1>
      <p>
        One landing page per service and place, written from your business DNA around real local landmarks, reviewed by
        a critic, linked together, and put on your WordPress as drafts. Nothing goes live until you approve it.
      </p>
      <p data-testid="seo-summary">
        {data.anchors} landmarks · {data.clusters} keyword clusters · {data.pages.length} pages
        {Object.entries(byStatus).map(([status, count]) => ` · ${count} ${status}`)}
      </p>
      <FormNotice message={pageResult ? result?.notice : null} testId="seo-notice" />
      <FormError message={pageResult ? result?.error : null} testId="seo-error" />
      {data.canAdmin ? (
        <PostForm className="row" aria-label="Run the pipeline">
          <button type="submit" name="intent" value="run" disabled={busy} data-testid="seo-run">
            Run the pipeline
          </button>
          {running ? <span role="status">A run is in progress; starting another joins it.</span> : null}
        </PostForm>
      ) : null}

      <h2>Pipeline</h2>
      {data.run ? <Board run={data.run} canAdmin={data.canAdmin} /> : <p className="empty">No runs yet.</p>}
      <Publishes publishes={data.publishes} />

      <h2>Pages</h2>
      <Pages pages={data.pages} canAdmin={data.canAdmin} busy={busy} />

      <WordPressForm data={data} />
    </>
  );
}
