import { type ActionFunctionArgs, type MetaFunction, redirect } from "@remix-run/cloudflare";
import { Form, Link, useActionData } from "@remix-run/react";
import { z } from "zod";
import { signup } from "../../workers/services/identity";
import { type AppContext, identityRequest, problemMessage, sessionCookies } from "../lib/session.server";

export const meta: MetaFunction = () => [{ title: "Sign up · Apex" }];

const input = z.object({
  name: z.string().min(1).max(200),
  email: z.email(),
  password: z.string().min(12, "at least 12 characters").max(200),
  tenantName: z.string().min(1).max(200),
  projectName: z.string().min(1).max(200),
});

export async function action({ request, context }: ActionFunctionArgs) {
  const form = Object.fromEntries(await request.formData());
  const parsed = input.safeParse({ ...form, projectName: form.projectName || form.tenantName });
  if (!parsed.success) {
    return {
      error: "Check the highlighted fields.",
      fields: Object.fromEntries(parsed.error.issues.map((i) => [String(i.path[0]), i.message])),
    };
  }
  try {
    const tokens = await signup(parsed.data, identityRequest(request, context as unknown as AppContext));
    return redirect("/", { headers: sessionCookies(tokens) });
  } catch (error) {
    const problem = problemMessage(error);
    return { error: problem.message, fields: problem.fields };
  }
}

export default function Signup() {
  const result = useActionData<typeof action>();
  const field = (name: string) => result?.fields?.[name];
  const described = (name: string) =>
    field(name) ? { "aria-invalid": true, "aria-describedby": `${name}-error` } : {};
  const error = (name: string) =>
    field(name) ? (
      <span id={`${name}-error`} className="error">
        {field(name)}
      </span>
    ) : null;
  return (
    <main>
      <h1>Apex</h1>
      <h2>Create your account</h2>
      <Form method="post" className="stack">
        <label>
          Your name
          <input name="name" autoComplete="name" required {...described("name")} />
          {error("name")}
        </label>
        <label>
          Business name
          <input name="tenantName" autoComplete="organization" required {...described("tenantName")} />
          {error("tenantName")}
        </label>
        <label>
          Email
          <input name="email" type="email" autoComplete="email" required {...described("email")} />
          {error("email")}
        </label>
        <label>
          Password (12 characters or more)
          <input
            name="password"
            type="password"
            autoComplete="new-password"
            minLength={12}
            required
            {...described("password")}
          />
          {error("password")}
        </label>
        {result?.error ? (
          <p className="error" role="alert">
            {result.error}
          </p>
        ) : null}
        <button type="submit">Create account</button>
      </Form>
      <p>
        Have an account? <Link to="/login">Log in</Link>
      </p>
    </main>
  );
}
