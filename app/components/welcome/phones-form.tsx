import { Link } from "@remix-run/react";
import { fieldErrors } from "../field-errors";
import { FormError } from "../form-messages";
import { PostForm } from "../post-form";

/**
 * Step 3: who the bridge rings — the owner's cell first, then the backups —
 * saved through the speed-to-lead settings. Where leads come from and the
 * number customers call are their own settings pages, linked from here.
 */
export function PhonesForm({
  ownerPhone,
  backupPhones,
  websitePhone,
  version,
  error,
  fields,
}: {
  ownerPhone: string;
  backupPhones: string[];
  /** The number the draft found on the website, offered when no owner phone is set yet. */
  websitePhone: string | null;
  version: number;
  error?: string | null | undefined;
  fields?: Record<string, string> | undefined;
}) {
  const errors = fieldErrors(fields);
  return (
    <>
      <PostForm className="stack">
        <input type="hidden" name="intent" value="phones" />
        <input type="hidden" name="version" value={version} />
        <label>
          Your cell phone (a new lead rings it first)
          <input
            name="ownerPhone"
            type="tel"
            defaultValue={ownerPhone || websitePhone || ""}
            placeholder="+15551234567"
            autoComplete="tel"
            {...errors.aria("ownerPhone")}
          />
          {errors.message("ownerPhone")}
        </label>
        {!ownerPhone && websitePhone ? (
          <p data-testid="website-phone">
            Filled in from your website ({websitePhone}); change it if it is not your cell.
          </p>
        ) : null}
        <label>
          Backup phones, rung in turn when you miss a lead (one per line, optional)
          <textarea
            name="backupPhones"
            rows={3}
            style={{ minHeight: "5rem" }}
            defaultValue={backupPhones.join("\n")}
            {...errors.aria("backupPhones")}
          />
          {errors.message("backupPhones")}
        </label>
        <FormError message={error} />
        <button type="submit">Save and finish</button>
      </PostForm>
      <h2>Next</h2>
      <ul>
        <li>
          <Link to="/settings/lead-sources">Settings → Lead sources</Link>: connect your website form, WordPress or
          Google Ads so leads arrive here.
        </li>
        <li>
          <Link to="/settings/phone-numbers">Settings → Phone numbers</Link>: the number customers call, forwarded to
          you and recorded.
        </li>
      </ul>
      <p>
        <Link to="/">Skip for now and go to the dashboard</Link>
      </p>
    </>
  );
}
