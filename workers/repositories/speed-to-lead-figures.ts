import { sql } from "drizzle-orm";
import type { Transaction } from "../../schema/tenant-transaction";

/** The windows the dashboard reports: the last 24 hours and the last 30 days, both ending now. */
export type SpeedWindow = "24h" | "30d";

export interface SpeedFigureRow {
  span: SpeedWindow;
  /** The lead source (`data.source`, "manual" when none); null on the row that sums every source. */
  source: string | null;
  leads: number;
  dialled: number;
  connected: number;
  dialledMedianSeconds: number | null;
  dialledP90Seconds: number | null;
  connectedMedianSeconds: number | null;
  connectedP90Seconds: number | null;
}

const HOUR_MS = 3_600_000;
/** Apex writes these as `toISOString()`; anything else is skipped rather than failing the page on a cast. */
const ISO = "^[0-9]{4}-[0-9]{2}-[0-9]{2}T";

/**
 * Speed-to-lead per source over 24 h and 30 d, aggregated in Postgres so a
 * month of leads is one query, not pages of entities.
 *
 * A lead's clock starts at its first intake (`system.receivedAt`, else when the
 * row was made). It stops at the first Twilio status of any of its bridge calls
 * (`initiated`, else `ringing`: the owner's phone was dialled) and at the first
 * `connecting-customer` (the owner pressed 1). The earliest across calls, so
 * later rungs and "call now" retries do not count again. Leads are windowed by
 * `created_at`, which the (tenant, type, created_at) index serves; receivedAt
 * is written just before the row, so the two never fall in different windows
 * by more than a transaction. Undialled leads count in `leads` and in no
 * percentile (percentile_cont ignores nulls).
 */
export async function speedToLeadFigures(
  tx: Transaction,
  { projectId, now }: { projectId?: string | undefined; now: Date },
): Promise<SpeedFigureRow[]> {
  const until = now.toISOString();
  const since30d = new Date(now.getTime() - 30 * 24 * HOUR_MS).toISOString();
  const since24h = new Date(now.getTime() - 24 * HOUR_MS).toISOString();
  const leadProject = projectId ? sql`and l.project_id = ${projectId}` : sql``;
  const callProject = projectId ? sql`and c.project_id = ${projectId}` : sql``;
  const result = await tx.execute(sql`
    with lead as (
      select l.id::text as id,
             coalesce(l.data->>'source', 'manual') as source,
             coalesce(
               case when l.system->>'receivedAt' ~ ${ISO} then (l.system->>'receivedAt')::timestamptz end,
               l.created_at
             ) as intake,
             l.created_at > ${since24h}::timestamptz as recent
        from entities l
       where l.type = 'lead' and l.deleted_at is null
         and l.created_at > ${since30d}::timestamptz and l.created_at <= ${until}::timestamptz
         ${leadProject}
    ),
    step as (
      select c.system->>'leadId' as lead_id, s->>'status' as status, (s->>'at')::timestamptz as at
        from entities c
             cross join lateral jsonb_array_elements(
               case when jsonb_typeof(c.system->'timeline') = 'array' then c.system->'timeline' else '[]'::jsonb end
             ) s
       where c.type = 'call' and c.deleted_at is null and c.system->>'kind' = 'bridge'
         and c.created_at > ${since30d}::timestamptz
         and s->>'status' in ('initiated', 'ringing', 'connecting-customer')
         and s->>'at' ~ ${ISO}
         ${callProject}
    ),
    per_lead as (
      select lead.source, lead.recent,
             extract(epoch from min(step.at) filter (where step.status in ('initiated', 'ringing')) - lead.intake)::float8
               as to_dial,
             extract(epoch from min(step.at) filter (where step.status = 'connecting-customer') - lead.intake)::float8
               as to_connect
        from lead left join step on step.lead_id = lead.id
       group by lead.id, lead.source, lead.recent, lead.intake
    ),
    spanned as (
      select span, per_lead.*
        from per_lead cross join (values ('24h'), ('30d')) as w(span)
       where span = '30d' or recent
    )
    select span,
           case when grouping(source) = 1 then null else source end as source,
           count(*)::int as leads,
           count(to_dial)::int as dialled,
           count(to_connect)::int as connected,
           percentile_cont(0.5) within group (order by to_dial) as dialled_median,
           percentile_cont(0.9) within group (order by to_dial) as dialled_p90,
           percentile_cont(0.5) within group (order by to_connect) as connected_median,
           percentile_cont(0.9) within group (order by to_connect) as connected_p90
      from spanned
     group by grouping sets ((span, source), (span))
     order by span, source nulls first
  `);
  const number = (value: unknown) => (value === null || value === undefined ? null : Number(value));
  return (result.rows as Record<string, unknown>[]).map((row) => ({
    span: row.span as SpeedWindow,
    source: (row.source as string | null) ?? null,
    leads: Number(row.leads),
    dialled: Number(row.dialled),
    connected: Number(row.connected),
    dialledMedianSeconds: number(row.dialled_median),
    dialledP90Seconds: number(row.dialled_p90),
    connectedMedianSeconds: number(row.connected_median),
    connectedP90Seconds: number(row.connected_p90),
  }));
}
