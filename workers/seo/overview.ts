import { withTenant } from "../../schema/tenant-transaction";
import { parseId } from "../auth/inputs";
import { listProjectEntitiesOfType } from "../repositories/entities";
import type { ServiceContext } from "../service-context";
import { getWordPressSite } from "./sites";

/**
 * What the pipeline has made for a project: pages by status with their
 * critic reports and WordPress records, clusters, anchors — for the pSEO
 * page, its API and the dashboard card (`manager` dashboard_stats).
 */
export async function seoOverview(projectIdInput: unknown, context: Pick<ServiceContext, "db" | "actor">) {
  const projectId = parseId(projectIdInput, "projectId");
  const [pages, clusters, anchors] = await withTenant(context.db, context.actor.auth.tenantId, (tx) =>
    Promise.all([
      listProjectEntitiesOfType(tx, projectId, "page"),
      listProjectEntitiesOfType(tx, projectId, "keyword"),
      listProjectEntitiesOfType(tx, projectId, "anchor"),
    ]),
  );
  const seo = (system: unknown) => ((system ?? {}) as { seo?: Record<string, unknown> }).seo ?? {};
  return {
    projectId,
    wordpress: await getWordPressSite(projectId, context),
    pages: pages
      .filter((row) => typeof (row.data as { slug?: unknown })?.slug === "string")
      .map((row) => {
        const data = row.data as Record<string, unknown>;
        const record = seo(row.system);
        return {
          id: row.id,
          slug: String(data.slug),
          title: row.name,
          status: row.status,
          version: row.version,
          service: data.service ?? null,
          place: data.place ?? null,
          critic: record.critic ?? null,
          revisions: record.revisions ?? 0,
          links: (data.links ?? []) as unknown[],
          wordpress: record.wordpress ?? null,
          map: record.media ?? null,
          analytics: record.analytics ?? null,
          proposal: record.proposal ?? null,
        };
      }),
    clusters: clusters.filter((row) => (row.data as { seo?: unknown })?.seo === "cluster").length,
    anchors: anchors.filter((row) => typeof (row.data as { osmId?: unknown })?.osmId === "string").length,
  };
}

export async function seoStats(projectId: string, context: Pick<ServiceContext, "db" | "actor">) {
  const overview = await seoOverview(projectId, context);
  const byStatus: Record<string, number> = {};
  for (const page of overview.pages) byStatus[page.status ?? "unknown"] = (byStatus[page.status ?? "unknown"] ?? 0) + 1;
  return { projectId, pages: overview.pages.length, byStatus, clusters: overview.clusters, anchors: overview.anchors };
}
