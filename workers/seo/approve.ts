import { parseId } from "../auth/inputs";
import { problems } from "../problems";
import type { ServiceContext } from "../service-context";
import { getEntity, reviseEntity } from "../services/entities";

/**
 * A person approves a page the critic passed: it is published on the next
 * publish stage, which this starts at once (a ticket that runs the pipeline
 * from `publish`). Approving an approved or published page changes nothing.
 */
export async function approvePage(
  pageIdInput: unknown,
  context: Pick<ServiceContext, "env" | "db" | "actor" | "publish">,
): Promise<{ pageId: string; status: string; ticketId: string | null }> {
  const pageId = parseId(pageIdInput, "id");
  const page = await getEntity(pageId, context);
  if (page.type !== "page" || typeof page.data.slug !== "string") throw problems.notFound(`No pSEO page ${pageId}.`);
  if (page.status === "approved" || page.status === "published") {
    return { pageId, status: page.status, ticketId: null };
  }
  if (page.status !== "ready" && page.status !== "draft") {
    throw problems.conflict(
      "page-not-ready",
      `Page ${pageId} is ${page.status}: only a page the critic passed (ready, or a draft in WordPress) can be approved.`,
    );
  }
  await reviseEntity(pageId, () => ({ status: "approved" }), context);
  const tenantId = context.actor.auth.tenantId;
  const ticket = await context.env.TENANT.getByName(tenantId).createTicket(
    tenantId,
    "publish",
    { projectId: page.projectId },
    undefined,
    undefined,
    `seo:${page.projectId}`,
  );
  return { pageId, status: "approved", ticketId: ticket.id };
}
