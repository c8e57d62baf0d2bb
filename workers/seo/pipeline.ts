import { z } from "zod";
import { withTenant } from "../../schema/tenant-transaction";
import { sha256Hex } from "../auth/encoding";
import type { Dna } from "../dna/schema";
import { generateStructured } from "../llm/gateway";
import { OutboundStatusError } from "../outbound/fetch";
import { Problem, problems } from "../problems";
import { type EntityRow, listProjectEntitiesOfType } from "../repositories/entities";
import type { ServiceContext } from "../service-context";
import { getDna } from "../services/dna";
import { createEntity, reviseEntity } from "../services/entities";
import { spendGate } from "../services/spend-gate";
import { objectKeys } from "../storage/object-keys";
import { type PagePerformance, pageKey, pagePerformance, rewriteProposal } from "./analytics";
import { reviewPage } from "./critic";
import { linksSection, planLinks } from "./librarian";
import { renderAnchorMap } from "./media";
import { findAnchors } from "./scout";
import type { LocalSeoSettings } from "./settings";
import { openSearchConsole, openWordPressSite } from "./sites";
import { planClusters } from "./strategist";
import type { PageDraft, SeoAnchor, SeoCluster } from "./types";
import { WordPressProblem, wordpressClient } from "./wordpress";

/**
 * The pSEO pipeline of one project: scout → strategist → writer → critic →
 * librarian → media → publisher → analytics. Every stage keeps its output as
 * entities (`anchor`, `keyword` for a cluster, `page`, with versions), and
 * every stage does only what is not done yet for the inputs it has now — so
 * a run that failed or was cancelled resumes at the stage that failed, a
 * re-run redoes only what the DNA changed, and a page is never published
 * twice (its WordPress id and content hash are Apex's record on the page).
 */
export const STAGES = [
  "scout_anchors",
  "strategist_run",
  "write_pages",
  "critic_review",
  "librarian_link",
  "enhance_media",
  "publish",
  "analytics_audit",
] as const;
export type Stage = (typeof STAGES)[number];

export type PipelineContext = Pick<ServiceContext, "env" | "db" | "actor" | "publish" | "log"> & {
  runKey: string;
  /** Each stage's own ticket: opened when it starts, closed with its result or its error. */
  stage<T>(name: Stage, work: (tools: StageTools) => Promise<T>): Promise<T>;
};

/** What a stage reports with: its progress, and a child ticket per page where it works page by page. */
export interface StageTools {
  progress(percent: number, message: string): Promise<void>;
  page<T>(slug: string, work: () => Promise<T>): Promise<T>;
}

/** Tools that report nowhere (a stage run outside a ticket). */
export const quietTools: StageTools = { progress: async () => undefined, page: (_slug, work) => work() };

/** Bumped when the writer's output for the same inputs would change: every page is rewritten once. */
const WRITER_VERSION = "rules-1";

/** Page statuses, Apex's own: the critic's verdict, then WordPress. */
export type PageStatus = "written" | "needs-review" | "ready" | "draft" | "approved" | "published";
const PUBLISHABLE: ReadonlySet<string> = new Set(["ready", "draft", "approved", "published"]);

const pageDraftSchema = z.object({
  slug: z.string().min(1).max(100),
  title: z.string().min(1).max(70),
  metaDescription: z.string().min(1).max(170),
  html: z.string().min(1).max(60_000),
  jsonLd: z.array(z.record(z.string(), z.unknown())).min(1).max(5),
});

interface Loaded {
  dna: Dna;
  settings: LocalSeoSettings;
}

async function load(projectId: string, context: PipelineContext): Promise<Loaded> {
  const { dna } = await getDna(projectId, context);
  return { dna, settings: dna.modules.localSeo };
}

const list = (projectId: string, type: string, context: PipelineContext) =>
  withTenant(context.db, context.actor.auth.tenantId, (tx) => listProjectEntitiesOfType(tx, projectId, type));

const dataOf = (row: EntityRow) => (row.data ?? {}) as Record<string, unknown>;
const systemOf = (row: EntityRow) => (row.system ?? {}) as Record<string, unknown>;
const seoOf = (row: EntityRow) => (systemOf(row).seo ?? {}) as Record<string, unknown>;

async function anchorsOf(projectId: string, context: PipelineContext): Promise<SeoAnchor[]> {
  return (await list(projectId, "anchor", context)).flatMap((row) => {
    const data = dataOf(row);
    return typeof data.osmId === "string" ? [data as unknown as SeoAnchor] : [];
  });
}

async function clustersOf(
  projectId: string,
  context: PipelineContext,
): Promise<{ row: EntityRow; cluster: SeoCluster }[]> {
  return (await list(projectId, "keyword", context)).flatMap((row) => {
    const data = dataOf(row);
    return data.seo === "cluster" ? [{ row, cluster: data.cluster as SeoCluster }] : [];
  });
}

async function pagesOf(projectId: string, context: PipelineContext): Promise<EntityRow[]> {
  return (await list(projectId, "page", context)).filter((row) => typeof dataOf(row).slug === "string");
}

/** Runs the pipeline from `from` to the end; each stage under its own ticket. */
export async function runPipeline(projectId: string, from: Stage, context: PipelineContext) {
  const start = STAGES.indexOf(from);
  if (start < 0) throw problems.validation([{ field: "params.from", message: `is not a stage: ${from}` }]);
  const results: Partial<Record<Stage, unknown>> = {};
  for (const name of STAGES.slice(start)) {
    // pSEO is optional work: at 90 % of the cap it stops before anything on the speed-to-lead path does.
    const decision = await spendGate(projectId, "optional-ai", context);
    if (!decision.allowed) return { projectId, stages: results, stoppedAt: name, stopped: decision.detail };
    results[name] = await context.stage(name, (tools) => STAGE_WORK[name](projectId, context, tools));
  }
  return { projectId, stages: results };
}

type StageWork = (projectId: string, context: PipelineContext, tools: StageTools) => Promise<unknown>;

const STAGE_WORK: Record<Stage, StageWork> = {
  async scout_anchors(projectId, context, { progress }) {
    const { dna, settings } = await load(projectId, context);
    const known = new Map((await anchorsOf(projectId, context)).map((a) => [a.osmId, a]));
    const places = settings.places.length > 0 ? settings.places : [...dna.geoScope.cities, ...dna.geoScope.areas];
    let created = 0;
    let found = 0;
    for (const [index, place] of places.entries()) {
      const anchors = await findAnchors(place, settings.anchorKinds, context.env);
      found += anchors.length;
      for (const anchor of anchors) {
        if (known.has(anchor.osmId)) continue;
        await createEntity(
          { projectId, type: "anchor", name: anchor.name, data: { ...anchor } },
          { ...context, idempotency: { key: `seo-anchor:${projectId}:${anchor.osmId}`, fingerprint: "seo-anchor" } },
        );
        known.set(anchor.osmId, anchor);
        created++;
      }
      await progress(Math.round(((index + 1) / places.length) * 100), `${place}: ${anchors.length} landmarks`);
    }
    return { places: places.length, found, created };
  },

  async strategist_run(projectId, context) {
    const { dna, settings } = await load(projectId, context);
    const planned = planClusters(dna, settings);
    // What searchers found a page for (analytics) joins its secondary keywords: it feeds this run.
    const found = new Map(
      (await pagesOf(projectId, context)).map((row) => [
        String(dataOf(row).slug),
        ((seoOf(row).analytics as PagePerformance | undefined)?.queries ?? [])
          .filter((q) => q.impressions >= 10)
          .map((q) => q.query.toLowerCase()),
      ]),
    );
    const clusters = planned.clusters.map((cluster) => {
      const extra = (found.get(cluster.slug) ?? []).filter((q) => q !== cluster.primaryKeyword);
      return extra.length === 0
        ? cluster
        : { ...cluster, secondaryKeywords: [...new Set([...cluster.secondaryKeywords, ...extra])].slice(0, 12) };
    });
    const { skipped } = planned;
    const existing = new Map(
      (await clustersOf(projectId, context)).map(({ row, cluster }) => [cluster.slug, { row, cluster }]),
    );
    let created = 0;
    let updated = 0;
    for (const cluster of clusters) {
      const before = existing.get(cluster.slug);
      if (!before) {
        await createEntity(
          {
            projectId,
            type: "keyword",
            name: cluster.primaryKeyword,
            data: { phrase: cluster.primaryKeyword, seo: "cluster", cluster },
          },
          { ...context, idempotency: { key: `seo-cluster:${projectId}:${cluster.slug}`, fingerprint: "seo-cluster" } },
        );
        created++;
      } else if (JSON.stringify(before.cluster) !== JSON.stringify(cluster)) {
        await reviseEntity(before.row.id, (current) => ({ data: { ...current.data, cluster } }), context);
        updated++;
      }
    }
    return { clusters: clusters.length, created, updated, skipped };
  },

  async write_pages(projectId, context, { progress, page: perPage }) {
    const { dna, settings } = await load(projectId, context);
    const anchors = await anchorsOf(projectId, context);
    const pages = new Map((await pagesOf(projectId, context)).map((row) => [String(dataOf(row).slug), row]));
    const wanted = new Set(planClusters(dna, settings).clusters.map((c) => c.slug));
    const clusters = (await clustersOf(projectId, context)).filter(({ cluster }) => wanted.has(cluster.slug));
    let written = 0;
    let unchanged = 0;
    for (const { cluster } of clusters) {
      // All the project's landmarks: the writer says how far this place is from the others (unique content).
      const inputHash = await writerInputHash(dna, cluster, anchors);
      const page = pages.get(cluster.slug);
      if (page && seoOf(page).inputHash === inputHash) {
        unchanged++;
        continue;
      }
      // The rest wait for the next run: a run writes at most pagesPerRun pages.
      if (written >= settings.pagesPerRun) break;
      await perPage(cluster.slug, async () => {
        const { draft, by } = await writePage(projectId, { dna, cluster, anchors }, context);
        await savePage(projectId, page, cluster, draft, { inputHash, writtenBy: by, revisions: 0 }, context);
        return { slug: cluster.slug, title: draft.title, writtenBy: by };
      });
      written++;
      await progress(Math.round((written / Math.max(1, clusters.length)) * 100), `wrote ${cluster.slug}`);
    }
    return { written, unchanged, waiting: clusters.length - written - unchanged };
  },

  async critic_review(projectId, context, { progress }) {
    const { dna, settings } = await load(projectId, context);
    const anchors = await anchorsOf(projectId, context);
    const clusters = new Map((await clustersOf(projectId, context)).map(({ cluster }) => [cluster.slug, cluster]));
    const rows = await pagesOf(projectId, context);
    const toReview = rows.filter((row) => row.status === "written");
    let passed = 0;
    let stopped = 0;
    for (const [index, row] of toReview.entries()) {
      const cluster = clusters.get(String(dataOf(row).slug));
      if (!cluster) continue;
      const here = anchors;
      const others = () =>
        rows
          .filter((other) => other.id !== row.id)
          .map((other) => ({ slug: String(dataOf(other).slug), html: String(dataOf(other).html ?? "") }));
      let draft = draftOf(row);
      let report = reviewPage(draft, { dna, cluster, anchors: here, others: others() });
      let revisions = Number(seoOf(row).revisions ?? 0);
      // A rejected page goes back to the writer with the critic's reasons, up to maxRevisions times.
      while (!report.pass && revisions < settings.maxRevisions) {
        revisions++;
        draft = (
          await writePage(
            projectId,
            { dna, cluster, anchors: here, attempt: revisions + 1, feedback: report.reasons },
            context,
          )
        ).draft;
        report = reviewPage(draft, { dna, cluster, anchors: here, others: others() });
      }
      const status: PageStatus = report.pass ? "ready" : "needs-review";
      await reviseEntity(
        row.id,
        (current) => ({
          name: draft.title,
          status,
          data: { ...current.data, ...draft },
          system: { ...current.system, seo: { ...(current.system.seo as object), critic: report, revisions } },
        }),
        context,
      );
      if (report.pass) passed++;
      else stopped++;
      await progress(Math.round(((index + 1) / toReview.length) * 100), `${cluster.slug}: ${status} (${report.score})`);
    }
    return { reviewed: toReview.length, passed, waitingForAPerson: stopped };
  },

  async librarian_link(projectId, context) {
    const anchors = await anchorsOf(projectId, context);
    const rows = (await pagesOf(projectId, context)).filter((row) => PUBLISHABLE.has(row.status ?? ""));
    const linkable = rows.map((row) => {
      const data = dataOf(row);
      return {
        slug: String(data.slug),
        title: String(data.title ?? row.name),
        service: String(data.service ?? ""),
        place: String(data.place ?? ""),
      };
    });
    const plan = planLinks(linkable, anchors);
    let changed = 0;
    for (const row of rows) {
      const links = plan.get(String(dataOf(row).slug)) ?? [];
      if (JSON.stringify(dataOf(row).links ?? []) === JSON.stringify(links)) continue;
      await reviseEntity(row.id, (current) => ({ data: { ...current.data, links } }), context);
      changed++;
    }
    return { pages: rows.length, changed };
  },

  async enhance_media(projectId, context) {
    const anchors = await anchorsOf(projectId, context);
    const rows = (await pagesOf(projectId, context)).filter((row) => PUBLISHABLE.has(row.status ?? ""));
    let rendered = 0;
    for (const row of rows) {
      const here = anchorsIn(anchors, String(dataOf(row).place ?? ""));
      const [anchor, ...nearby] = here;
      if (!anchor) continue;
      const media = (seoOf(row).media ?? {}) as { osmId?: string };
      if (media.osmId === anchor.osmId) continue;
      const map = await renderAnchorMap(context.env.BROWSER, anchor, nearby.slice(0, 4));
      const key = objectKeys.seoMap(context.actor.auth.tenantId, row.id);
      await context.env.ARCHIVE.put(key, map.png, { httpMetadata: { contentType: "image/png" } });
      await reviseEntity(
        row.id,
        (current) => ({
          system: {
            ...current.system,
            seo: {
              ...(current.system.seo as object),
              media: {
                osmId: anchor.osmId,
                altText: map.altText,
                width: map.width,
                height: map.height,
                bytes: map.png.byteLength,
              },
            },
          },
        }),
        context,
      );
      rendered++;
    }
    return { pages: rows.length, rendered };
  },

  async publish(projectId, context, { progress, page: perPage }) {
    const { settings } = await load(projectId, context);
    const site = await openWordPressSite(projectId, context);
    if (!site) {
      throw problems.validation([
        { field: "wordpress", message: `connect a WordPress site first: PUT /api/v1/projects/${projectId}/wordpress` },
      ]);
    }
    const wordpress = wordpressClient(site, context.env, { field: "wordpress.url" });
    const rows = (await pagesOf(projectId, context)).filter((row) => PUBLISHABLE.has(row.status ?? ""));
    const hrefOf = (slug: string) => `${site.url}/?pagename=${encodeURIComponent(slug)}`;
    let changed = 0;
    let unchanged = 0;
    for (const [index, row] of rows.entries()) {
      const slug = String(dataOf(row).slug);
      const outcome = await perPage(slug, async () => {
        const data = dataOf(row);
        const seo = seoOf(row);
        const record = (seo.wordpress ?? {}) as {
          id?: number;
          mediaId?: number;
          mediaOf?: string;
          mediaUrl?: string;
          contentHash?: string;
        };
        const media = seo.media as { osmId: string; altText: string } | undefined;
        // The map goes up once per anchor; its WordPress id and address are kept on the page.
        let uploadedMap =
          record.mediaOf === media?.osmId && record.mediaId !== undefined && record.mediaUrl
            ? { id: record.mediaId, url: record.mediaUrl }
            : undefined;
        if (media && !uploadedMap) {
          const object = await context.env.ARCHIVE.get(objectKeys.seoMap(context.actor.auth.tenantId, row.id));
          if (object) {
            const bytes = new Uint8Array(await object.arrayBuffer());
            const uploaded = await refusalsAreFinal(() =>
              wordpress.uploadMedia({
                bytes,
                filename: `${String(data.slug)}-map.png`,
                contentType: "image/png",
                altText: media.altText,
              }),
            );
            uploadedMap = { id: uploaded.id, url: uploaded.sourceUrl };
          }
        }
        const target =
          row.status === "approved" || row.status === "published" || !settings.approvalRequired ? "publish" : "draft";
        const content = composeContent(
          row.id,
          draftOf(row),
          (data.links ?? []) as { slug: string; title: string }[],
          hrefOf,
          media && uploadedMap ? { url: uploadedMap.url, altText: media.altText } : undefined,
        );
        const contentHash = await sha256Hex(JSON.stringify([content, data.title, data.metaDescription, target]));
        if (record.contentHash === contentHash && record.id !== undefined) return "unchanged" as const;
        const saved = await refusalsAreFinal(() =>
          wordpress.upsertPage({
            ...(record.id !== undefined ? { id: record.id } : { adoptIfMarked: pageMarker(row.id) }),
            slug: String(data.slug),
            title: String(data.title ?? row.name),
            content,
            status: target,
            excerpt: String(data.metaDescription ?? ""),
            ...(uploadedMap ? { featuredMedia: uploadedMap.id } : {}),
          }),
        );
        await reviseEntity(
          row.id,
          (current) => ({
            status: target === "publish" ? "published" : "draft",
            system: {
              ...current.system,
              seo: {
                ...(current.system.seo as object),
                wordpress: {
                  id: saved.id,
                  link: saved.link,
                  slug: saved.slug,
                  status: saved.status,
                  contentHash,
                  ...(uploadedMap ? { mediaId: uploadedMap.id, mediaUrl: uploadedMap.url, mediaOf: media?.osmId } : {}),
                  at: new Date().toISOString(),
                },
              },
            },
          }),
          context,
        );
        return target;
      });
      if (outcome === "unchanged") unchanged++;
      else changed++;
      await progress(Math.round(((index + 1) / rows.length) * 100), `${slug}: ${outcome}`);
    }
    return { pages: rows.length, changed, unchanged };
  },

  async analytics_audit(projectId, context) {
    const searchConsole = await openSearchConsole(projectId, context);
    if (!searchConsole) {
      return { skipped: `Search Console is not connected (PUT /api/v1/projects/${projectId}/search-console)` };
    }
    const { dna } = await load(projectId, context);
    const performance = await pagePerformance(context.env, searchConsole).catch((error: unknown) => {
      // A token Google refuses, or a property it does not open to that token, will not pass by itself.
      if (error instanceof OutboundStatusError && (error.status === 401 || error.status === 403)) {
        throw new Problem({
          status: 424,
          code: "search-console-refused",
          title: "Search Console refused the analytics stage",
          detail: `Search Console answered ${error.status} for ${searchConsole.property}. Fix: connect the property again with a fresh access token (webmasters.readonly) of a user who can see it.`,
          errors: [{ field: "searchConsole", message: "the access token or the property was refused" }],
        });
      }
      throw error;
    });
    const rows = (await pagesOf(projectId, context)).filter(
      (row) => typeof (seoOf(row).wordpress as { link?: unknown } | undefined)?.link === "string",
    );
    let measured = 0;
    let proposals = 0;
    for (const row of rows) {
      const link = String((seoOf(row).wordpress as { link: string }).link);
      const found = performance.get(pageKey(link));
      if (!found) continue;
      measured++;
      const draft = draftOf(row);
      const proposal = rewriteProposal(draft, found, {
        name: dna.identity.businessName,
        differentiators: dna.brandBrain.differentiators,
      });
      if (proposal) proposals++;
      const before = seoOf(row).analytics as PagePerformance | undefined;
      if (JSON.stringify(before && { ...before, at: undefined }) === JSON.stringify({ ...found, at: undefined }))
        continue;
      await reviseEntity(
        row.id,
        (current) => ({
          system: {
            ...current.system,
            seo: {
              ...(current.system.seo as object),
              analytics: { ...found, at: new Date().toISOString() },
              proposal: proposal ?? null,
            },
          },
        }),
        context,
      );
    }
    return { pages: rows.length, measured, proposals };
  },
};

/**
 * WordPress refusing Apex (a wrong password, a user who may not edit pages,
 * no REST API) will not pass by itself: the stage fails at once with the fix
 * to make, instead of retrying. A site that is down or slow is retried.
 */
async function refusalsAreFinal<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (
      error instanceof WordPressProblem &&
      typeof error.status === "number" &&
      error.status >= 400 &&
      error.status < 500 &&
      error.status !== 429
    ) {
      throw new Problem({
        status: 424,
        code: "wordpress-refused",
        title: "WordPress refused the publisher",
        detail: `${error.message} Fix: ${error.fix}`,
        errors: [{ field: "wordpress", message: error.fix }],
      });
    }
    throw error;
  }
}

const anchorsIn = (anchors: SeoAnchor[], place: string) =>
  anchors.filter((anchor) => anchor.place.toLowerCase() === place.toLowerCase()).slice(0, 8);

async function writerInputHash(dna: Dna, cluster: SeoCluster, anchors: SeoAnchor[]): Promise<string> {
  const service = dna.services.find((s) => s.slug === cluster.service.slug);
  return sha256Hex(
    JSON.stringify({
      v: WRITER_VERSION,
      identity: dna.identity,
      brandBrain: dna.brandBrain,
      service,
      cluster,
      anchors: anchors.map((a) => [a.osmId, a.name, a.kind, a.lat, a.lon]),
    }),
  );
}

/**
 * One page through the LLM gateway (schema-checked, tokens metered); with no
 * model — or paid AI shed at the cap — the rule-based writer answers from the
 * DNA alone (seo/writer-rules.ts), which the local Gemini simulator runs too.
 */
async function writePage(
  projectId: string,
  input: { dna: Dna; cluster: SeoCluster; anchors: SeoAnchor[]; attempt?: number; feedback?: string[] },
  context: PipelineContext,
): Promise<{ draft: PageDraft; by: { provider: string; model: string } }> {
  const result = await generateStructured(
    pageDraftSchema,
    {
      task: "write_pages",
      system:
        "You write one local landing page for a service business from its profile (DNA) and the landmarks given. " +
        "Use only facts the profile holds: no prices, reviews, ratings, licences, guarantees or years unless it says them. " +
        "Avoid its forbidden topics. Answer only with JSON for the given schema.",
      prompt: `Input:\n${JSON.stringify(input)}`,
      input: input as unknown as Record<string, unknown>,
    },
    { ...context, projectId, runKey: `${context.runKey}:write:${input.cluster.slug}:${input.attempt ?? 1}` },
  );
  return {
    draft: { ...result.value, slug: input.cluster.slug },
    by: { provider: result.provider, model: result.model },
  };
}

async function savePage(
  projectId: string,
  existing: EntityRow | undefined,
  cluster: SeoCluster,
  draft: PageDraft,
  seo: { inputHash: string; writtenBy: { provider: string; model: string }; revisions: number },
  context: PipelineContext,
) {
  const data = {
    ...draft,
    service: cluster.service.slug,
    place: cluster.place,
    primaryKeyword: cluster.primaryKeyword,
  };
  if (!existing) {
    await createEntity(
      { projectId, type: "page", name: draft.title, status: "written", data, system: { seo } },
      {
        ...context,
        idempotency: { key: `seo-page:${projectId}:${cluster.slug}:${seo.inputHash}`, fingerprint: "seo-page" },
      },
    );
    return;
  }
  // A new version of the same page: WordPress keeps its id, so publishing updates it.
  await reviseEntity(
    existing.id,
    (current) => ({
      name: draft.title,
      status: "written",
      data: { ...current.data, ...data },
      system: { ...current.system, seo: { ...(current.system.seo as object), ...seo, critic: undefined } },
    }),
    context,
  );
}

const draftOf = (row: EntityRow): PageDraft => {
  const data = dataOf(row);
  return {
    slug: String(data.slug),
    title: String(data.title ?? row.name),
    metaDescription: String(data.metaDescription ?? ""),
    html: String(data.html ?? ""),
    jsonLd: (data.jsonLd ?? []) as Record<string, unknown>[],
  };
};

const pageMarker = (pageId: string) => `apex-page:${pageId}`;

const escapeAttribute = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** What WordPress gets: the map, the page, its links, and its JSON-LD (kept for an admin's Application Password). */
export function composeContent(
  pageId: string,
  draft: PageDraft,
  links: { slug: string; title: string }[],
  hrefOf: (slug: string) => string,
  map: { url: string; altText: string } | undefined,
): string {
  const figure = map
    ? `<figure class="apex-map"><img src="${escapeAttribute(map.url)}" alt="${escapeAttribute(map.altText)}" /></figure>`
    : "";
  const jsonLd = draft.jsonLd
    .map((item) => `<script type="application/ld+json">${JSON.stringify(item).replace(/</g, "\\u003c")}</script>`)
    .join("");
  // The marker lets a later run recognise the page as Apex's own if its WordPress id was never stored.
  return `<!-- ${pageMarker(pageId)} -->${figure}${draft.html}${linksSection(links, hrefOf)}${jsonLd}`;
}
