import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/cloudflare";
import { useActionData, useLoaderData } from "@remix-run/react";
import type { ReactNode } from "react";
import { z } from "zod";
import { invitationInput, roleSchema } from "../../workers/auth/inputs";
import { changeMemberRole, invite, members, removeMember } from "../../workers/services/members";
import { FormError, FormNotice } from "../components/form-messages";
import { PostForm } from "../components/post-form";
import { Table } from "../components/table";
import { failure, formFields, invalid, parseForm } from "../lib/forms.server";
import { canAct, formAction, requireSession } from "../lib/session.server";

const ROLES = roleSchema.options;

export async function loader({ request, context }: LoaderFunctionArgs) {
  const session = await requireSession(request, context);
  return {
    members: await members(session),
    canManage: canAct(session.auth, "admin"),
    me: session.auth.userId,
  };
}

const teamAction = z.discriminatedUnion("intent", [
  invitationInput.extend({ intent: z.literal("invite") }),
  z.object({ intent: z.literal("role"), userId: z.uuid(), role: roleSchema }),
  z.object({ intent: z.literal("remove"), userId: z.uuid() }),
]);

export async function action({ request, context }: ActionFunctionArgs) {
  const { session, form } = await formAction(request, context, "admin", "Your role cannot manage the team.");
  const input = parseForm(teamAction, formFields(form));
  if (!input.ok) return invalid(input.failure);
  const asked = input.data;
  try {
    if (asked.intent === "invite") {
      const invited = await invite({ email: asked.email, role: asked.role }, session);
      const link = new URL(`/accept-invitation?token=${encodeURIComponent(invited.token)}`, request.url).toString();
      return { message: `Invitation for ${invited.email} created. Send them this link (shown once): ${link}` };
    }
    if (asked.intent === "role") await changeMemberRole(asked.userId, asked.role, session);
    else await removeMember(asked.userId, session);
    return { message: "Saved." };
  } catch (error) {
    return failure(error);
  }
}

export default function Team() {
  const { members: team, canManage, me } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  return (
    <>
      {result && "error" in result ? <FormError message={result.error} /> : <FormNotice message={result?.message} />}
      <Table columns={canManage ? ["Name", "Email", "Role", "Change"] : ["Name", "Email", "Role"]}>
        {team.map((m) => (
          <tr key={m.userId}>
            <td>{m.name}</td>
            <td>{m.email}</td>
            <td>{m.role}</td>
            {canManage ? (
              <td>
                <PostForm className="row">
                  <input type="hidden" name="userId" value={m.userId} />
                  <RoleSelect label={<span className="skip">Role for {m.email}</span>} defaultValue={m.role} />
                  <button type="submit" name="intent" value="role" className="secondary">
                    Set role
                  </button>
                  {m.userId !== me ? (
                    <button type="submit" name="intent" value="remove" className="secondary">
                      Remove
                    </button>
                  ) : null}
                </PostForm>
              </td>
            ) : null}
          </tr>
        ))}
      </Table>
      {canManage ? (
        <>
          <h2>Invite someone</h2>
          <PostForm className="stack">
            <label>
              Email
              <input name="email" type="email" required />
            </label>
            <RoleSelect label="Role" defaultValue="member" />
            <button type="submit" name="intent" value="invite">
              Create invitation
            </button>
          </PostForm>
        </>
      ) : null}
    </>
  );
}

const RoleSelect = ({ label, defaultValue }: { label: ReactNode; defaultValue: string }) => (
  <label>
    {label}
    <select name="role" defaultValue={defaultValue}>
      {ROLES.map((r) => (
        <option key={r}>{r}</option>
      ))}
    </select>
  </label>
);
