import { type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction, redirect } from "@remix-run/cloudflare";
import { Link, useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { createCampaign, getCampaign } from "../../workers/campaigns/campaigns";
import { DEFAULT_OPT_OUT_FOOTER, TEMPLATE_VARIABLES } from "../../workers/campaigns/message-template";
import { campaignInput, campaignSettings } from "../../workers/campaigns/settings";
import { listEntityPage } from "../../workers/services/entities";
import { fieldErrors } from "../components/field-errors";
import { FormError } from "../components/form-messages";
import { PostForm } from "../components/post-form";
import { Table } from "../components/table";
import { failure, formFields, invalid, parseForm } from "../lib/forms.server";
import { canAct, currentProject, formAction, requireSession } from "../lib/session.server";

export const meta: MetaFunction = () => [{ title: "Campaigns · Apex" }];
export const handle = { channels: ["entity:campaign"] };

/**
 * Reactivation campaigns (#16) of the project chosen in the header: the list
 * with each run's counters, and a builder that drafts a new one. A draft
 * sends nothing; its page previews who it would reach and an admin launches it.
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const session = await requireSession(request, context);
  const project = await currentProject(session);
  const cursor = new URL(request.url).searchParams.get("cursor") || undefined;
  const page = await listEntityPage({ type: "campaign", projectId: project.id, cursor, limit: 50 }, session);
  // The entity row has no counters; the campaign view reads them from the recipients.
  const campaigns = await Promise.all(page.items.map((entity) => getCampaign(entity.id, session)));
  return { campaigns, nextCursor: page.nextCursor, canDraft: canAct(session.auth, "member") };
}

const blank = (value: unknown) => (typeof value === "string" && value.trim() === "" ? undefined : value);
const number = (value: unknown) => {
  const given = blank(value);
  return typeof given === "string" ? Number(given) : given;
};
const commaList = (value: unknown) => {
  const given = blank(value);
  return typeof given === "string"
    ? given
        .split(",")
        .map((item) => item.trim())
        .filter(Boolean)
    : given;
};

/**
 * The builder's inputs are named by their path in the settings
 * (`audience.statuses`, `sendWindow.start`), so the settings schema itself
 * checks the form and each message lands beside its input. A blank input
 * takes the schema's default.
 */
const builderForm = z.preprocess(
  (raw) => {
    const fields = raw as Record<string, unknown>;
    const start = number(fields["sendWindow.start"]);
    const end = number(fields["sendWindow.end"]);
    return {
      name: fields.name,
      template: fields.template,
      offer: blank(fields.offer),
      audience: {
        statuses: commaList(fields["audience.statuses"]),
        lastContactOlderThanMonths: number(fields["audience.lastContactOlderThanMonths"]),
        jobTypes: commaList(fields["audience.jobTypes"]),
      },
      sendWindow: start === undefined && end === undefined ? undefined : { start, end },
      dailyLimit: number(fields.dailyLimit),
      pacePerSecond: number(fields.pacePerSecond),
    };
  },
  campaignSettings.extend({ name: campaignInput.shape.name }),
);

export async function action({ request, context }: ActionFunctionArgs) {
  const { session, form } = await formAction(request, context, "member", "Your role cannot draft campaigns.");
  const input = parseForm(builderForm, formFields(form));
  if (!input.ok) return invalid(input.failure);
  const { name, ...settings } = input.data;
  try {
    const project = await currentProject(session);
    const created = await createCampaign({ projectId: project.id, name, settings }, session);
    // The draft's page is where it is previewed and launched.
    return redirect(`/campaigns/${created.id}`);
  } catch (error) {
    return failure(error);
  }
}

const money = (usd: number) => `$${usd.toFixed(2)}`;

function Builder() {
  const result = useActionData<typeof action>();
  const errors = fieldErrors(result?.fields);
  return (
    <>
      <h2>New campaign</h2>
      <FormError message={result?.error} testId="builder-error" />
      <PostForm className="stack" aria-label="New campaign">
        <label>
          Name
          <input name="name" maxLength={200} required {...errors.aria("name")} />
          {errors.message("name")}
        </label>
        <label>
          Message ({TEMPLATE_VARIABLES.map((v) => `{{${v}}}`).join(", ")}; a default after a bar, as in{" "}
          {"{{firstName|there}}"}, stands in when a customer lacks the value. "{DEFAULT_OPT_OUT_FOOTER}" is added.)
          <textarea
            name="template"
            rows={4}
            maxLength={1000}
            required
            defaultValue="Hi {{firstName|there}}, it has been a while since {{businessName}} last came by. Want us to book your yearly check-up?"
            {...errors.aria("template")}
          />
          {errors.message("template")}
        </label>
        <label>
          Offer (fills {"{{offer}}"})
          <input name="offer" maxLength={200} {...errors.aria("offer")} />
          {errors.message("offer")}
        </label>
        <fieldset>
          <legend>Who</legend>
          <label>
            Lead statuses that make a past customer (comma-separated)
            <input name="audience.statuses" defaultValue="won, completed" {...errors.aria("audience.statuses")} />
            {errors.message("audience.statuses")}
          </label>
          <label>
            Last contact at least this many months ago
            <input
              name="audience.lastContactOlderThanMonths"
              type="number"
              min={0}
              max={120}
              defaultValue={6}
              {...errors.aria("audience.lastContactOlderThanMonths")}
            />
            {errors.message("audience.lastContactOlderThanMonths")}
          </label>
          <label>
            Only these job types (comma-separated; blank for all)
            <input name="audience.jobTypes" {...errors.aria("audience.jobTypes")} />
            {errors.message("audience.jobTypes")}
          </label>
        </fieldset>
        <fieldset>
          <legend>When and how fast</legend>
          <div className="row">
            <label>
              Send from (hour, customer's time)
              <input
                name="sendWindow.start"
                type="number"
                min={8}
                max={21}
                defaultValue={9}
                {...errors.aria("sendWindow.start")}
              />
              {errors.message("sendWindow.start")}
            </label>
            <label>
              until
              <input
                name="sendWindow.end"
                type="number"
                min={8}
                max={21}
                defaultValue={20}
                {...errors.aria("sendWindow.end")}
              />
              {errors.message("sendWindow.end")}
            </label>
            <label>
              Texts a day at most
              <input
                name="dailyLimit"
                type="number"
                min={1}
                max={50000}
                defaultValue={500}
                {...errors.aria("dailyLimit")}
              />
              {errors.message("dailyLimit")}
            </label>
            <label>
              Texts a second
              <input
                name="pacePerSecond"
                type="number"
                min={0.1}
                max={100}
                step={0.1}
                defaultValue={1}
                {...errors.aria("pacePerSecond")}
              />
              {errors.message("pacePerSecond")}
            </label>
          </div>
        </fieldset>
        <button type="submit">Draft campaign</button>
      </PostForm>
      <p>
        A draft sends nothing. Its page shows who it would reach and what they would read before anyone launches it.
      </p>
    </>
  );
}

export default function Campaigns() {
  const { campaigns, nextCursor, canDraft } = useLoaderData<typeof loader>();
  return (
    <>
      <h1>Campaigns</h1>
      <Link to="/campaigns/import">Import past customers</Link>
      {campaigns.length === 0 ? (
        <p className="empty">No campaigns in this project yet.</p>
      ) : (
        <Table columns={["Name", "State", "Queued", "Delivered", "Replied", "Opted out", "Spend"]}>
          {campaigns.map((campaign) => (
            <tr key={campaign.id} data-testid="campaign-row">
              <td>
                <Link to={`/campaigns/${campaign.id}`}>{campaign.name}</Link>
              </td>
              <td>
                <span className="pill">{campaign.run.state}</span>
              </td>
              <td>{campaign.counts.byStatus.queued ?? 0}</td>
              <td>{campaign.counts.byStatus.delivered ?? 0}</td>
              <td>{campaign.counts.replied}</td>
              <td>{campaign.counts.optedOut}</td>
              <td>{money(campaign.spentUsd)}</td>
            </tr>
          ))}
        </Table>
      )}
      {nextCursor ? (
        <p>
          <Link to={`?cursor=${encodeURIComponent(nextCursor)}`}>Older campaigns</Link>
        </p>
      ) : null}
      {canDraft ? <Builder /> : null}
    </>
  );
}
