import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/cloudflare";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import type { Role } from "../../workers/context";
import { changeMemberRole, invite, members, removeMember } from "../../workers/services/members";
import { type AppContext, canAct, formAction, problemMessage, requireSession } from "../lib/session.server";
import { SettingsNav } from "../lib/settings-nav";

export const meta: MetaFunction = () => [{ title: "Team · Apex" }];
const ROLES: Role[] = ["owner", "admin", "member", "viewer"];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const session = await requireSession(request, context as unknown as AppContext);
  return {
    members: await members(session),
    csrf: session.csrf,
    canManage: canAct(session.auth, "admin"),
    me: session.auth.userId,
  };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { session, form } = await formAction(request, context, "admin", "Your role cannot manage the team.");
  try {
    const intent = form.get("intent");
    if (intent === "invite") {
      const invited = await invite(
        { email: String(form.get("email")), role: String(form.get("role")) as Role },
        session,
      );
      const link = new URL(`/accept-invitation?token=${encodeURIComponent(invited.token)}`, request.url).toString();
      return { message: `Invitation for ${invited.email} created. Send them this link (shown once): ${link}` };
    }
    if (intent === "role")
      await changeMemberRole(String(form.get("userId")), String(form.get("role")) as Role, session);
    if (intent === "remove") await removeMember(String(form.get("userId")), session);
    return { message: "Saved." };
  } catch (error) {
    return { error: problemMessage(error).message };
  }
}

export default function Team() {
  const { members: team, csrf, canManage, me } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  return (
    <>
      <h1>Team</h1>
      <SettingsNav />
      {result && "error" in result ? (
        <p className="error" role="alert">
          {result.error}
        </p>
      ) : result ? (
        <p role="status">{result.message}</p>
      ) : null}
      <table>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Email</th>
            <th scope="col">Role</th>
            {canManage ? <th scope="col">Change</th> : null}
          </tr>
        </thead>
        <tbody>
          {team.map((m) => (
            <tr key={m.userId}>
              <td>{m.name}</td>
              <td>{m.email}</td>
              <td>{m.role}</td>
              {canManage ? (
                <td>
                  <Form method="post" className="row">
                    <input type="hidden" name="csrf" value={csrf} />
                    <input type="hidden" name="userId" value={m.userId} />
                    <label>
                      <span className="skip">Role for {m.email}</span>
                      <select name="role" defaultValue={m.role}>
                        {ROLES.map((r) => (
                          <option key={r}>{r}</option>
                        ))}
                      </select>
                    </label>
                    <button type="submit" name="intent" value="role" className="secondary">
                      Set role
                    </button>
                    {m.userId !== me ? (
                      <button type="submit" name="intent" value="remove" className="secondary">
                        Remove
                      </button>
                    ) : null}
                  </Form>
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
      {canManage ? (
        <>
          <h2>Invite someone</h2>
          <Form method="post" className="stack">
            <input type="hidden" name="csrf" value={csrf} />
            <label>
              Email
              <input name="email" type="email" required />
            </label>
            <label>
              Role
              <select name="role" defaultValue="member">
                {ROLES.map((r) => (
                  <option key={r}>{r}</option>
                ))}
              </select>
            </label>
            <button type="submit" name="intent" value="invite">
              Create invitation
            </button>
          </Form>
        </>
      ) : null}
    </>
  );
}
