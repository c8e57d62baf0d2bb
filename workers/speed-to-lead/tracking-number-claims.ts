import type { Transaction } from "../../schema/tenant-transaction";
import { problems } from "../problems";
import { claimHolder, insertClaim, releaseClaimsExcept } from "../repositories/tracking-numbers";

/**
 * A tracking number is the bridge's caller id and the sender of every text, on
 * the platform's Twilio account: a project may name only a number no other
 * project holds. Called in the transaction that writes the project's DNA, so
 * the claim and the settings commit together; a project's old number is let go.
 */
export async function claimTrackingNumber(
  tx: Transaction,
  claim: { tenantId: string; projectId: string; number: string | undefined },
): Promise<void> {
  await releaseClaimsExcept(tx, claim.projectId, claim.number);
  if (!claim.number) return;
  const { number } = claim;
  if (await insertClaim(tx, { number, tenantId: claim.tenantId, projectId: claim.projectId })) return;
  if ((await claimHolder(tx, number)) === claim.projectId) return;
  throw problems.validation([
    { field: "modules.speedToLead.trackingNumber", message: "is already another project's tracking number" },
  ]);
}
