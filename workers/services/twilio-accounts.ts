import { withTenant } from "../../schema/tenant-transaction";
import { openSecret, sealSecret } from "../crypto/secret-box";
import { type TwilioConfig, twilioClient } from "../integrations/twilio/client";
import { findSubaccount, insertSubaccount } from "../repositories/twilio-subaccounts";
import type { ServiceContext } from "../service-context";
import { requireTwilio } from "../speed-to-lead/context";
import { HOUR_MS, onceOnly } from "./external-actions";

/**
 * Which Twilio account acts for a tenant. A tenant that has bought or
 * attached a number through Apex has its own subaccount, created by the
 * platform account: its calls, texts and costs are its own, and its webhooks
 * are signed with its own auth token (sealed at rest, bound to the tenant).
 * A tenant without one uses the platform account (numbers typed into the
 * settings, and every local test that never buys a number).
 */
type Context = Pick<ServiceContext, "env" | "db" | "actor">;

const sealContext = (tenantId: string) => `${tenantId}:twilio-subaccount`;

/** The platform account's credentials, as the client takes them. */
export function platformTwilio(env: Env): TwilioConfig {
  return {
    TWILIO_ACCOUNT_SID: env.TWILIO_ACCOUNT_SID,
    TWILIO_AUTH_TOKEN: env.TWILIO_AUTH_TOKEN,
    TWILIO_API_BASE_URL: env.TWILIO_API_BASE_URL,
  };
}

async function subaccountOf(env: Env, db: Context["db"], tenantId: string): Promise<TwilioConfig | undefined> {
  const row = await withTenant(db, tenantId, (tx) => findSubaccount(tx));
  if (!row) return undefined;
  return {
    TWILIO_ACCOUNT_SID: row.accountSid,
    TWILIO_AUTH_TOKEN: await openSecret(env.SECRETS_ENCRYPTION_KEY, row.sealedAuthToken, sealContext(tenantId)),
    TWILIO_API_BASE_URL: env.TWILIO_API_BASE_URL,
  };
}

/** The account every call, text and recording download of this tenant goes through. */
export async function tenantTwilio(context: Context): Promise<TwilioConfig> {
  return (await subaccountOf(context.env, context.db, context.actor.auth.tenantId)) ?? platformTwilio(context.env);
}

/**
 * The auth token that signs a webhook naming `accountSid`, if that account is
 * the tenant's subaccount or the platform account; anything else is no
 * account of this tenant's, and its webhook is refused.
 */
export async function webhookTokenFor(
  env: Env,
  db: Context["db"],
  tenantId: string,
  accountSid: string | undefined,
): Promise<string | undefined> {
  // The platform's own account needs no read: a subaccount never has the platform's SID.
  if (!accountSid || accountSid === env.TWILIO_ACCOUNT_SID) return env.TWILIO_AUTH_TOKEN;
  const subaccount = await subaccountOf(env, db, tenantId);
  if (subaccount && accountSid === subaccount.TWILIO_ACCOUNT_SID) return subaccount.TWILIO_AUTH_TOKEN;
  return undefined;
}

/**
 * The tenant's subaccount, created at Twilio the first time it is needed.
 * Created once per tenant, however many requests race (the tenant object's
 * action ledger); a crash between Twilio's answer and the row is healed by
 * fetching the account again, which Twilio answers its parent with its token.
 */
export async function ensureSubaccount(context: Context): Promise<TwilioConfig> {
  const { env, db, actor } = context;
  const tenantId = actor.auth.tenantId;
  const existing = await subaccountOf(env, db, tenantId);
  if (existing) return existing;
  requireTwilio(env);
  const platform = twilioClient(platformTwilio(env));
  const { result } = await onceOnly(env, tenantId, "twilio-subaccount", 24 * HOUR_MS, async () => {
    const created = await platform.api.v2010.accounts.create({ friendlyName: `Apex tenant ${tenantId}` });
    return { sid: created.sid };
  });
  const account = await platform.api.v2010.accounts(result.sid).fetch();
  if (!account.auth_token) throw new Error("Twilio answered the subaccount without its auth token");
  const sealedAuthToken = await sealSecret(env.SECRETS_ENCRYPTION_KEY, account.auth_token, sealContext(tenantId));
  await withTenant(db, tenantId, (tx) => insertSubaccount(tx, { tenantId, accountSid: account.sid, sealedAuthToken }));
  return (await subaccountOf(env, db, tenantId)) as TwilioConfig;
}
