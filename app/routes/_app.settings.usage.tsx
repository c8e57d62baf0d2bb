import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/cloudflare";
import { useActionData, useLoaderData } from "@remix-run/react";
import { z } from "zod";
import { setSpendCap, usageReport } from "../../workers/services/usage";
import { monthOf } from "../../workers/usage/prices";
import { FormError } from "../components/form-messages";
import { PostForm } from "../components/post-form";
import { Table } from "../components/table";
import { failure, formFields, invalid, parseForm } from "../lib/forms.server";
import { canAct, currentProject, formAction, requireSession } from "../lib/session.server";
import type { SettingsHandle } from "../lib/settings-nav";

export async function loader({ request, context }: LoaderFunctionArgs) {
  const session = await requireSession(request, context);
  const project = await currentProject(session);
  return {
    report: await usageReport(project.id, monthOf(Date.now()), session),
    canManage: canAct(session.auth, "owner"),
  };
}

export const handle: SettingsHandle<typeof loader> = {
  heading: ({ report }) => `Usage — ${report.month}`,
  channels: ["project:*"],
};

// Dollars, or empty for no cap (the API's `monthlyCapUsd: null`).
const capForm = z.object({
  cap: z
    .string()
    .trim()
    .transform((raw) => (raw === "" ? null : Number(raw)))
    .pipe(z.number().min(0).max(1_000_000).nullable()),
});

export async function action({ request, context }: ActionFunctionArgs) {
  const { session, form } = await formAction(request, context, "owner", "Only owners set the spend cap.");
  const input = parseForm(capForm, formFields(form));
  if (!input.ok) return invalid({ ...input.failure, error: "The cap is a number of dollars, or empty for none." });
  const project = await currentProject(session);
  try {
    await setSpendCap(project.id, input.data.cap, session);
    return { error: null };
  } catch (error) {
    return failure(error);
  }
}

export default function Usage() {
  const { report, canManage } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  return (
    <>
      <p>
        ${report.spentUsd.toFixed(2)} spent{" "}
        {report.capUsd === null ? "(no cap)" : `of a $${report.capUsd.toFixed(2)} cap`} ·{" "}
        <span className={`pill ${report.status === "paused" ? "bad" : "ok"}`}>{report.status}</span>
      </p>
      {report.resources.length === 0 ? (
        <p className="empty">Nothing used this month.</p>
      ) : (
        <Table columns={["Resource", "Quantity", "Uses", "Cost"]}>
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
        </Table>
      )}
      {canManage ? (
        <PostForm className="stack">
          <label>
            Monthly cap in dollars (empty: no cap)
            <input name="cap" type="number" min={0} step="0.01" defaultValue={report.capUsd ?? ""} />
          </label>
          <FormError message={result?.error} />
          <button type="submit">Save cap</button>
        </PostForm>
      ) : null}
    </>
  );
}
