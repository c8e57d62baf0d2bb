import type { ReactNode } from "react";
import type { LeadSourceId } from "../../../workers/intake/sources";
import { FormSnippet, TOKEN_PLACEHOLDER } from "./form-snippet";

/** What a source's setup needs: its address, the secret when it was just revealed, the business's name. */
export interface SetupProps {
  endpoint: string;
  secret: string | null;
  businessName: string;
}

const Code = ({ children }: { children: ReactNode }) => <code style={{ wordBreak: "break-all" }}>{children}</code>;

function WordPressSetup({ endpoint, secret }: SetupProps) {
  const withSecret = `${endpoint}&secret=${secret ?? TOKEN_PLACEHOLDER}`;
  return (
    <>
      <p>
        Your form plugin sends each entry to Apex. The secret goes in the <Code>X-Apex-Secret</Code> header or, where
        the plugin cannot set headers, at the end of the address: <Code>{withSecret}</Code>
        {secret ? null : ` (the secret is shown once, when you rotate it)`}.
      </p>
      <h4>Contact Form 7</h4>
      <ol>
        <li>Install a webhook plugin for Contact Form 7 (for example “CF7 to Webhook”).</li>
        <li>
          In the form, keep the fields <Code>your-name</Code>, <Code>your-email</Code>, <Code>your-message</Code>, add{" "}
          <Code>[tel* your-phone]</Code>, and for texts{" "}
          <Code>[acceptance sms_consent optional] I agree to calls and texts… [/acceptance]</Code>.
        </li>
        <li>In the form's webhook tab, turn sending on and paste the address above, with its secret.</li>
      </ol>
      <h4>WPForms (Webhooks addon)</h4>
      <ol>
        <li>
          In the form's Settings → Webhooks, enable webhooks and add one: Request URL <Code>{endpoint}</Code>, method
          POST, format JSON.
        </li>
        <li>
          Request headers: <Code>X-Apex-Secret</Code> = your WordPress secret.
        </li>
        <li>
          Request body: <Code>name</Code>, <Code>phone</Code>, <Code>email</Code>, <Code>message</Code> and{" "}
          <Code>sms_consent</Code>, each mapped to its form field.
        </li>
      </ol>
    </>
  );
}

function GoogleAdsSetup({ endpoint, secret }: SetupProps) {
  return (
    <ol>
      <li>
        In Google Ads, open the lead form (Assets → Lead forms) and find “Webhook integration” under lead delivery.
      </li>
      <li>
        Webhook URL: <Code>{endpoint}</Code>
      </li>
      <li>
        Key: {secret ? <Code>{secret}</Code> : "your Google Ads key (shown once, when you rotate it or set your own)"}.
      </li>
      <li>
        “Send test data” checks the address and key: Apex stores Google's test lead and rings no one. To hear your phone
        ring, use Send test lead below.
      </li>
    </ol>
  );
}

/** How each source is set up, keyed by every source id: a new source does not compile until it says how. */
export const SOURCE_SETUP: Record<LeadSourceId, { title: string; Setup: (props: SetupProps) => ReactNode }> = {
  form: {
    title: "Web form",
    Setup: ({ endpoint, secret, businessName }) => (
      <FormSnippet endpoint={endpoint} token={secret} businessName={businessName} />
    ),
  },
  wordpress: { title: "WordPress", Setup: WordPressSetup },
  "google-ads": { title: "Google Ads", Setup: GoogleAdsSetup },
};
