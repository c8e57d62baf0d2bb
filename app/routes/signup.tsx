import { type ActionFunctionArgs, type LoaderFunctionArgs, type MetaFunction, redirect } from "@remix-run/cloudflare";
import { Link, useActionData } from "@remix-run/react";
import { signupInput } from "../../workers/auth/inputs";
import { signup } from "../../workers/services/identity";
import { sessionCookies } from "../../workers/ui-session";
import { fieldErrors } from "../components/field-errors";
import { FormError } from "../components/form-messages";
import { PostForm } from "../components/post-form";
import { failure, formFields, parseForm } from "../lib/forms.server";
import { identityRequest, publicCsrfToken, publicFormAction } from "../lib/session.server";

export const meta: MetaFunction = () => [{ title: "Sign up · Apex" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  return { csrf: await publicCsrfToken(request, context) };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const fields = formFields(await publicFormAction(request, context));
  // One project to start with, named after the business unless the form names it.
  const input = parseForm(signupInput, { ...fields, projectName: fields.projectName || fields.tenantName });
  if (!input.ok) return input.failure;
  try {
    const tokens = await signup(input.data, identityRequest(request, context));
    // A new account starts in the welcome wizard (routes/_app.welcome.tsx); it can be skipped.
    return redirect("/welcome", { headers: sessionCookies(request, tokens) });
  } catch (error) {
    return failure(error);
  }
}

export default function Signup() {
  const result = useActionData<typeof action>();
  const errors = fieldErrors(result?.fields);
  return (
    <main>
      <h1>Apex</h1>
      <h2>Create your account</h2>
      <PostForm className="stack">
        <label>
          Your name
          <input name="name" autoComplete="name" required {...errors.aria("name")} />
          {errors.message("name")}
        </label>
        <label>
          Business name
          <input name="tenantName" autoComplete="organization" required {...errors.aria("tenantName")} />
          {errors.message("tenantName")}
        </label>
        <label>
          Email
          <input name="email" type="email" autoComplete="email" required {...errors.aria("email")} />
          {errors.message("email")}
        </label>
        <label>
          Password (12 characters or more)
          <input
            name="password"
            type="password"
            autoComplete="new-password"
            minLength={12}
            required
            {...errors.aria("password")}
          />
          {errors.message("password")}
        </label>
        <FormError message={result?.error} />
        <button type="submit">Create account</button>
      </PostForm>
      <p>
        Have an account? <Link to="/login">Log in</Link>
      </p>
    </main>
  );
}
