import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/cloudflare";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { setSpendCap, usageReport } from "../../workers/services/usage";
import { monthOf } from "../../workers/usage/prices";
import {
  type AppContext,
  canAct,
  currentProject,
  formAction,
  problemMessage,
  requireSession,
} from "../lib/session.server";
import { SettingsNav } from "../lib/settings-nav";

export const meta: MetaFunction = () => [{ title: "Usage · Apex" }];
export const handle = { channels: ["project:*"] };

export async function loader({ request, context }: LoaderFunctionArgs) {
  const session = await requireSession(request, context as unknown as AppContext);
  const project = await currentProject(session);
  return {
    report: await usageReport(project.id, monthOf(Date.now()), session),
    csrf: session.csrf,
    canManage: canAct(session.auth, "owner"),
  };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const { session, form } = await formAction(request, context, "owner", "Only owners set the spend cap.");
  const project = await currentProject(session);
  const raw = String(form.get("cap") ?? "").trim();
  const cap = raw === "" ? null : Number(raw);
  if (cap !== null && (!Number.isFinite(cap) || cap < 0))
    return { error: "The cap is a number of dollars, or empty for none." };
  try {
    await setSpendCap(project.id, cap, { ...session, env: session.env });
    return { error: null };
  } catch (error) {
    return { error: problemMessage(error).message };
  }
}

export default function Usage() {
  const { report, csrf, canManage } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  return (
    <>
      <h1>Usage — {report.month}</h1>
      <SettingsNav />
      <p>
        ${report.spentUsd.toFixed(2)} spent{" "}
        {report.capUsd === null ? "(no cap)" : `of a $${report.capUsd.toFixed(2)} cap`} ·{" "}
        <span className={`pill ${report.status === "paused" ? "bad" : "ok"}`}>{report.status}</span>
      </p>
      {report.resources.length === 0 ? (
        <p className="empty">Nothing used this month.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Resource</th>
              <th scope="col">Quantity</th>
              <th scope="col">Uses</th>
              <th scope="col">Cost</th>
            </tr>
          </thead>
          <tbody>
            {report.resources.map((r) => (
              <tr key={r.resource}>
                <td>{r.resource}</td>
                <td>
                  {r.quantity} {r.unit}
                </td>
                <td>{r.uses}</td>
                <td>${r.costUsd.toFixed(4)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {canManage ? (
        <Form method="post" className="stack">
          <input type="hidden" name="csrf" value={csrf} />
          <label>
            Monthly cap in dollars (empty: no cap)
            <input name="cap" type="number" min={0} step="0.01" defaultValue={report.capUsd ?? ""} />
          </label>
          {result?.error ? (
            <p className="error" role="alert">
              {result.error}
            </p>
          ) : null}
          <button type="submit">Save cap</button>
        </Form>
      ) : null}
    </>
  );
}
