import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/cloudflare";
import { useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { cancelTicket, listTickets, retryTicket } from "../../workers/services/tasks";
import { PostForm } from "../components/post-form";
import { Table } from "../components/table";
import { failure, formFields, invalid, parseForm } from "../lib/forms.server";
import { canAct, formAction, requireSession } from "../lib/session.server";

export const meta: MetaFunction = () => [{ title: "Tasks · Apex" }];
export const handle = { channels: ["ticket:*"] };

export async function loader({ request, context }: LoaderFunctionArgs) {
  const session = await requireSession(request, context);
  const tickets = await listTickets(undefined, session);
  return { tickets, canAct: canAct(session.auth, "member") };
}

const ticketAction = z.object({ intent: z.enum(["retry", "cancel"]), id: z.uuid() });

export async function action({ request, context }: ActionFunctionArgs) {
  const { session, form } = await formAction(request, context, "member", "Your role cannot change tasks.");
  const input = parseForm(ticketAction, formFields(form));
  if (!input.ok) return invalid(input.failure);
  try {
    if (input.data.intent === "retry") await retryTicket(input.data.id, session);
    else await cancelTicket(input.data.id, session);
    return { error: null };
  } catch (error) {
    return failure(error);
  }
}

export default function Tickets() {
  const { tickets, canAct: allowed } = useLoaderData<typeof loader>();
  return (
    <>
      <h1>Tasks</h1>
      {tickets.length === 0 ? (
        <p className="empty">No tasks in the last hour.</p>
      ) : (
        <Table columns={["Task", "Status", "Progress", "Message", "Actions"]}>
          {tickets.map((t) => (
            <tr key={t.id}>
              <td>{t.task}</td>
              <td>
                <span className={`pill ${t.status === "completed" ? "ok" : t.status === "failed" ? "bad" : ""}`}>
                  {t.status}
                </span>
              </td>
              <td>
                <div
                  className="bar"
                  role="progressbar"
                  aria-valuenow={t.progress}
                  aria-valuemin={0}
                  aria-valuemax={100}
                >
                  <span style={{ width: `${t.progress}%` }} />
                </div>
              </td>
              <td>{t.error ?? t.message}</td>
              <td>
                {allowed && (t.status === "failed" || t.status === "queued" || t.status === "processing") ? (
                  <PostForm className="row">
                    <input type="hidden" name="id" value={t.id} />
                    {t.status === "failed" ? (
                      <button type="submit" name="intent" value="retry">
                        Retry
                      </button>
                    ) : (
                      <button type="submit" name="intent" value="cancel" className="secondary">
                        Cancel
                      </button>
                    )}
                  </PostForm>
                ) : null}
              </td>
            </tr>
          ))}
        </Table>
      )}
    </>
  );
}
