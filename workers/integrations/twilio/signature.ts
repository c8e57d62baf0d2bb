import { validateRequest } from "twilio/lib/webhooks/webhooks";

/**
 * X-Twilio-Signature over the public URL Twilio was given (PUBLIC_BASE_URL,
 * never the Host header, which a proxy or an attacker can change) and the
 * form parameters. The twilio library's own validator, imported alone: the
 * module needs only Node's crypto and url, not the rest of the library.
 */
export function validTwilioSignature(
  authToken: string | undefined,
  signature: string | undefined,
  publicUrl: string,
  params: Record<string, string>,
): boolean {
  if (!signature || !authToken) return false;
  return validateRequest(authToken, signature, publicUrl, params);
}
