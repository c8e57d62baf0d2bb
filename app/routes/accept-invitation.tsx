import { type ActionFunctionArgs, type MetaFunction, redirect } from "@remix-run/cloudflare";
import { Form, useActionData, useSearchParams } from "@remix-run/react";
import { acceptInvitation } from "../../workers/services/members";
import { type AppContext, identityRequest, problemMessage, sessionCookies } from "../lib/session.server";

export const meta: MetaFunction = () => [{ title: "Join · Apex" }];

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await request.formData();
  try {
    const tokens = await acceptInvitation(
      { token: String(form.get("token")), name: String(form.get("name")), password: String(form.get("password")) },
      identityRequest(request, context as unknown as AppContext),
    );
    return redirect("/", { headers: sessionCookies(tokens) });
  } catch (error) {
    return { error: problemMessage(error).message };
  }
}

export default function AcceptInvitation() {
  const [params] = useSearchParams();
  const result = useActionData<typeof action>();
  return (
    <main>
      <h1>Apex</h1>
      <h2>Join your team</h2>
      <Form method="post" className="stack">
        <input type="hidden" name="token" value={params.get("token") ?? ""} />
        <label>
          Your name
          <input name="name" autoComplete="name" required />
        </label>
        <label>
          Password (12 characters or more; your existing one if you already have an account)
          <input name="password" type="password" autoComplete="new-password" minLength={12} required />
        </label>
        {result?.error ? (
          <p className="error" role="alert">
            {result.error}
          </p>
        ) : null}
        <button type="submit">Join</button>
      </Form>
    </main>
  );
}
