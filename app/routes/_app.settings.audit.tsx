import type { LoaderFunctionArgs } from "@remix-run/cloudflare";
import { Link, useLoaderData } from "@remix-run/react";
import { auditPage } from "../../workers/services/audit";
import { Table } from "../components/table";
import { canAct, requireSession } from "../lib/session.server";

export async function loader({ request, context }: LoaderFunctionArgs) {
  const session = await requireSession(request, context);
  if (!canAct(session.auth, "admin")) return { items: [], nextCursor: null, allowed: false };
  const cursor = new URL(request.url).searchParams.get("cursor") || undefined;
  const page = await auditPage({ limit: 50, cursor }, session);
  return { items: page.items, nextCursor: page.nextCursor, allowed: true };
}

export default function Audit() {
  const { items, nextCursor, allowed } = useLoaderData<typeof loader>();
  return (
    <>
      {!allowed ? <p className="empty">Only admins and owners read the audit log.</p> : null}
      {allowed && items.length === 0 ? <p className="empty">Nothing recorded yet.</p> : null}
      {items.length > 0 ? (
        <Table columns={["When", "Action", "Who", "Verified by"]}>
          {items.map((e) => (
            <tr key={e.id}>
              <td>
                <time dateTime={e.createdAt}>{e.createdAt.replace("T", " ").slice(0, 19)}</time>
              </td>
              <td>{e.action}</td>
              <td>{e.actorType}</td>
              <td>
                {e.verification.method}
                {e.verification.kid ? ` (${e.verification.kid})` : ""}
              </td>
            </tr>
          ))}
        </Table>
      ) : null}
      {nextCursor ? (
        <p>
          <Link to={`?cursor=${nextCursor}`}>Older entries</Link>
        </p>
      ) : null}
    </>
  );
}
