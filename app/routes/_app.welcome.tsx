import {
  type ActionFunctionArgs,
  data,
  type LoaderFunctionArgs,
  type MetaFunction,
  redirect,
} from "@remix-run/cloudflare";
import { useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { startTask } from "../../workers/agents/start-task";
import { dnaLayerSchema } from "../../workers/dna/schema";
import { outboundUrlProblem } from "../../workers/outbound/url-policy";
import { toE164 } from "../../workers/phone";
import { getDna, updateDnaLayer } from "../../workers/services/dna";
import { onboardingResultSchema } from "../../workers/services/onboarding";
import { slugOf } from "../../workers/services/onboarding-rules";
import { getTicket } from "../../workers/services/tasks";
import type { DAYS } from "../../workers/speed-to-lead/settings";
import { getSpeedToLeadSettings, putSpeedToLeadSettings } from "../../workers/speed-to-lead/settings-store";
import { RoleNotice } from "../components/role-notice";
import { BusinessForm } from "../components/welcome/business-form";
import { DraftProgress, type DraftTicket } from "../components/welcome/draft-progress";
import { PhonesForm } from "../components/welcome/phones-form";
import { ReviewForm, type ReviewValues, WEEK } from "../components/welcome/review-form";
import { type WelcomeStep, WelcomeSteps } from "../components/welcome/steps";
import { formFields, parseForm, problemMessage } from "../lib/forms.server";
import { canAct, currentProject, formAction, requireSession } from "../lib/session.server";

/**
 * The welcome wizard: the first thing after sign-up, and reopened from
 * Settings. 1) name and website start the onboarding task, whose progress the
 * page shows live; 2) the owner reviews what it drafted — services, places,
 * hours — and saves it into the DNA's custom layer; 3) the owner's phones.
 * Each step writes once, through the same services as the settings pages, so
 * a refused field leaves nothing half-written. Admins only, as the
 * onboarding task and the settings it writes are.
 */
export const meta: MetaFunction = () => [{ title: "Welcome · Apex" }];
export const handle = { channels: ["ticket:*"] };

type Day = (typeof DAYS)[number];
type Session = Awaited<ReturnType<typeof requireSession>>;
const stepOf = (value: string | null): WelcomeStep => (value === "review" || value === "phones" ? value : "business");

async function readTicket(id: string | null, session: Session) {
  if (!id || !z.uuid().safeParse(id).success) return null;
  const ticket = await getTicket(id, session).catch(() => null);
  if (ticket?.task !== "onboarding") return null;
  const result = onboardingResultSchema.safeParse(ticket.result);
  return { ticket, result: result.success ? result.data : null };
}

export async function loader({ request, context }: LoaderFunctionArgs) {
  const session = await requireSession(request, context);
  const project = await currentProject(session);
  if (!canAct(session.auth, "admin")) return { hidden: true as const, project };
  const url = new URL(request.url);
  const step = stepOf(url.searchParams.get("step"));
  const { dna, layers, versions } = await getDna(project.id, session);
  const base = { hidden: false as const, project, step, version: versions.custom };
  if (step === "business") {
    return {
      ...base,
      business: { businessName: dna.identity.businessName, websiteUrl: dna.identity.website ?? "" },
    };
  }
  if (step === "phones") {
    const settings = dna.modules.speedToLead;
    return {
      ...base,
      phones: {
        ownerPhone: settings.ownerPhone ?? "",
        backupPhones: settings.backupPhones,
        websitePhone: dna.identity.phone ? (toE164(dna.identity.phone, settings.defaultCountry) ?? null) : null,
      },
    };
  }
  const read = await readTicket(url.searchParams.get("ticket"), session);
  const draft: DraftTicket | null = read
    ? {
        id: read.ticket.id,
        status: read.ticket.status,
        progress: read.ticket.progress,
        message: read.ticket.message || null,
        error: read.ticket.error,
        why: read.result?.why ?? null,
        notFound: read.result?.notFound ?? [],
      }
    : null;
  // A fresh draft is reviewed as drafted (the generated layer), not as an earlier custom layer has it.
  const generated = dnaLayerSchema.safeParse(layers.generated);
  const drafted = read?.ticket.status === "completed" && generated.success ? generated.data : {};
  const hours = read?.result?.hours;
  const review: ReviewValues = {
    services: (drafted.services ?? dna.services).map((s) => s.name),
    cities: drafted.geoScope?.cities ?? dna.geoScope.cities,
    areas: drafted.geoScope?.areas ?? dna.geoScope.areas,
    timezone: dna.modules.speedToLead.timezone,
    hours: hours ? (hours.always ? null : hours.week) : (dna.modules.speedToLead.businessHours ?? null),
    hoursSaid: hours?.always ? hours.said : null,
  };
  return { ...base, draft, review };
}

// ── actions ─────────────────────────────────────────────────────────────────

const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (typeof value === "string" && value.trim() === "" ? undefined : value), schema.optional());
const line = optional(z.string().trim().max(500));
const block = z.string().max(20_000).default("");

const startForm = z.object({
  intent: z.literal("start"),
  businessName: z.string().trim().min(1, "is required").max(200),
  websiteUrl: line,
});
const reviewForm = z.object({
  intent: z.literal("review"),
  version: z.coerce.number().int().min(0),
  services: block,
  cities: block,
  areas: block,
  timezone: line,
  alwaysOpen: z.string().optional(),
  ...Object.fromEntries(WEEK.flatMap((day) => [`${day}-from`, `${day}-to`].map((name) => [name, line]))),
});
const phonesForm = z.object({
  intent: z.literal("phones"),
  version: z.coerce.number().int().min(0),
  ownerPhone: line,
  backupPhones: block,
});
const welcomeForm = z.discriminatedUnion("intent", [startForm, reviewForm, phonesForm]);

const linesOf = (text: string, separators = /\n+/) =>
  text
    .split(separators)
    .map((part) => part.trim())
    .filter(Boolean);

/**
 * A service names a field by its path (`services.3.slug`,
 * `modules.speedToLead.businessHours.mon.0.1`, `params.websiteUrl`); the form
 * by its input's name.
 */
function inputOf(path: string): string {
  const hours = /^modules\.speedToLead\.businessHours\.(\w+)/.exec(path);
  if (hours) return `${hours[1]}-from`;
  const bare = path.replace(/^(params|modules\.speedToLead)\./, "");
  if (bare.startsWith("geoScope.")) return bare.split(".")[1] ?? bare;
  return bare.split(".")[0] ?? bare;
}

const byInput = (fields: Record<string, string>) => {
  const out: Record<string, string> = {};
  for (const [path, message] of Object.entries(fields)) out[inputOf(path)] ??= message;
  return out;
};

/** What the owner typed, sent back with a refusal so the form shows it again rather than the stored values. */
type Echo =
  | { business: { businessName: string; websiteUrl: string } }
  | { review: ReviewValues }
  | { phones: { ownerPhone: string; backupPhones: string[] } };

function echoOf(fields: Record<string, unknown>): Echo | undefined {
  const text = (name: string) => (typeof fields[name] === "string" ? (fields[name] as string) : "");
  if (fields.intent === "start")
    return { business: { businessName: text("businessName"), websiteUrl: text("websiteUrl") } };
  if (fields.intent === "phones")
    return { phones: { ownerPhone: text("ownerPhone"), backupPhones: linesOf(text("backupPhones"), /[\n,]+/) } };
  if (fields.intent !== "review") return undefined;
  const hours = Object.fromEntries(
    WEEK.map((day) => {
      const [from, to] = [text(`${day}-from`), text(`${day}-to`)];
      return [day, from || to ? [[from, to] as [string, string]] : []];
    }),
  );
  return {
    review: {
      services: linesOf(text("services")),
      cities: linesOf(text("cities")),
      areas: linesOf(text("areas"), /[\n,]+/),
      timezone: text("timezone"),
      hours: text("alwaysOpen") ? null : hours,
      hoursSaid: null,
    },
  };
}

function refused(error: unknown, echo: Echo | undefined) {
  const problem = problemMessage(error);
  const message =
    problem.status === 412
      ? "Someone else changed these settings first; reload the page and try again."
      : problem.message;
  return data({ error: message, fields: byInput(problem.fields), echo }, { status: problem.status });
}

const invalidFields = (fields: Record<string, string>, echo: Echo | undefined) =>
  data({ error: `Check ${Object.keys(fields).join(", ")}.`, fields, echo }, { status: 422 });

export async function action({ request, context }: ActionFunctionArgs) {
  const { session, form } = await formAction(request, context, "admin", "Your role cannot set up the business.");
  const posted = formFields(form);
  const echo = echoOf(posted);
  const input = parseForm(welcomeForm, posted);
  if (!input.ok) return invalidFields(input.failure.fields, echo);
  const project = await currentProject(session);
  const asked = input.data;
  try {
    if (asked.intent === "start") {
      // A site typed without a scheme is read as https.
      const websiteUrl =
        asked.websiteUrl && !/^[a-z][a-z0-9+.-]*:\/\//i.test(asked.websiteUrl)
          ? `https://${asked.websiteUrl}`
          : asked.websiteUrl;
      // The full outbound rule, as the task will apply it, so a refused site is named here and no task starts.
      const problem = websiteUrl
        ? z.url().safeParse(websiteUrl).success
          ? outboundUrlProblem(websiteUrl, { appEnv: session.env.APP_ENV, field: "websiteUrl" })
          : { field: "websiteUrl", message: "is not a web address" }
        : undefined;
      if (problem) return invalidFields({ websiteUrl: problem.message }, echo);
      const started = await startTask(
        "onboarding",
        { projectId: project.id, businessName: asked.businessName, ...(websiteUrl ? { websiteUrl } : {}) },
        { ...session, waitUntil: (promise) => context.cloudflare.ctx.waitUntil(promise) },
      );
      if (started.kind !== "ticket") throw new Error("onboarding is a heavy task");
      return redirect(`/welcome?step=review&ticket=${started.ticket.id}`);
    }
    if (asked.intent === "review") return await saveReview(asked, project.id, session, echo);
    return await savePhones(asked, project.id, session);
  } catch (error) {
    return refused(error, echo);
  }
}

async function saveReview(
  asked: z.infer<typeof reviewForm>,
  projectId: string,
  session: Session,
  echo: Echo | undefined,
) {
  const fields = asked as typeof asked & Record<string, string | undefined>;
  const wrong: Record<string, string> = {};
  const week: Partial<Record<Day, [string, string][]>> = {};
  for (const day of WEEK) {
    const from = fields[`${day}-from`];
    const to = fields[`${day}-to`];
    if (!from && !to) week[day] = [];
    else if (!from || !to) wrong[`${day}-from`] = "needs both an opening and a closing time";
    else if (from >= to) wrong[`${day}-from`] = "must open before it closes";
    else week[day] = [[from, to]];
  }
  if (Object.keys(wrong).length > 0 && !asked.alwaysOpen) return invalidFields(wrong, echo);
  const { dna } = await getDna(projectId, session);
  const keywords = new Map(dna.services.map((s) => [s.slug, s.keywords]));
  const services: { name: string; slug: string; keywords: string[] }[] = [];
  for (const name of linesOf(asked.services)) {
    const slug = slugOf(name);
    if (services.some((s) => s.slug === slug)) continue;
    services.push({ name, slug, keywords: keywords.get(slug) ?? [name.toLowerCase().slice(0, 100)] });
  }
  await updateDnaLayer(
    projectId,
    "custom",
    (stored) => {
      const custom = (stored ?? {}) as { geoScope?: object; modules?: { speedToLead?: Record<string, unknown> } };
      const { businessHours: _replaced, ...speedToLead } = custom.modules?.speedToLead ?? {};
      return {
        ...custom,
        services,
        geoScope: { ...custom.geoScope, cities: linesOf(asked.cities), areas: linesOf(asked.areas, /[\n,]+/) },
        modules: {
          ...custom.modules,
          speedToLead: {
            ...speedToLead,
            timezone: asked.timezone ?? "UTC",
            // Around the clock is no hours at all (the settings' meaning of absent).
            ...(asked.alwaysOpen ? {} : { businessHours: week }),
          },
        },
      };
    },
    asked.version,
    session,
  );
  return redirect("/welcome?step=phones");
}

async function savePhones(asked: z.infer<typeof phonesForm>, projectId: string, session: Session) {
  const { settings } = await getSpeedToLeadSettings(projectId, session);
  // Written as people write them ("(555) 010-0001"); what is not a phone stays as typed, for the schema to name.
  const phone = (raw: string) => toE164(raw, settings.defaultCountry) ?? raw;
  await putSpeedToLeadSettings(
    projectId,
    asked.version,
    {
      ...settings,
      ownerPhone: asked.ownerPhone ? phone(asked.ownerPhone) : undefined,
      backupPhones: linesOf(asked.backupPhones, /[\n,]+/).map(phone),
    },
    session,
  );
  return redirect("/");
}

// ── page ────────────────────────────────────────────────────────────────────

export default function Welcome() {
  const page = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  if (page.hidden) return <RoleNotice least="admin" what="the setup wizard" />;
  const error = result && "error" in result ? result.error : null;
  const fields = result && "fields" in result ? result.fields : undefined;
  const echo = result && "echo" in result ? result.echo : undefined;
  return (
    <>
      <h1>Welcome — let’s set up {page.project.name}</h1>
      <WelcomeSteps current={page.step} />
      {"business" in page && page.business ? <BusinessForm {...page.business} error={error} fields={fields} /> : null}
      {"review" in page && page.review ? (
        <>
          {page.draft ? <DraftProgress ticket={page.draft} /> : null}
          {page.draft && (page.draft.status === "queued" || page.draft.status === "processing") ? null : (
            <ReviewForm
              values={echo && "review" in echo ? echo.review : page.review}
              version={page.version}
              error={error}
              fields={fields}
            />
          )}
        </>
      ) : null}
      {"phones" in page && page.phones ? (
        <PhonesForm
          {...page.phones}
          {...(echo && "phones" in echo ? echo.phones : {})}
          version={page.version}
          error={error}
          fields={fields}
        />
      ) : null}
    </>
  );
}
