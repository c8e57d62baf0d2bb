import { describe, expect, it } from "vitest";
import { ladderOf } from "../workers/speed-to-lead/ladder";
import { speedToLeadSettingsSchema } from "../workers/speed-to-lead/settings";
import { request } from "./helpers";
import { formTokenFor } from "./intake-secrets";
import { jsonRequest, saveSpeedToLeadSettings, signUpTenant } from "./tenants";
import { deliverTwilioWebhooks, scriptPhone, simCalls, simMessages, testPhone } from "./twilio";

/** The call ladder (#14 item 4): owner → backups → text the customer and alert everyone. */
interface Lead {
  system: { bridge?: { status?: string; rung?: number; to?: string } };
}

async function ladderProject(label: string, backups: string[]) {
  const tenant = await signUpTenant(label);
  const ownerPhone = testPhone();
  await saveSpeedToLeadSettings(tenant, { ownerPhone, trackingNumber: testPhone(), backupPhones: backups });
  const token = await formTokenFor(tenant);
  const postLead = async (body: Record<string, unknown>) =>
    (
      await request(`/webhooks/leads/form?project=${tenant.projectId}&token=${token}`, jsonRequest("POST", body, {}))
    ).json<{ leadId: string }>();
  const lead = async (id: string) => (await request(`/api/v1/entities/${id}`, { headers: tenant.auth })).json<Lead>();
  return { tenant, ownerPhone, postLead, lead };
}

const ringsTo = async (phone: string) => (await simCalls()).filter((c) => c.to === phone).length;

describe("the call ladder", () => {
  it("when the owner misses, the backup is rung and connects the customer; each person is rung once", async () => {
    const backup = testPhone();
    const project = await ladderProject("ladder-backup", [backup]);
    const customer = testPhone();
    await scriptPhone(project.ownerPhone, { answer: "no-answer" });
    await scriptPhone(backup, { answer: "answer", press: "1" });
    await scriptPhone(customer, { answer: "answer", talkSeconds: 10 });
    const { leadId } = await project.postLead({ name: "Ladder Lou", phone: customer });
    await deliverTwilioWebhooks(project.tenant.tenantId, async () => {
      return (await project.lead(leadId)).system.bridge?.status === "connected";
    });
    expect(await ringsTo(project.ownerPhone)).toBe(1);
    expect(await ringsTo(backup)).toBe(1);
    expect((await simMessages()).filter((m) => m.to === customer)).toHaveLength(0);
  });

  it("when everyone misses, the customer gets one text and everyone on the ladder an alert", async () => {
    const backups = [testPhone(), testPhone()];
    const project = await ladderProject("ladder-all-miss", backups);
    const customer = testPhone();
    for (const phone of [project.ownerPhone, ...backups]) await scriptPhone(phone, { answer: "no-answer" });
    const { leadId } = await project.postLead({ name: "Nobody Home", phone: customer });
    await deliverTwilioWebhooks(project.tenant.tenantId, async () => {
      return (await project.lead(leadId)).system.bridge?.status === "missed";
    });
    for (const phone of [project.ownerPhone, ...backups]) {
      expect(await ringsTo(phone)).toBe(1);
      expect((await simMessages()).filter((m) => m.to === phone && m.body.startsWith("Missed:"))).toHaveLength(1);
    }
    expect((await simMessages()).filter((m) => m.to === customer)).toHaveLength(1);
  });
});

describe("who is on the ladder", () => {
  const settings = (extra: Record<string, unknown>) =>
    speedToLeadSettingsSchema.parse({
      ownerPhone: "+15550100001",
      backupPhones: ["+15550100002", "+15550100003"],
      ...extra,
    });

  it("in order, every lead starts at the owner", () => {
    expect(ladderOf(settings({}), "lead-a")).toEqual(["+15550100001", "+15550100002", "+15550100003"]);
  });

  it("round-robin starts leads at different people, keeping the order around the ring", () => {
    const starts = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const ladder = ladderOf(settings({ ladderOrder: "round-robin" }), crypto.randomUUID());
      expect([...ladder].sort()).toEqual(["+15550100001", "+15550100002", "+15550100003"]);
      starts.add(ladder[0] as string);
    }
    expect(starts.size).toBe(3);
  });

  it("the same lead always starts at the same person (a retry rings nobody new)", () => {
    const round = settings({ ladderOrder: "round-robin" });
    expect(ladderOf(round, "lead-x")).toEqual(ladderOf(round, "lead-x"));
  });

  it("a backup who is also the owner is rung once", () => {
    expect(ladderOf(settings({ backupPhones: ["+15550100001", "+15550100002"] }), "lead-b")).toEqual([
      "+15550100001",
      "+15550100002",
    ]);
  });
});
