import { type ActionFunctionArgs, type LoaderFunctionArgs, redirect } from "@remix-run/cloudflare";
import { Link, useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { LEAD_SOURCE_IDS, leadSource } from "../../workers/intake/sources";
import { getDna } from "../../workers/services/dna";
import { listIntakeSecrets, revokeIntakeSecret, rotateIntakeSecret } from "../../workers/services/intake-secrets";
import { sendTestLead } from "../../workers/services/test-lead";
import { FormError, FormNotice, SecretShownOnce } from "../components/form-messages";
import { SourceCard } from "../components/lead-sources/source-card";
import { RoleNotice } from "../components/role-notice";
import { failure, formFields, invalid, parseForm } from "../lib/forms.server";
import { canAct, currentProject, formAction, requireSession } from "../lib/session.server";

/** The address a source posts to: the public one (PUBLIC_BASE_URL), never the Host this page was asked on. */
const intakeEndpoint = (baseUrl: string, source: string, projectId: string) => {
  const url = new URL(`/webhooks/leads/${source}`, baseUrl);
  url.searchParams.set("project", projectId);
  return url.toString();
};

export async function loader({ request, context }: LoaderFunctionArgs) {
  const session = await requireSession(request, context);
  // Admin only, as the secrets' routes are: not even a hint reaches a lower role's HTML or `.data`.
  if (!canAct(session.auth, "admin")) return { hidden: true as const };
  const project = await currentProject(session);
  const [secrets, { dna }] = await Promise.all([listIntakeSecrets(project.id, session), getDna(project.id, session)]);
  const speedToLead = dna.modules.speedToLead;
  return {
    hidden: false as const,
    businessName: dna.identity.businessName,
    // Whether a test lead can ring anyone; the numbers themselves stay on the speed-to-lead page.
    canRing: Boolean(speedToLead.ownerPhone && speedToLead.trackingNumber),
    attempt: crypto.randomUUID(),
    sources: secrets.map((secret) => ({
      ...secret,
      use: leadSource(secret.source)?.secretUse ?? "",
      ownerMayChoose: leadSource(secret.source)?.ownerMayChooseSecret ?? false,
      endpoint: intakeEndpoint(session.env.PUBLIC_BASE_URL, secret.source, project.id),
    })),
  };
}

const source = z.enum(LEAD_SOURCE_IDS);
/** A new generated secret, the owner's own value, none, or a test lead through the source's intake. */
const leadSourceForm = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("rotate-secret"), source }),
  z.object({ intent: z.literal("set-secret"), source, value: z.string().trim().min(1) }),
  z.object({ intent: z.literal("revoke-secret"), source }),
  z.object({ intent: z.literal("test-lead"), source, attempt: z.uuid() }),
]);

const answered = { revealed: null, removed: false, error: null, fields: {} as Record<string, string> };

export async function action({ request, context }: ActionFunctionArgs) {
  const { session, form } = await formAction(request, context, "admin", "Your role cannot manage lead sources.");
  const input = parseForm(leadSourceForm, formFields(form));
  if (!input.ok) return invalid(input.failure, { revealed: null, removed: false });
  const asked = input.data;
  try {
    const project = await currentProject(session);
    if (asked.intent === "test-lead") {
      // On the lead's page the bridge's progress is live: the owner watches their phone being rung.
      const { leadId } = await sendTestLead(project.id, asked.source, asked.attempt, session);
      return redirect(`/leads/${leadId}`);
    }
    if (asked.intent === "revoke-secret") {
      await revokeIntakeSecret(project.id, asked.source, session);
      return { ...answered, removed: true };
    }
    const value = asked.intent === "set-secret" ? { value: asked.value } : {};
    const { source, label, secret } = await rotateIntakeSecret(project.id, asked.source, value, session);
    return { ...answered, revealed: { source, label, secret } };
  } catch (error) {
    return failure(error, { revealed: null, removed: false });
  }
}

export default function LeadSources() {
  const data = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  if (data.hidden) return <RoleNotice least="admin" what="the lead sources and their secrets" />;
  const revealed = result?.revealed ?? null;
  return (
    <>
      <p>
        Each lead source posts its leads to its own address and proves itself with its secret. Apex shows a secret once,
        when you create or rotate it, and only its last four characters after that.
      </p>
      {data.canRing ? null : (
        <p className="error" role="status">
          Test leads arrive, but nothing rings until your phone and tracking number are set in{" "}
          <Link to="/settings/speed-to-lead">Speed-to-lead</Link>.
        </p>
      )}
      <FormNotice message={result?.removed ? "Removed: that source's leads are refused now." : null} />
      <FormError message={result?.error} />
      <SecretShownOnce
        intro={`Copy your new ${revealed?.label} now: it is shown once. The previous one no longer works.`}
        secret={revealed?.secret}
        testId="new-intake-secret"
      />
      {data.sources.map((row) => (
        <SourceCard
          key={row.source}
          source={row}
          revealed={revealed?.source === row.source ? revealed.secret : null}
          businessName={data.businessName}
          attempt={data.attempt}
        />
      ))}
    </>
  );
}
