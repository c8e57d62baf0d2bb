import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/cloudflare";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { LEAD_ORIGIN_IDS } from "../../workers/intake/sources";
import { listEntityPage } from "../../workers/services/entities";
import { leadSystem } from "../../workers/services/entity-system";
import { Table } from "../components/table";
import { currentProject, requireSession } from "../lib/session.server";

export const meta: MetaFunction = () => [{ title: "Leads · Apex" }];
export const handle = { channels: ["entity:lead"] };

const STATUSES = ["new", "contacted", "won", "lost"];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const session = await requireSession(request, context);
  const url = new URL(request.url);
  const status = url.searchParams.get("status") || undefined;
  const source = url.searchParams.get("source") || undefined;
  const asked = Number(url.searchParams.get("minScore") || 0);
  const minScore = Number.isInteger(asked) ? Math.min(100, Math.max(0, asked)) : 0;
  const date = /^\d{4}-\d{2}-\d{2}$/.test(url.searchParams.get("date") ?? "")
    ? (url.searchParams.get("date") as string)
    : "";
  const day = date ? new Date(`${date}T00:00:00Z`) : undefined;
  // The project chosen in the header: another project's leads are never on this page.
  const project = await currentProject(session);
  const page = await listEntityPage(
    {
      type: "lead",
      projectId: project.id,
      status: STATUSES.includes(status ?? "") ? status : undefined,
      createdAfter: day,
      createdBefore: day ? new Date(day.getTime() + 86_400_000) : undefined,
      // Filtered in the query, so a page is full and its cursor leads on to more matches.
      source,
      minScore: minScore || undefined,
      cursor: url.searchParams.get("cursor") || undefined,
      limit: 50,
    },
    session,
  );
  return {
    items: page.items.map((lead) => ({ ...lead, state: leadSystem(lead) })),
    nextCursor: page.nextCursor,
    filters: { status: status ?? "", source: source ?? "", minScore, date },
  };
}

export default function Leads() {
  const { items, nextCursor, filters } = useLoaderData<typeof loader>();
  return (
    <>
      <h1>Leads</h1>
      <Form method="get" className="row" aria-label="Filter leads">
        <label>
          Status
          <select name="status" defaultValue={filters.status}>
            <option value="">any</option>
            {STATUSES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          Source
          <select name="source" defaultValue={filters.source}>
            <option value="">any</option>
            {LEAD_ORIGIN_IDS.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          Score at least
          <input name="minScore" type="number" min={0} max={100} defaultValue={filters.minScore || ""} />
        </label>
        <label>
          Received on (UTC)
          <input name="date" type="date" defaultValue={filters.date} />
        </label>
        <button type="submit">Filter</button>
      </Form>
      {items.length === 0 ? (
        <p className="empty">No leads match. New leads appear here the moment they arrive.</p>
      ) : (
        <Table columns={["Name", "Status", "Bridge", "Source", "Score", "Received"]}>
          {items.map((lead) => {
            const bridge = lead.state.bridge?.status;
            return (
              <tr key={lead.id} data-testid="lead-row">
                <td>
                  <Link to={`/leads/${lead.id}`}>{lead.name}</Link>
                </td>
                <td>
                  <span className="pill">{lead.status ?? "—"}</span>
                </td>
                <td>
                  <span className={`pill ${bridge === "connected" ? "ok" : bridge === "missed" ? "bad" : ""}`}>
                    {bridge ?? "—"}
                  </span>
                </td>
                <td>{String(lead.data.source ?? "—")}</td>
                <td>{lead.state.score?.value ?? "—"}</td>
                <td>
                  <time dateTime={lead.createdAt}>{new Date(lead.createdAt).toISOString().slice(11, 16)} UTC</time>
                </td>
              </tr>
            );
          })}
        </Table>
      )}
      {nextCursor ? (
        <p>
          <Link to={`?cursor=${encodeURIComponent(nextCursor)}`}>Older leads</Link>
        </p>
      ) : null}
    </>
  );
}
