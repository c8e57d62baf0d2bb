import { type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction, redirect } from "@remix-run/cloudflare";
import { Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import type { CSSProperties } from "react";
import { z } from "zod";
import { startTask } from "../../workers/agents/start-task";
import type { HuntResult } from "../../workers/hunter/hunt";
import { type HuntRunView, huntOverview } from "../../workers/hunter/hunts";
import { PLATFORMS } from "../../workers/hunter/platforms";
import { HUNTER_PLATFORMS } from "../../workers/hunter/settings";
import { getLeadHunterSettings, putLeadHunterSettings } from "../../workers/hunter/settings-store";
import { fieldErrors } from "../components/field-errors";
import { FormError, FormNotice } from "../components/form-messages";
import { PostForm } from "../components/post-form";
import { failure, formFields, invalid, parseForm } from "../lib/forms.server";
import { canAct, currentProject, formAction, requireConfirmedRole, requireSession } from "../lib/session.server";

export const meta: MetaFunction = () => [{ title: "Hunt · Apex" }];
// Every run's progress is its ticket's; every lead a hunt finds, scores or alerts on is a lead entity's change.
export const handle = { channels: ["ticket:*", "entity:lead"] };

const WEEK = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
const DAY_NAMES: Record<(typeof WEEK)[number], string> = {
  mon: "Mon",
  tue: "Tue",
  wed: "Wed",
  thu: "Thu",
  fri: "Fri",
  sat: "Sat",
  sun: "Sun",
};

/** What one run's row shows: the ticket, and once it finished, its per-board counts. */
function runRow(run: HuntRunView, labels: Record<string, string>) {
  // A ticket's result is JSON of the sniper agent's HuntResult; a running or failed run has none.
  const result = Array.isArray((run.result as HuntResult | null)?.platforms) ? (run.result as HuntResult) : null;
  const boards = result?.platforms ?? [];
  return {
    id: run.id,
    status: run.status,
    progress: run.progress,
    message: run.message,
    createdAt: run.createdAt,
    created: result?.created ?? null,
    duplicates: result?.duplicates ?? null,
    notMatching: result ? boards.reduce((sum, board) => sum + board.notMatching, 0) : null,
    scored: run.scored,
    alerted: run.alerted,
    // The hunter's own messages name the board ("Gig board blocked the hunter: 429 …").
    problems: [
      ...(run.error ? [run.error] : []),
      ...boards.filter((b) => b.error).map((b) => b.error ?? `${labels[b.platform] ?? b.label} ${b.status}`),
    ],
  };
}

export async function loader({ request, context }: LoaderFunctionArgs) {
  const session = await requireSession(request, context);
  const project = await currentProject(session);
  const [{ settings, version }, overview] = await Promise.all([
    getLeadHunterSettings(project.id, session),
    huntOverview(project.id, session),
  ]);
  const labels: Record<string, string> = Object.fromEntries(HUNTER_PLATFORMS.map((id) => [id, PLATFORMS[id].label]));
  return {
    settings,
    version,
    platforms: HUNTER_PLATFORMS.map((id) => ({ id, label: labels[id] ?? id })),
    runs: overview.runs.map((run) => runRow(run, labels)),
    leads: overview.leads.map((lead) => ({ ...lead, board: labels[lead.platform] ?? lead.platform })),
    canEdit: canAct(session.auth, "admin"),
    canHunt: canAct(session.auth, "member"),
  };
}

const huntAction = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("hunt") }),
  z.object({ intent: z.literal("save"), version: z.coerce.number().int().min(0) }),
]);

/** One posted value (the Worker's types have no FormDataEntryValue). */
type Entry = ReturnType<FormData["get"]>;

/** A textarea's entries, one per line. */
const lines = (value: Entry) =>
  String(value ?? "")
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean);
/** A number input: blank keeps what is stored; anything else goes to the settings schema as a number (NaN is refused there). */
const count = (value: Entry, stored: number) => {
  const given = String(value ?? "").trim();
  return given === "" ? stored : Number(given);
};
const text = (value: Entry, stored: string) => String(value ?? "").trim() || stored;

export async function action({ request, context }: ActionFunctionArgs) {
  const { session, form } = await formAction(request, context, "member", "Your role cannot start hunts.");
  const input = parseForm(huntAction, formFields(form));
  if (!input.ok) return invalid(input.failure, { notice: null, intent: "save" });
  const { intent } = input.data;
  try {
    const project = await currentProject(session);
    const { settings } = await getLeadHunterSettings(project.id, session);
    if (input.data.intent === "hunt") {
      // The run would fail at once without these; saying so here is kinder than a failed run.
      if (settings.keywords.length === 0 || settings.platforms.length === 0) {
        return invalid(
          { error: "Choose at least one board and one keyword, and save, before hunting.", fields: {} },
          { notice: null, intent },
        );
      }
      await startTask(
        "sniper_agent",
        { projectId: project.id },
        { ...session, waitUntil: (promise) => context.cloudflare.ctx.waitUntil(promise) },
      );
      // A second "Hunt now" during a run joins it: either way the run shows in the table.
      return redirect("/hunt");
    }
    await requireConfirmedRole(session, "admin", "Changing the lead hunter's settings");
    // The settings as stored: what the form does not show (radius, centre) it keeps.
    await putLeadHunterSettings(
      project.id,
      input.data.version,
      {
        ...settings,
        enabled: form.get("enabled") === "on",
        platforms: form.getAll("platforms").map(String),
        keywords: lines(form.get("keywords")),
        places: lines(form.get("places")),
        scoreThreshold: count(form.get("scoreThreshold"), settings.scoreThreshold),
        maxPagesPerRun: count(form.get("maxPagesPerRun"), settings.maxPagesPerRun),
        schedule: {
          everyMinutes: count(form.get("schedule.everyMinutes"), settings.schedule.everyMinutes),
          days: form.getAll("schedule.days").map(String),
          from: text(form.get("schedule.from"), settings.schedule.from),
          to: text(form.get("schedule.to"), settings.schedule.to),
        },
        contactPolicy: text(form.get("contactPolicy"), settings.contactPolicy),
      },
      session,
    );
    return { error: null, fields: {} as Record<string, string>, notice: "Saved.", intent };
  } catch (error) {
    return failure(error, { notice: null, intent }, "Someone else saved these settings first; reload to see theirs.");
  }
}

/**
 * The service names a field by its path in the settings (`keywords.2`,
 * `schedule.from`, or with `modules.leadHunter.` before it); the form by its
 * input's name. A list's item is told by its line.
 */
function inputErrors(fields: Record<string, string> | undefined) {
  const byInput: Record<string, string> = {};
  for (const [path, why] of Object.entries(fields ?? {})) {
    const [, name = path, index] = /^(?:modules\.leadHunter\.)?(.+?)(?:\.(\d+))?$/.exec(path) ?? [];
    const perLine = index !== undefined && (name === "keywords" || name === "places");
    byInput[name] ??= perLine ? `line ${Number(index) + 1}: ${why}` : why;
  }
  return fieldErrors(byInput);
}

const when = (iso: string | null | undefined) =>
  iso ? new Date(iso).toISOString().replace("T", " ").slice(0, 16) : "—";
const shown = (n: number | null) => (n === null ? "—" : n);

// The shared input style fills the row; a tick box or radio sits beside its words instead.
const choice: CSSProperties = { display: "flex", gap: ".5rem", alignItems: "center", fontWeight: 400 };
const tick: CSSProperties = { width: "auto" };
const shortList: CSSProperties = { minHeight: "6rem" };

type Loaded = ReturnType<typeof useLoaderData<typeof loader>>;

function SettingsForm({ data }: { data: Loaded }) {
  const result = useActionData<typeof action>();
  const { settings, version, platforms, canEdit } = data;
  const mine = result?.intent === "save" ? result : undefined;
  const errors = inputErrors(mine?.fields);
  return (
    <section aria-labelledby="hunt-settings">
      <h2 id="hunt-settings">What to hunt for</h2>
      <FormNotice message={mine?.notice} testId="settings-notice" />
      <FormError message={mine?.error} testId="settings-error" />
      <PostForm className="stack" aria-label="Lead hunter settings">
        <input type="hidden" name="version" value={version} />
        <fieldset disabled={!canEdit}>
          <legend>Boards and words</legend>
          <fieldset {...errors.aria("platforms")}>
            <legend>Job boards</legend>
            {platforms.map((p) => (
              <label key={p.id} style={choice}>
                <input
                  type="checkbox"
                  name="platforms"
                  value={p.id}
                  defaultChecked={settings.platforms.includes(p.id)}
                  style={tick}
                />
                {p.label}
              </label>
            ))}
            {errors.message("platforms")}
          </fieldset>
          <label>
            Keywords (one per line; a post must mention one)
            <textarea
              name="keywords"
              rows={4}
              style={shortList}
              defaultValue={settings.keywords.join("\n")}
              placeholder={"water heater\ndrain"}
              {...errors.aria("keywords")}
            />
            {errors.message("keywords")}
          </label>
          <label>
            Places (one per line; blank: the cities and areas in your business DNA)
            <textarea
              name="places"
              rows={3}
              style={shortList}
              defaultValue={settings.places.join("\n")}
              placeholder={"Austin\nRound Rock"}
              {...errors.aria("places")}
            />
            {errors.message("places")}
          </label>
          <label>
            Alert me about leads scored at least
            <input
              name="scoreThreshold"
              type="number"
              min={0}
              max={100}
              defaultValue={settings.scoreThreshold}
              {...errors.aria("scoreThreshold")}
            />
            {errors.message("scoreThreshold")}
          </label>
          <label>
            Result pages read per keyword and place, per run
            <input
              name="maxPagesPerRun"
              type="number"
              min={1}
              max={10}
              defaultValue={settings.maxPagesPerRun}
              {...errors.aria("maxPagesPerRun")}
            />
            {errors.message("maxPagesPerRun")}
          </label>
        </fieldset>
        <fieldset disabled={!canEdit}>
          <legend>Schedule (your project's time zone)</legend>
          <label style={choice}>
            <input type="checkbox" name="enabled" defaultChecked={settings.enabled} style={tick} />
            Hunt on a schedule
          </label>
          <label>
            Every (minutes)
            <input
              name="schedule.everyMinutes"
              type="number"
              min={15}
              max={1440}
              defaultValue={settings.schedule.everyMinutes}
              {...errors.aria("schedule.everyMinutes")}
            />
            {errors.message("schedule.everyMinutes")}
          </label>
          <fieldset {...errors.aria("schedule.days")}>
            <legend>On</legend>
            <div className="row">
              {WEEK.map((day) => (
                <label key={day} style={choice}>
                  <input
                    type="checkbox"
                    name="schedule.days"
                    value={day}
                    defaultChecked={settings.schedule.days.includes(day)}
                    style={tick}
                  />
                  {DAY_NAMES[day]}
                </label>
              ))}
            </div>
            {errors.message("schedule.days")}
          </fieldset>
          <div className="row">
            <label>
              From
              <input
                name="schedule.from"
                type="time"
                defaultValue={settings.schedule.from}
                {...errors.aria("schedule.from")}
              />
              {errors.message("schedule.from")}
            </label>
            <label>
              to
              <input
                name="schedule.to"
                type="time"
                defaultValue={settings.schedule.to}
                {...errors.aria("schedule.to")}
              />
              {errors.message("schedule.to")}
            </label>
          </div>
        </fieldset>
        <fieldset disabled={!canEdit} {...errors.aria("contactPolicy")}>
          <legend>When a good lead is found</legend>
          <label style={choice}>
            <input
              type="radio"
              name="contactPolicy"
              value="alert-only"
              defaultChecked={settings.contactPolicy === "alert-only"}
              style={tick}
            />
            Alert me only (default)
          </label>
          <label style={choice}>
            <input
              type="radio"
              name="contactPolicy"
              value="bridge-public-phone"
              defaultChecked={settings.contactPolicy === "bridge-public-phone"}
              style={tick}
            />
            Call posters who published a phone number
          </label>
          <p data-testid="contact-policy-warning">Changing this is recorded in the audit log, with who changed it.</p>
          {errors.message("contactPolicy")}
        </fieldset>
        {canEdit ? (
          <button type="submit" name="intent" value="save">
            Save
          </button>
        ) : (
          <p className="empty" data-testid="read-only">
            Your role can read these settings but not change them.
          </p>
        )}
      </PostForm>
    </section>
  );
}

function Runs({ runs }: { runs: Loaded["runs"] }) {
  if (runs.length === 0) return <p className="empty">No hunts yet.</p>;
  return (
    <table>
      <caption className="skip">Recent hunts, newest first; times in UTC</caption>
      <thead>
        <tr>
          <th scope="col">Started (UTC)</th>
          <th scope="col">Status</th>
          <th scope="col">Progress</th>
          <th scope="col">New</th>
          <th scope="col">Already known</th>
          <th scope="col">Not matching</th>
          <th scope="col">Scored</th>
          <th scope="col">Alerted</th>
        </tr>
      </thead>
      <tbody>
        {runs.map((run) => (
          <tr key={run.id} data-testid="run-row" data-run-id={run.id}>
            <td>{when(run.createdAt)}</td>
            <td>
              <span
                className={`pill ${run.status === "completed" ? "ok" : run.status === "failed" ? "bad" : ""}`}
                data-testid="run-status"
              >
                {run.status}
              </span>
              {run.problems.length > 0 ? (
                <ul data-testid="run-errors">
                  {run.problems.map((problem) => (
                    <li key={problem} className="error">
                      {problem}
                    </li>
                  ))}
                </ul>
              ) : null}
            </td>
            <td>
              <div
                className="bar"
                role="progressbar"
                aria-label="Hunt progress"
                aria-valuenow={run.progress}
                aria-valuemin={0}
                aria-valuemax={100}
              >
                <span style={{ width: `${run.progress}%` }} />
              </div>
              <span data-testid="run-progress">{run.progress}%</span> {run.message}
            </td>
            <td data-testid="run-new">{shown(run.created)}</td>
            <td data-testid="run-known">{shown(run.duplicates)}</td>
            <td data-testid="run-not-matching">{shown(run.notMatching)}</td>
            <td data-testid="run-scored">{run.scored}</td>
            <td data-testid="run-alerted">{run.alerted}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Leads({ leads }: { leads: Loaded["leads"] }) {
  if (leads.length === 0) return <p className="empty">No hunted leads yet.</p>;
  return (
    <table>
      <caption className="skip">Leads the hunter found, newest first; times in UTC</caption>
      <thead>
        <tr>
          <th scope="col">Lead</th>
          <th scope="col">Board</th>
          <th scope="col">Place</th>
          <th scope="col">Keyword</th>
          <th scope="col">Posted</th>
          <th scope="col">Found</th>
          <th scope="col">Score</th>
          <th scope="col">Alerted</th>
          <th scope="col">Page</th>
        </tr>
      </thead>
      <tbody>
        {leads.map((lead) => (
          <tr key={lead.id} data-testid="lead-row" data-lead-id={lead.id}>
            <td>
              <Link to={`/leads/${lead.id}`} data-testid="lead-title">
                {lead.name}
              </Link>
              {lead.sourceText ? (
                <details>
                  <summary>What it read</summary>
                  <pre data-testid="lead-source-text">{lead.sourceText}</pre>
                </details>
              ) : null}
            </td>
            <td>
              {lead.url ? (
                <a href={lead.url} rel="noreferrer noopener" target="_blank">
                  {lead.board}
                </a>
              ) : (
                lead.board
              )}
            </td>
            <td>{lead.place ?? "—"}</td>
            <td>{lead.keyword}</td>
            <td>{when(lead.postedAt)}</td>
            <td>{when(lead.fetchedAt)}</td>
            <td data-testid="lead-score">{lead.score ?? "—"}</td>
            <td data-testid="lead-alerted">{lead.alertedAt ? when(lead.alertedAt) : "no"}</td>
            <td>
              {lead.hasScreenshot ? (
                // A resource route: a plain link, so the browser fetches the PNG itself.
                <a href={`/leads/${lead.id}/hunt-screenshot`} data-testid="lead-screenshot">
                  <img
                    src={`/leads/${lead.id}/hunt-screenshot`}
                    alt={`The page "${lead.name}" was read from`}
                    width={96}
                    loading="lazy"
                  />
                </a>
              ) : (
                "—"
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export default function Hunt() {
  const data = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state !== "idle";
  const running = data.runs.some((run) => run.status === "queued" || run.status === "processing");
  return (
    <>
      <h1>Hunt</h1>
      <p>
        The hunter reads job boards for posts that fit your business, and tells you about the good ones. It calls nobody
        unless you say so below.
      </p>
      <FormError message={result?.intent === "hunt" ? result.error : null} testId="hunt-error" />
      {data.canHunt ? (
        <PostForm className="row" aria-label="Hunt now">
          <button type="submit" name="intent" value="hunt" disabled={busy}>
            Hunt now
          </button>
          {running ? <span role="status">A hunt is running; starting another joins it.</span> : null}
        </PostForm>
      ) : null}

      <h2>Runs</h2>
      <Runs runs={data.runs} />

      <h2>Hunted leads</h2>
      <Leads leads={data.leads} />

      <SettingsForm data={data} />
    </>
  );
}
