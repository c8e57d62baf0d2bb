import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/cloudflare";
import { Link, useLoaderData } from "@remix-run/react";
import { dashboard } from "../../workers/services/dashboard";
import { currentProject, requireSession } from "../lib/session.server";

export const meta: MetaFunction = () => [{ title: "Dashboard · Apex" }];
export const handle = { channels: ["entity:lead", "entity:call", "entity:page", "project:*"] };

export async function loader({ request, context }: LoaderFunctionArgs) {
  const session = await requireSession(request, context);
  // The numbers of the project chosen in the header, and only its.
  const project = await currentProject(session);
  return dashboard(session, { projectId: project.id });
}

const seconds = (value: number | null) =>
  value === null ? "—" : value < 90 ? `${value} s` : `${Math.round(value / 60)} min`;

type Speed = ReturnType<typeof useLoaderData<typeof loader>>["speedToLead"];

/** Median and p90, intake → owner dialled → customer connected, per source, for both windows side by side. */
function SpeedTable({ speed }: { speed: Speed }) {
  const windows = [
    ["24h", speed.last24Hours],
    ["30d", speed.last30Days],
  ] as const;
  const sources = Object.keys(speed.last30Days.bySource).sort();
  const rows = [["All sources", "all"] as const, ...sources.map((s) => [s, s] as const)];
  const cell = (median: number | null, p90: number | null) => `${seconds(median)} (p90 ${seconds(p90)})`;
  return (
    <table data-testid="speed-by-source">
      <caption className="skip">Speed to lead by source, last 24 hours and last 30 days</caption>
      <thead>
        <tr>
          <th scope="col">Source</th>
          <th scope="col">Leads 24 h / 30 d</th>
          <th scope="col">Dialled, 24 h</th>
          <th scope="col">Connected, 24 h</th>
          <th scope="col">Dialled, 30 d</th>
          <th scope="col">Connected, 30 d</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(([label, key]) => {
          const [day, month] = windows.map(([, w]) => (key === "all" ? w.all : w.bySource[key]));
          return (
            <tr key={label} data-source={key}>
              <th scope="row">{label}</th>
              <td>
                {day?.leads ?? 0} / {month?.leads ?? 0}
              </td>
              <td>{cell(day?.dialledMedianSeconds ?? null, day?.dialledP90Seconds ?? null)}</td>
              <td>{cell(day?.connectedMedianSeconds ?? null, day?.connectedP90Seconds ?? null)}</td>
              <td>{cell(month?.dialledMedianSeconds ?? null, month?.dialledP90Seconds ?? null)}</td>
              <td>{cell(month?.connectedMedianSeconds ?? null, month?.connectedP90Seconds ?? null)}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

export default function Dashboard() {
  const stats = useLoaderData<typeof loader>();
  const sources = Object.entries(stats.bySource).sort((a, b) => b[1] - a[1]);
  const most = Math.max(1, ...sources.map(([, n]) => n));
  const day = stats.speedToLead.last24Hours.all;
  // Pages the critic passed (ready) and WordPress drafts both wait on the owner's approval to go live.
  const seoWaiting = stats.seo ? (stats.seo.byStatus.ready ?? 0) + (stats.seo.byStatus.draft ?? 0) : 0;
  const spendShare = stats.spend?.capUsd ? Math.min(100, (stats.spend.spentUsd / stats.spend.capUsd) * 100) : 0;
  return (
    <>
      <h1>Today</h1>
      <section className="cards" aria-label="Today's numbers">
        <div className="card">
          <div className="value" data-testid="leads-today">
            {stats.leadsToday}
          </div>
          <div className="label">leads today</div>
        </div>
        <div className="card">
          <div className="value" data-testid="dialled-median-24h">
            {seconds(day.dialledMedianSeconds)}
          </div>
          <div className="label">median lead → owner dialled, last 24 h (p90 {seconds(day.dialledP90Seconds)})</div>
        </div>
        <div className="card">
          <div className="value">{seconds(day.connectedMedianSeconds)}</div>
          <div className="label">
            median lead → customer connected, last 24 h (p90 {seconds(day.connectedP90Seconds)})
          </div>
        </div>
        <div className="card">
          <div className="value">
            {stats.calls.answered} / {stats.calls.missed}
          </div>
          <div className="label">calls answered / missed</div>
        </div>
      </section>

      {stats.seo ? (
        <div className="card" data-testid="seo-card">
          <Link to="/seo">
            Local SEO: {stats.seo.pages} {stats.seo.pages === 1 ? "page" : "pages"} ·{" "}
            {stats.seo.byStatus.published ?? 0} published · {seoWaiting} waiting for approval
          </Link>
        </div>
      ) : null}

      {stats.huntAlerts.length > 0 ? (
        <section aria-labelledby="hunt-alerts">
          <h2 id="hunt-alerts">Found by the hunter</h2>
          <div className="cards">
            {stats.huntAlerts.map((alert) => (
              <div key={alert.id} className="card" data-testid="hunt-alert">
                <Link to={`/leads/${alert.id}`}>
                  New job on {alert.platform}: {alert.title}
                  {alert.place ? `, ${alert.place}` : ""}
                </Link>
              </div>
            ))}
          </div>
        </section>
      ) : null}

      <h2>Leads by source</h2>
      {sources.length === 0 ? (
        <p className="empty">
          No leads yet today. Post one to the intake webhook, or <Link to="/leads">see all leads</Link>.
        </p>
      ) : (
        <table>
          <caption className="skip">Leads by source today</caption>
          <tbody>
            {sources.map(([source, count]) => (
              <tr key={source}>
                <th scope="row">{source}</th>
                <td style={{ width: "60%" }}>
                  <div className="bar" role="img" aria-label={`${count} leads`}>
                    <span style={{ width: `${(count / most) * 100}%` }} />
                  </div>
                </td>
                <td>{count}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <h2>Speed to lead</h2>
      {stats.speedToLead.last30Days.all.leads === 0 ? (
        <p className="empty">No leads in the last 30 days.</p>
      ) : (
        <SpeedTable speed={stats.speedToLead} />
      )}

      <h2>Spend this month</h2>
      {stats.spend ? (
        <div className="card">
          <div className="value">${stats.spend.spentUsd.toFixed(2)}</div>
          <div className="label">
            {stats.spend.capUsd === null ? "no monthly cap" : `of a $${stats.spend.capUsd.toFixed(2)} cap`}
            {stats.spend.status === "paused" ? " — paused: raise the cap to resume" : ""}
          </div>
          {stats.spend.capUsd !== null ? (
            <div className="bar" role="img" aria-label={`${Math.round(spendShare)}% of the cap`}>
              <span style={{ width: `${spendShare}%` }} />
            </div>
          ) : null}
        </div>
      ) : (
        <p className="empty">No project yet.</p>
      )}
    </>
  );
}
