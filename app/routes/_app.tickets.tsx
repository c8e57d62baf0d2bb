import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/cloudflare";
import { Form, useLoaderData } from "@remix-run/react";
import { cancelTicket, listTickets, retryTicket } from "../../workers/services/tasks";
import { type AppContext, canAct, formAction, problemMessage, requireSession } from "../lib/session.server";

export const meta: MetaFunction = () => [{ title: "Tasks · Apex" }];
export const handle = { channels: ["ticket:*"] };

export async function loader({ request, context }: LoaderFunctionArgs) {
  const session = await requireSession(request, context as unknown as AppContext);
  const tickets = await listTickets(undefined, session);
  return { tickets, csrf: session.csrf, canAct: canAct(session.auth, "member") };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { session, form } = await formAction(request, context, "member", "Your role cannot change tasks.");
  const id = String(form.get("id"));
  try {
    if (form.get("intent") === "retry") await retryTicket(id, session);
    else await cancelTicket(id, session);
    return { error: null };
  } catch (error) {
    return { error: problemMessage(error).message };
  }
}

export default function Tickets() {
  const { tickets, csrf, canAct: allowed } = useLoaderData<typeof loader>();
  return (
    <>
      <h1>Tasks</h1>
      {tickets.length === 0 ? (
        <p className="empty">No tasks in the last hour.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Task</th>
              <th scope="col">Status</th>
              <th scope="col">Progress</th>
              <th scope="col">Message</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
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
                    <Form method="post" className="row">
                      <input type="hidden" name="csrf" value={csrf} />
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
                    </Form>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
