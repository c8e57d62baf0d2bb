import { type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction, redirect } from "@remix-run/cloudflare";
import { Link, useActionData, useSearchParams } from "@remix-run/react";
import { loginInput } from "../../workers/auth/inputs";
import { login } from "../../workers/services/identity";
import { sessionCookies } from "../../workers/ui-session";
import { FormError } from "../components/form-messages";
import { PostForm } from "../components/post-form";
import { failure, formFields, parseForm } from "../lib/forms.server";
import { sameOriginPath } from "../lib/safe-redirect";
import { identityRequest, publicCsrfToken, publicFormAction } from "../lib/session.server";

export const meta: MetaFunction = () => [{ title: "Log in · Apex" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  return { csrf: await publicCsrfToken(request, context) };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await publicFormAction(request, context);
  const input = parseForm(loginInput.pick({ email: true, password: true }), formFields(form));
  if (!input.ok) return input.failure;
  try {
    const tokens = await login(input.data, identityRequest(request, context));
    return redirect(sameOriginPath(form.get("next"), request.url), { headers: sessionCookies(request, tokens) });
  } catch (error) {
    return failure(error);
  }
}

export default function Login() {
  const result = useActionData<typeof action>();
  const [params] = useSearchParams();
  return (
    <main>
      <h1>Apex</h1>
      <h2>Log in</h2>
      <PostForm className="stack">
        <input type="hidden" name="next" value={params.get("next") ?? "/"} />
        <label>
          Email
          <input name="email" type="email" autoComplete="email" required />
        </label>
        <label>
          Password
          <input name="password" type="password" autoComplete="current-password" required />
        </label>
        <FormError message={result?.error} />
        <button type="submit">Log in</button>
      </PostForm>
      <p>
        New here? <Link to="/signup">Create an account</Link>
      </p>
    </main>
  );
}
