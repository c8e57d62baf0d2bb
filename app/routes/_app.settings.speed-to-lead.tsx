import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/cloudflare";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { getVoiceSettings, putVoiceSettings } from "../../workers/services/project-settings";
import type { DAYS } from "../../workers/voice/settings";
import {
  type AppContext,
  canAct,
  currentProject,
  formAction,
  problemMessage,
  requireSession,
} from "../lib/session.server";
import { SettingsNav } from "../lib/settings-nav";

export const meta: MetaFunction = () => [{ title: "Speed-to-lead · Apex" }];

const DAY_NAMES: Record<(typeof DAYS)[number], string> = {
  mon: "Monday",
  tue: "Tuesday",
  wed: "Wednesday",
  thu: "Thursday",
  fri: "Friday",
  sat: "Saturday",
  sun: "Sunday",
};
const WEEK = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;

export async function loader({ request, context }: LoaderFunctionArgs) {
  const session = await requireSession(request, context as unknown as AppContext);
  const { settings, version } = await getVoiceSettings((await currentProject(session)).id, session);
  return { settings, version, csrf: session.csrf, canEdit: canAct(session.auth, "admin") };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { session, form } = await formAction(request, context, "admin", "Your role cannot change settings.");
  const text = (name: string) => {
    const value = String(form.get(name) ?? "").trim();
    return value === "" ? undefined : value;
  };
  const { settings } = await getVoiceSettings((await currentProject(session)).id, session);
  const hours = form.get("alwaysOpen")
    ? undefined
    : Object.fromEntries(
        WEEK.map((day) => {
          const from = text(`${day}-from`);
          const to = text(`${day}-to`);
          return [day, from && to ? [[from, to]] : []];
        }),
      );
  const next = {
    ...settings,
    ownerPhone: text("ownerPhone"),
    trackingNumber: text("trackingNumber"),
    timezone: text("timezone") ?? "UTC",
    whisperTemplate: text("whisperTemplate") ?? settings.whisperTemplate,
    scoreThreshold: Number(text("scoreThreshold") ?? settings.scoreThreshold),
    businessHours: hours,
  };
  try {
    await putVoiceSettings((await currentProject(session)).id, Number(form.get("version")), next, session);
    return { saved: true, error: null, fields: {} as Record<string, string> };
  } catch (error) {
    const problem = problemMessage(error);
    return {
      saved: false,
      error:
        problem.status === 412 ? "Someone else saved these settings first; reload to see theirs." : problem.message,
      fields: problem.fields,
    };
  }
}

export default function SpeedToLead() {
  const { settings, version, csrf, canEdit } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const fieldError = (name: string) =>
    (result?.fields?.[name] ?? result?.fields?.[`modules.speedToLead.${name}`]) ? (
      <span className="error">{result?.fields?.[name] ?? result?.fields?.[`modules.speedToLead.${name}`]}</span>
    ) : null;
  const alwaysOpen = !settings.businessHours;
  return (
    <>
      <h1>Speed-to-lead</h1>
      <SettingsNav />
      {result?.saved ? <p role="status">Saved.</p> : null}
      {result?.error ? (
        <p className="error" role="alert">
          {result.error}
        </p>
      ) : null}
      <Form method="post" className="stack">
        <input type="hidden" name="csrf" value={csrf} />
        <input type="hidden" name="version" value={version} />
        <fieldset disabled={!canEdit}>
          <legend>Phones</legend>
          <label>
            Your phone (the bridge rings it first)
            <input name="ownerPhone" type="tel" defaultValue={settings.ownerPhone ?? ""} placeholder="+15551234567" />
            {fieldError("ownerPhone")}
          </label>
          <label>
            Tracking number (your Twilio number)
            <input
              name="trackingNumber"
              type="tel"
              defaultValue={settings.trackingNumber ?? ""}
              placeholder="+15557654321"
            />
            {fieldError("trackingNumber")}
          </label>
        </fieldset>
        <fieldset disabled={!canEdit}>
          <legend>Business hours</legend>
          <label>
            Time zone
            <input name="timezone" defaultValue={settings.timezone} placeholder="America/Chicago" />
          </label>
          <label style={{ display: "flex", gap: ".5rem", fontWeight: 400 }}>
            <input type="checkbox" name="alwaysOpen" defaultChecked={alwaysOpen} style={{ width: "auto" }} /> Always
            open (call leads at any hour)
          </label>
          {WEEK.map((day) => {
            const [range] = settings.businessHours?.[day] ?? [];
            return (
              <div key={day} className="row">
                <span style={{ minWidth: "6rem" }}>{DAY_NAMES[day]}</span>
                <label>
                  <span className="skip">{DAY_NAMES[day]} opens</span>
                  <input name={`${day}-from`} type="time" defaultValue={range?.[0] ?? ""} />
                </label>
                <label>
                  <span className="skip">{DAY_NAMES[day]} closes</span>
                  <input name={`${day}-to`} type="time" defaultValue={range?.[1] ?? ""} />
                </label>
              </div>
            );
          })}
        </fieldset>
        <fieldset disabled={!canEdit}>
          <legend>The call</legend>
          <label>
            Whisper (what you hear before pressing 1; {"{name}"}, {"{source}"} and {"{about}"} are filled in)
            <input name="whisperTemplate" defaultValue={settings.whisperTemplate} />
          </label>
          <label>
            Call leads scored at least
            <input name="scoreThreshold" type="number" min={0} max={100} defaultValue={settings.scoreThreshold} />
          </label>
        </fieldset>
        {canEdit ? (
          <button type="submit">Save</button>
        ) : (
          <p className="empty">Your role can read these settings but not change them.</p>
        )}
      </Form>
    </>
  );
}
