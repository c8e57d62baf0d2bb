import { type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction, redirect } from "@remix-run/cloudflare";
import { useActionData, useSearchParams } from "@remix-run/react";
import { acceptInvitationInput } from "../../workers/auth/inputs";
import { acceptInvitation } from "../../workers/services/members";
import { sessionCookies } from "../../workers/ui-session";
import { FormError } from "../components/form-messages";
import { PostForm } from "../components/post-form";
import { failure, formFields, parseForm } from "../lib/forms.server";
import { identityRequest, publicCsrfToken, publicFormAction } from "../lib/session.server";

export const meta: MetaFunction = () => [{ title: "Join · Apex" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  return { csrf: await publicCsrfToken(request, context) };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await publicFormAction(request, context);
  const input = parseForm(acceptInvitationInput, formFields(form));
  if (!input.ok) return input.failure;
  try {
    const tokens = await acceptInvitation(input.data, identityRequest(request, context));
    return redirect("/", { headers: sessionCookies(request, tokens) });
  } catch (error) {
    return failure(error);
  }
}

export default function AcceptInvitation() {
  const [params] = useSearchParams();
  const result = useActionData<typeof action>();
  return (
    <main>
      <h1>Apex</h1>
      <h2>Join your team</h2>
      <PostForm className="stack">
        <input type="hidden" name="token" value={params.get("token") ?? ""} />
        <label>
          Your name
          <input name="name" autoComplete="name" required />
        </label>
        <label>
          Password (12 characters or more; your existing one if you already have an account)
          <input name="password" type="password" autoComplete="new-password" minLength={12} required />
        </label>
        <FormError message={result?.error} />
        <button type="submit">Join</button>
      </PostForm>
    </main>
  );
}
