import { withTenant } from "../../schema/tenant-transaction";
import type { ServiceContext } from "../service-context";
import { leadHunterSettings } from "../services/dna";
import { type Entity, reviseEntity } from "../services/entities";
import { leadSystem } from "../services/entity-system";
import { type BridgeOutcome, startBridge } from "../speed-to-lead/bridge";
import { projectVoice } from "../speed-to-lead/context";
import { sendSms } from "../speed-to-lead/messages";
import { PLATFORMS } from "./platforms";
import type { HunterPlatform } from "./settings";

/**
 * A hunted lead has been scored. Below the hunter's threshold nothing
 * happens. At or above it the owner is told — a text ("New job on Gig
 * board: …, Round Rock") once per lead and recipient, and a card on the
 * dashboard (the lead's `system.hunt.alertedAt`, announced live with the
 * lead's change). Nobody calls the poster unless the owner opted in to
 * bridging posters who published a phone number; then the bridge starts for
 * that number, and the contact gate still decides (opt-outs, quiet hours,
 * frequency cap), and the bridge's own key makes it once per lead.
 */
/**
 * A poster's words in the owner's text: no links or phone numbers of theirs
 * (the text comes from the project's own number), one line, clipped.
 */
function tame(text: string, max: number): string {
  const plain = text
    .replace(/\b(?:https?:\/\/|www\.)\S+/gi, "")
    .replace(/\+?\d[\d\s().-]{6,}\d/g, "")
    .replace(/\s+/g, " ")
    .trim();
  return plain.length > max ? `${plain.slice(0, max - 1)}…` : plain;
}

export async function huntedLeadScored(
  lead: Entity,
  score: number,
  context: Pick<ServiceContext, "env" | "db" | "actor" | "publish">,
): Promise<{ alerted: boolean; bridge: BridgeOutcome | null }> {
  const hunt = leadSystem(lead).hunt;
  const settings = await withTenant(context.db, context.actor.auth.tenantId, (tx) =>
    leadHunterSettings(tx, lead.projectId),
  );
  if (!hunt || !settings || score < settings.scoreThreshold) return { alerted: false, bridge: null };

  const { settings: voice } = await projectVoice(lead.projectId, context);
  const label = PLATFORMS[hunt.platform as HunterPlatform]?.label ?? hunt.platform;
  const link = new URL(`/leads/${lead.id}`, context.env.PUBLIC_BASE_URL).toString();
  const body = `New job on ${label}: ${tame(lead.name, 60)}${hunt.place ? `, ${tame(hunt.place, 40)}` : ""} (score ${score}). ${link}`;
  const recipients = voice.hotLeadRecipients.length > 0 ? voice.hotLeadRecipients : [voice.ownerPhone];
  if (voice.trackingNumber) {
    for (const to of recipients) {
      if (!to) continue;
      await sendSms(
        {
          projectId: lead.projectId,
          to,
          from: voice.trackingNumber,
          body,
          key: `hunt-alert:${lead.id}:${to}`,
          leadId: lead.id,
          purpose: "owner-alert",
          // An alert about work the hunter found: shed with the rest of the optional spending.
          spend: "outbound-text",
          zone: voice.timezone,
        },
        context,
      );
    }
  }
  if (!hunt.alertedAt) {
    await reviseEntity(
      lead.id,
      (current) => {
        const system = leadSystem(current);
        return { system: { ...current.system, hunt: { ...system.hunt, alertedAt: new Date().toISOString() } } };
      },
      context,
    );
  }
  const phone = typeof lead.data.phone === "string" ? lead.data.phone : undefined;
  const mayBridge =
    settings.contactPolicy === "bridge-public-phone" && phone !== undefined && phone === hunt.publicPhone;
  const bridge = mayBridge ? await startBridge({ leadId: lead.id, projectId: lead.projectId }, context) : null;
  return { alerted: true, bridge };
}
