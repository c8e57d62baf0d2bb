import { describe, expect, it, vi } from "vitest";
import { request } from "./helpers";
import { seedSystemEntity } from "./system-entities";
import { jsonRequest, signUpTenant, type TestTenant } from "./tenants";
import { scriptPhone, simMessages, testPhone } from "./twilio";

/** Hot-lead alerts (#14 item 6): a lead scored at or above the threshold is announced once. */
interface Ticket {
  status: string;
  result: { score?: number } | null;
}

async function voiceTenant(label: string, settings: Record<string, unknown> = {}) {
  const owner = await signUpTenant(label);
  const ownerPhone = testPhone();
  const path = `/api/v1/projects/${owner.projectId}/speed-to-lead-settings`;
  const etag = (await request(path, { headers: owner.auth })).headers.get("etag") ?? "";
  const saved = await request(
    path,
    jsonRequest("PUT", { ownerPhone, trackingNumber: testPhone(), ...settings }, { ...owner.auth, "if-match": etag }),
  );
  if (saved.status !== 200) throw new Error(`settings: ${saved.status} ${await saved.text()}`);
  await scriptPhone(ownerPhone, { answer: "no-answer" });
  return { owner, ownerPhone };
}

/** A lead as intake stores it (Apex saw it arrive). */
const intakeLead = (owner: TestTenant, name: string, message: string) =>
  seedSystemEntity(owner, {
    type: "lead",
    name,
    status: "new",
    data: { phone: testPhone(), message, source: "form" },
    system: { receivedAt: new Date().toISOString(), intakes: 1 },
  });

async function score(owner: TestTenant, leadId: string): Promise<Ticket> {
  const started = await request("/api/v1/tasks/lead_scorer", jsonRequest("POST", { params: { leadId } }, owner.auth));
  const { id } = await started.json<{ id: string }>();
  return vi.waitFor(
    async () => {
      const ticket = await (await request(`/api/v1/tickets/${id}`, { headers: owner.auth })).json<Ticket>();
      if (ticket.status === "queued" || ticket.status === "processing") throw new Error(`still ${ticket.status}`);
      return ticket;
    },
    { timeout: 15_000, interval: 100 },
  );
}

const HOT = "URGENT burst pipe, flooding the kitchen now, leaking everywhere";

describe("hot-lead alerts", () => {
  it("a lead scored at or above the threshold texts the owner HOT LEAD once, however often it is scored", async () => {
    const { owner, ownerPhone } = await voiceTenant("hot-once");
    const lead = await intakeLead(owner, "Flood Fred", HOT);
    expect((await score(owner, lead.id)).result?.score).toBeGreaterThanOrEqual(70);
    await score(owner, lead.id);
    const hot = (await simMessages()).filter((m) => m.to === ownerPhone && m.body.startsWith("HOT LEAD"));
    expect(hot).toHaveLength(1);
    expect(hot[0]?.body).toBe(`HOT LEAD: form – Flood Fred – ${HOT}`);
  });

  it("a lead below the threshold texts nobody", async () => {
    const { owner, ownerPhone } = await voiceTenant("hot-cold");
    const lead = await intakeLead(owner, "Browsing Bea", "just browsing, no rush");
    expect((await score(owner, lead.id)).result?.score).toBeLessThan(70);
    expect((await simMessages()).filter((m) => m.to === ownerPhone)).toHaveLength(0);
  });

  it("the project chooses the words and who gets them", async () => {
    const office = testPhone();
    const tech = testPhone();
    const { owner, ownerPhone } = await voiceTenant("hot-chosen", {
      hotLeadTemplate: "Hot {score}: {name} {phone}",
      hotLeadRecipients: [office, tech],
    });
    const lead = await intakeLead(owner, "Soggy Sam", HOT);
    await score(owner, lead.id);
    const messages = await simMessages();
    for (const to of [office, tech]) {
      const [text] = messages.filter((m) => m.to === to);
      expect(text?.body).toMatch(/^Hot \d+: Soggy Sam \+1555\d{7}$/);
    }
    expect(messages.filter((m) => m.to === ownerPhone && m.body.startsWith("Hot"))).toHaveLength(0);
  });
});
