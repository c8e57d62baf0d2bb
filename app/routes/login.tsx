import { type ActionFunctionArgs, type MetaFunction, redirect } from "@remix-run/cloudflare";
import { Form, Link, useActionData, useSearchParams } from "@remix-run/react";
import { login } from "../../workers/services/identity";
import { type AppContext, identityRequest, problemMessage, sessionCookies } from "../lib/session.server";

export const meta: MetaFunction = () => [{ title: "Log in · Apex" }];

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await request.formData();
  const next = String(form.get("next") ?? "/");
  try {
    const tokens = await login(
      { email: String(form.get("email") ?? ""), password: String(form.get("password") ?? "") },
      identityRequest(request, context as unknown as AppContext),
    );
    return redirect(next.startsWith("/") && !next.startsWith("//") ? next : "/", { headers: sessionCookies(tokens) });
  } catch (error) {
    return { error: problemMessage(error).message };
  }
}

export default function Login() {
  const result = useActionData<typeof action>();
  const [params] = useSearchParams();
  return (
    <main>
      <h1>Apex</h1>
      <h2>Log in</h2>
      <Form method="post" className="stack">
        <input type="hidden" name="next" value={params.get("next") ?? "/"} />
        <label>
          Email
          <input name="email" type="email" autoComplete="email" required />
        </label>
        <label>
          Password
          <input name="password" type="password" autoComplete="current-password" required />
        </label>
        {result?.error ? (
          <p className="error" role="alert">
            {result.error}
          </p>
        ) : null}
        <button type="submit">Log in</button>
      </Form>
      <p>
        New here? <Link to="/signup">Create an account</Link>
      </p>
    </main>
  );
}
