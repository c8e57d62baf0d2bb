import { parsePhoneNumberFromString } from "libphonenumber-js";
import { VoiceResponse } from "../integrations/twilio/twiml";
import type { ServiceContext } from "../service-context";
import { getEntity } from "../services/entities";
import { HOUR_MS, onceOnly } from "../services/external-actions";
import { allPartyConsentAreaCodes } from "./all-party-consent-area-codes";
import { appendTimeline } from "./call-state";
import { projectVoice, webhookUrl } from "./context";
import type { SpeedToLeadSettings } from "./settings";

/**
 * The recording disclosure on the bridge's customer leg. The owner hears it
 * before <Dial>; the customer hears it through <Number url>: Twilio fetches
 * that URL once the customer answers and plays its TwiML to them alone,
 * while the owner keeps hearing ringing, and connects the two only when it
 * ends (https://www.twilio.com/docs/voice/twiml/number#attributes-url).
 */

/**
 * Whether `customer` hears the disclosure. "by-region" plays it wherever
 * every party may have to consent to a recording: outside the US and Canada,
 * and in the US states of all-party-consent-area-codes.ts. It can only go by
 * the number's area code (a mobile keeps its number wherever it moves), and
 * anything it cannot place (an unknown area code, another NANP country)
 * hears it.
 */
export function customerHearsDisclosure(setting: SpeedToLeadSettings["customerDisclosure"], customer: string): boolean {
  if (setting === "always") return true;
  if (!customer.startsWith("+1")) return true;
  if (allPartyConsentAreaCodes.has(customer.slice(2, 5))) return true;
  const country = parsePhoneNumberFromString(customer)?.country;
  return country !== "US" && country !== "CA";
}

/** What the customer hears before the bridge: the disclosure, nothing else (the bridge follows its end). */
export function customerDisclosureTwiml(disclosure: string): string {
  const twiml = new VoiceResponse();
  if (disclosure.trim()) twiml.say(disclosure);
  return twiml.toString();
}

/**
 * The <Number url> for the connect step's `dial.number({ url }, customer)`,
 * or undefined when this customer does not hear the disclosure (or there is
 * none to say). `query` is the connect step's own: tenant and call.
 */
export function customerDisclosureUrl(
  env: Env,
  query: { tenant: string; call: string },
  settings: Pick<SpeedToLeadSettings, "disclosure" | "customerDisclosure">,
  customer: string,
): string | undefined {
  if (!settings.disclosure.trim() || !customerHearsDisclosure(settings.customerDisclosure, customer)) return undefined;
  return webhookUrl(env, "customer-disclosure", query);
}

/**
 * Twilio fetches the customer leg's TwiML. The words come from the call's
 * project settings, never from the request; the call's timeline notes once
 * per customer leg (Twilio retries) that the disclosure was played to them. A
 * disclosure emptied since the connect step says nothing and notes nothing.
 */
export async function customerDisclosure(
  callId: string,
  params: Record<string, string>,
  context: Pick<ServiceContext, "env" | "db" | "actor">,
): Promise<string> {
  const call = await getEntity(callId, context);
  const { settings } = await projectVoice(call.projectId, context);
  const leg = params.CallSid ?? "unknown";
  if (!settings.disclosure.trim()) return customerDisclosureTwiml("");
  await onceOnly(context.env, context.actor.auth.tenantId, `twilio-disclosure:${leg}`, 72 * HOUR_MS, async () => {
    await appendTimeline(
      callId,
      { status: "customer-heard-disclosure", disclosure: settings.disclosure, customerCallSid: leg },
      context,
    );
    return { leg };
  });
  return customerDisclosureTwiml(settings.disclosure);
}
