import { fieldErrors } from "../field-errors";
import { FormError } from "../form-messages";
import { PostForm } from "../post-form";

/** Step 1: the business's name and website; submitting starts the onboarding task that drafts the DNA. */
export function BusinessForm({
  businessName,
  websiteUrl,
  error,
  fields,
}: {
  businessName: string;
  websiteUrl: string;
  error?: string | null | undefined;
  fields?: Record<string, string> | undefined;
}) {
  const errors = fieldErrors(fields);
  return (
    <PostForm className="stack">
      <input type="hidden" name="intent" value="start" />
      <label>
        Business name
        <input
          name="businessName"
          defaultValue={businessName}
          required
          maxLength={200}
          autoComplete="organization"
          {...errors.aria("businessName")}
        />
        {errors.message("businessName")}
      </label>
      <label>
        Website (optional: Apex reads it to draft your services, areas and hours)
        <input
          name="websiteUrl"
          type="url"
          defaultValue={websiteUrl}
          placeholder="https://www.example.com"
          {...errors.aria("websiteUrl")}
        />
        {errors.message("websiteUrl")}
      </label>
      <FormError message={error} />
      <button type="submit">Draft my setup</button>
    </PostForm>
  );
}
