import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/cloudflare";
import { Link, useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import type { DAYS } from "../../workers/speed-to-lead/settings";
import { getSpeedToLeadSettings, putSpeedToLeadSettings } from "../../workers/speed-to-lead/settings-store";
import { fieldErrors } from "../components/field-errors";
import { FormError, FormNotice } from "../components/form-messages";
import { PostForm } from "../components/post-form";
import { RoleNotice } from "../components/role-notice";
import { failure, formFields, invalid, parseForm } from "../lib/forms.server";
import { canAct, currentProject, formAction, requireSession } from "../lib/session.server";

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
  const session = await requireSession(request, context);
  // Admin only, as in the API: the owner's numbers.
  if (!canAct(session.auth, "admin")) return { hidden: true as const };
  const project = await currentProject(session);
  const { settings, version } = await getSpeedToLeadSettings(project.id, session);
  return { hidden: false as const, settings, version, canEdit: true };
}

// An empty input means "not set".
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (typeof value === "string" && value.trim() === "" ? undefined : value), schema.optional());
const line = optional(z.string().trim().max(500));
const speedToLeadForm = z.object({
  version: z.coerce.number().int().min(0),
  ownerPhone: line,
  trackingNumber: line,
  timezone: line,
  whisperTemplate: line,
  scoreThreshold: optional(z.coerce.number().int().min(0).max(100)),
  backupPhones: line,
  ladderOrder: optional(z.enum(["in-order", "round-robin"])),
  ringSeconds: optional(z.coerce.number().int().min(5).max(60)),
  connectTargetSeconds: optional(z.coerce.number().int().min(10).max(600)),
  hotLeadTemplate: line,
  hotLeadRecipients: line,
  bridgeAtCap: optional(z.enum(["keep-calling", "pause"])),
  customerDisclosure: optional(z.enum(["always", "by-region"])),
  alwaysOpen: z.string().optional(),
  ...Object.fromEntries(WEEK.flatMap((day) => [`${day}-from`, `${day}-to`].map((name) => [name, line]))),
});

/** Phones typed one per line or comma-separated (the settings schema checks each is E.164). */
const phoneList = (text: string | undefined) =>
  (text ?? "")
    .split(/[\n,]+/)
    .map((phone) => phone.trim())
    .filter(Boolean);

export async function action({ request, context }: ActionFunctionArgs) {
  const { session, form } = await formAction(request, context, "admin", "Your role cannot change settings.");
  const input = parseForm(speedToLeadForm, formFields(form));
  if (!input.ok) return invalid(input.failure, { saved: false });
  const fields = input.data as z.output<typeof speedToLeadForm> & Record<string, string | undefined>;
  try {
    const project = await currentProject(session);
    // The settings as stored: what the form does not show, it keeps.
    const { settings } = await getSpeedToLeadSettings(project.id, session);
    const hours = fields.alwaysOpen
      ? undefined
      : Object.fromEntries(
          WEEK.map((day) => {
            const from = fields[`${day}-from`];
            const to = fields[`${day}-to`];
            return [day, from && to ? [[from, to]] : []];
          }),
        );
    await putSpeedToLeadSettings(
      project.id,
      fields.version,
      {
        ...settings,
        ownerPhone: fields.ownerPhone,
        trackingNumber: fields.trackingNumber,
        timezone: fields.timezone ?? "UTC",
        whisperTemplate: fields.whisperTemplate ?? settings.whisperTemplate,
        scoreThreshold: fields.scoreThreshold ?? settings.scoreThreshold,
        backupPhones: phoneList(fields.backupPhones),
        ladderOrder: fields.ladderOrder ?? settings.ladderOrder,
        ringSeconds: fields.ringSeconds ?? settings.ringSeconds,
        connectTargetSeconds: fields.connectTargetSeconds ?? settings.connectTargetSeconds,
        hotLeadTemplate: fields.hotLeadTemplate ?? settings.hotLeadTemplate,
        hotLeadRecipients: phoneList(fields.hotLeadRecipients),
        bridgeAtCap: fields.bridgeAtCap ?? settings.bridgeAtCap,
        customerDisclosure: fields.customerDisclosure ?? settings.customerDisclosure,
        businessHours: hours,
      },
      session,
    );
    return { saved: true, error: null, fields: {} as Record<string, string> };
  } catch (error) {
    return failure(error, { saved: false }, "Someone else saved these settings first; reload to see theirs.");
  }
}

export default function SpeedToLead() {
  const data = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  if (data.hidden) return <RoleNotice least="admin" what="the speed-to-lead settings" />;
  const { settings, version, canEdit } = data;
  // The service names a field by its DNA path (modules.speedToLead.ownerPhone), the form by its input's name.
  const errors = fieldErrors(
    Object.fromEntries(
      Object.entries(result?.fields ?? {}).map(([path, why]) => [path.replace(/^modules\.speedToLead\./, ""), why]),
    ),
  );
  const alwaysOpen = !settings.businessHours;
  return (
    <>
      <FormNotice message={result?.saved ? "Saved." : null} />
      <FormError message={result?.error} />
      <p>
        Where leads come from — each source's address, secret, setup and a test lead — is on{" "}
        <Link to="/settings/lead-sources">Lead sources</Link>.
      </p>
      <PostForm className="stack">
        <input type="hidden" name="version" value={version} />
        <fieldset disabled={!canEdit}>
          <legend>Phones</legend>
          <label>
            Your phone (the bridge rings it first)
            <input
              name="ownerPhone"
              type="tel"
              defaultValue={settings.ownerPhone ?? ""}
              placeholder="+15551234567"
              {...errors.aria("ownerPhone")}
            />
            {errors.message("ownerPhone")}
          </label>
          <label>
            Tracking number (your Twilio number)
            <input
              name="trackingNumber"
              type="tel"
              defaultValue={settings.trackingNumber ?? ""}
              placeholder="+15557654321"
              {...errors.aria("trackingNumber")}
            />
            {errors.message("trackingNumber")}
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
          <label>
            The customer hears the recording notice
            <select name="customerDisclosure" defaultValue={settings.customerDisclosure}>
              <option value="always">always</option>
              <option value="by-region">only where every party must consent</option>
            </select>
          </label>
        </fieldset>
        <fieldset disabled={!canEdit}>
          <legend>Who answers (the call ladder)</legend>
          <label>
            Backup phones, rung in turn when the owner misses (one per line, +1…)
            <textarea name="backupPhones" rows={3} defaultValue={settings.backupPhones.join("\n")} />
          </label>
          <label>
            Order
            <select name="ladderOrder" defaultValue={settings.ladderOrder}>
              <option value="in-order">owner first, then the backups in order</option>
              <option value="round-robin">round-robin: each lead starts with the next person</option>
            </select>
          </label>
          <label>
            Ring each person for (seconds)
            <input name="ringSeconds" type="number" min={5} max={60} defaultValue={settings.ringSeconds} />
          </label>
          <label>
            Time-to-connect target (seconds): no new rung after it; the customer is texted instead
            <input
              name="connectTargetSeconds"
              type="number"
              min={10}
              max={600}
              defaultValue={settings.connectTargetSeconds}
            />
          </label>
        </fieldset>
        <fieldset disabled={!canEdit}>
          <legend>Alerts and the spend cap</legend>
          <label>
            Hot-lead text ({"{source}"}, {"{name}"}, {"{phone}"}, {"{score}"}, {"{summary}"})
            <input name="hotLeadTemplate" defaultValue={settings.hotLeadTemplate} />
          </label>
          <label>
            Hot leads go to (one per line; empty: the owner)
            <textarea name="hotLeadRecipients" rows={2} defaultValue={settings.hotLeadRecipients.join("\n")} />
          </label>
          <label>
            At the monthly spend cap
            <select name="bridgeAtCap" defaultValue={settings.bridgeAtCap}>
              <option value="keep-calling">keep calling new leads (AI and texts pause)</option>
              <option value="pause">pause the bridge calls too</option>
            </select>
          </label>
        </fieldset>
        {canEdit ? (
          <button type="submit">Save</button>
        ) : (
          <p className="empty">Your role can read these settings but not change them.</p>
        )}
      </PostForm>
    </>
  );
}
