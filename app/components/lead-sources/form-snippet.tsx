import { CopyButton } from "./copy-button";

/** What stands in the snippet where the token goes, until a rotation reveals it. */
export const TOKEN_PLACEHOLDER = "ROTATE-TO-REVEAL";

/** Text made safe inside HTML text and attribute values. */
const escapeHtml = (text: string) =>
  text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");

/**
 * A plain HTML form for any website, posting straight to the form source's
 * address. The SMS consent checkbox is named `sms_consent`, a name the intake
 * reads as consent to be texted (workers/intake/consent.ts); it is optional
 * and unticked, because consent may not be a condition of the inquiry.
 */
export function formSnippet({
  endpoint,
  token,
  businessName,
}: {
  endpoint: string;
  token: string | null;
  businessName: string;
}): string {
  const action = `${endpoint}&token=${token ?? TOKEN_PLACEHOLDER}`;
  const business = escapeHtml(businessName);
  return `<form method="post" action="${escapeHtml(action)}">
  <label>Name <input name="name" autocomplete="name" required></label>
  <label>Phone <input name="phone" type="tel" autocomplete="tel" required></label>
  <label>Email <input name="email" type="email" autocomplete="email"></label>
  <label>How can we help? <textarea name="message" rows="4"></textarea></label>
  <label>
    <input type="checkbox" name="sms_consent" value="yes">
    I agree that ${business} may call and text me at the number above, including by
    automated means, about my request and its services. Consent is not a condition of
    purchase. Message and data rates may apply. Reply STOP to opt out.
  </label>
  <button type="submit">Send</button>
</form>`;
}

/** The snippet, ready to copy: it carries the token only in the answer that rotated it. */
export function FormSnippet(props: { endpoint: string; token: string | null; businessName: string }) {
  const snippet = formSnippet(props);
  return (
    <div>
      <p>
        Paste this form into any page of your website. When someone sends it, Apex takes the lead in and rings your
        phone.{" "}
        {props.token
          ? "It carries your new form token: copy it now, it is not shown again."
          : `The token is shown only right after you rotate it; until then the form says ${TOKEN_PLACEHOLDER}.`}{" "}
        Anyone who reads your page can see the token: if forms arrive that no visitor sent, rotate it.
      </p>
      <pre data-testid="form-snippet">{snippet}</pre>
      <CopyButton text={snippet} what="the form" />
    </div>
  );
}
