import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { request } from "./helpers";
import { formTokenFor } from "./intake-secrets";
import { jsonRequest, signUpTenant, type TestTenant } from "./tenants";
import {
  configureNumber,
  deliverTwilioWebhooks,
  scriptPhone,
  simCalls,
  simMessages,
  simulateInboundCall,
  simulateInboundSms,
  testPhone,
} from "./twilio";

/**
 * The spend gate and the contact gate on the paths beside the API: a form
 * lead through the queue to the bridge, Twilio's callbacks, an inbound call,
 * a person's text — with the project at its cap (decisions 018 and 019).
 */
interface Entity {
  id: string;
  status: string | null;
  data: Record<string, unknown>;
  system: {
    bridge?: { status?: string; reason?: string };
    shed?: { action: string; reason: string; detail?: string }[];
    consent?: { sms: boolean; basis: string; field?: string };
    [key: string]: unknown;
  };
}

interface Project {
  tenant: TestTenant;
  ownerPhone: string;
  trackingNumber: string;
  formToken: string;
}

async function voiceProject(label: string, settings: Record<string, unknown> = {}): Promise<Project> {
  const tenant = await signUpTenant(label);
  const ownerPhone = testPhone();
  const trackingNumber = testPhone();
  const path = `/api/v1/projects/${tenant.projectId}/speed-to-lead-settings`;
  const etag = (await request(path, { headers: tenant.auth })).headers.get("etag") ?? "";
  const saved = await request(
    path,
    jsonRequest("PUT", { ownerPhone, trackingNumber, ...settings }, { ...tenant.auth, "if-match": etag }),
  );
  if (saved.status !== 200) throw new Error(`settings: ${saved.status} ${await saved.text()}`);
  return { tenant, ownerPhone, trackingNumber, formToken: await formTokenFor(tenant) };
}

const setCap = (project: Project, monthlyCapUsd: number | null) =>
  request(
    `/api/v1/projects/${project.tenant.projectId}/spend-cap`,
    jsonRequest("PUT", { monthlyCapUsd }, project.tenant.auth),
  );

const usage = async (project: Project) =>
  (await request(`/api/v1/projects/${project.tenant.projectId}/usage`, { headers: project.tenant.auth })).json<{
    status: string;
    spentUsd: number;
    resources: { resource: string; quantity: number; uses: number }[];
  }>();

const postLead = (project: Project, body: Record<string, unknown>) =>
  request(
    `/webhooks/leads/form?project=${project.tenant.projectId}&token=${project.formToken}`,
    jsonRequest("POST", body, {}),
  );

const entity = async (project: Project, id: string) =>
  (await request(`/api/v1/entities/${id}`, { headers: project.tenant.auth })).json<Entity>();

const settled = async (project: Project, ticketId: string) => {
  for (let i = 0; i < 150; i++) {
    const ticket = await (await request(`/api/v1/tickets/${ticketId}`, { headers: project.tenant.auth })).json<{
      status: string;
      result: { outcome?: string; reason?: string } | null;
    }>();
    if (ticket.status !== "queued" && ticket.status !== "processing") return ticket;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`ticket ${ticketId} did not settle`);
};

const resourcesOf = async (project: Project) =>
  Object.fromEntries((await usage(project)).resources.map((r) => [r.resource, r.quantity]));

describe("at the spend cap", () => {
  it("a form lead still rings the owner by default, and both legs' minutes are recorded", async () => {
    const project = await voiceProject("cap0-bridge");
    await setCap(project, 0);
    const customer = testPhone();
    await scriptPhone(project.ownerPhone, { answer: "answer", press: "1", talkSeconds: 5 });
    await scriptPhone(customer, { answer: "answer", talkSeconds: 70 });
    const { leadId } = await (await postLead(project, { name: "Cap Zero", phone: customer })).json<{
      leadId: string;
    }>();
    await deliverTwilioWebhooks(project.tenant.tenantId, async () => {
      const lead = await entity(project, leadId);
      return lead.system.bridge?.status === "connected" && "voice_minute" in (await resourcesOf(project));
    });
    expect((await simCalls()).filter((c) => c.to === project.ownerPhone)).toHaveLength(1);
    const spent = await resourcesOf(project);
    // The customer leg (70 s → 2 min) is billed on its own, beside the owner's leg.
    expect(spent.voice_minute).toBeGreaterThanOrEqual(2);
    expect((await usage(project)).status).toBe("paused");
  });

  it("with the bridge set to pause at the cap, a form lead is not called and the lead says why", async () => {
    const project = await voiceProject("cap0-pause", { bridgeAtCap: "pause" });
    await setCap(project, 0);
    const { leadId, ticketId } = await (await postLead(project, { name: "Held Hal", phone: testPhone() })).json<{
      leadId: string;
      ticketId: string;
    }>();
    expect((await settled(project, ticketId)).result).toMatchObject({ outcome: "skipped" });
    expect((await simCalls()).filter((c) => c.to === project.ownerPhone)).toHaveLength(0);
    const lead = await entity(project, leadId);
    expect(lead.system.bridge).toMatchObject({ status: "skipped", reason: "spend-cap" });
    // Scoring runs beside the bridge and notes its own shed (the paid model) when it gets there.
    expect(lead.system.shed).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          action: "bridge call",
          reason: "spend-cap",
          detail: expect.stringContaining("$0.00"),
        }),
      ]),
    );
    expect((await usage(project)).spentUsd).toBe(0);
  });

  it("a missed bridge still alerts the owner but sheds the customer's text-back, and the lead records it", async () => {
    const project = await voiceProject("cap0-missed");
    await setCap(project, 0);
    const customer = testPhone();
    await scriptPhone(project.ownerPhone, { answer: "no-answer" });
    const { leadId } = await (await postLead(project, { name: "Shed Sid", phone: customer })).json<{
      leadId: string;
    }>();
    await deliverTwilioWebhooks(project.tenant.tenantId, async () => {
      const lead = await entity(project, leadId);
      return lead.system.bridge?.status === "missed";
    });
    const messages = await simMessages();
    expect(messages.filter((m) => m.to === project.ownerPhone && m.body.startsWith("Missed:"))).toHaveLength(1);
    expect(messages.filter((m) => m.to === customer)).toHaveLength(0);
    const lead = await entity(project, leadId);
    expect(lead.system.shed).toEqual(
      expect.arrayContaining([expect.objectContaining({ action: "text (reply)", reason: "spend-cap" })]),
    );
    // The owner's alert was spent and is recorded, cap or no cap.
    expect((await resourcesOf(project)).sms_segment).toBe(1);
  });

  it("a person's text to a lead is a 402 and nothing reaches Twilio", async () => {
    const project = await voiceProject("cap0-typed", { bridgeAtCap: "pause" });
    await setCap(project, 0);
    const customer = testPhone();
    const { leadId, ticketId } = await (await postLead(project, { name: "Typed Ty", phone: customer })).json<{
      leadId: string;
      ticketId: string;
    }>();
    await settled(project, ticketId);
    const typed = await request(
      `/api/v1/leads/${leadId}/sms`,
      jsonRequest("POST", { body: "Hi, this is the plumber" }, project.tenant.auth),
    );
    expect(typed.status).toBe(402);
    expect(await typed.json()).toMatchObject({ type: "urn:apex:problem:spend-cap-reached" });
    expect((await simMessages()).filter((m) => m.to === customer)).toHaveLength(0);
  });

  it("an inbound call still forwards to the owner, and its minutes and recording are recorded", async () => {
    const project = await voiceProject("cap0-inbound");
    await setCap(project, 0);
    const caller = testPhone();
    await scriptPhone(project.ownerPhone, { answer: "answer", talkSeconds: 30 });
    await configureNumber(project.trackingNumber, {
      voiceUrl: `${env.PUBLIC_BASE_URL}/webhooks/twilio/inbound?project=${project.tenant.projectId}`,
    });
    await simulateInboundCall({ from: caller, to: project.trackingNumber });
    await deliverTwilioWebhooks([project.tenant.projectId, project.tenant.tenantId], async () => {
      const spent = await resourcesOf(project);
      return "recording_storage_mb" in spent && "voice_inbound_minute" in spent;
    });
    const [inbound] = (await simCalls()).filter((c) => c.from === caller && c.direction === "inbound");
    expect(inbound?.steps).toContain(`dial:${project.ownerPhone}`);
    const spent = await resourcesOf(project);
    expect(spent).toMatchObject({ voice_inbound_minute: 1, voice_minute: 1, recording_minute: 1 });
    expect(spent.recording_storage_mb).toBeGreaterThanOrEqual(1);
  });
});

describe("spend alerts", () => {
  it("crossing 80 % of the cap texts the owner once, however much more is spent before 100 %", async () => {
    const project = await voiceProject("alert-text");
    await setCap(project, 1);
    const log = (quantity: number) =>
      request(
        "/api/v1/tasks/log_usage",
        jsonRequest(
          "POST",
          { params: { projectId: project.tenant.projectId, resource: "voice_minute", quantity } },
          project.tenant.auth,
        ),
      );
    expect((await log(58)).status).toBe(200); // $0.812
    expect((await log(1)).status).toBe(200); // $0.826
    const ownerTexts = async () => (await simMessages()).filter((m) => m.to === project.ownerPhone);
    for (let i = 0; i < 100 && (await ownerTexts()).length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 500));
    const texts = await ownerTexts();
    expect(texts).toHaveLength(1);
    expect(texts[0]?.body).toContain("(80%)");
    // The month as it stands when the text goes: past 80 %, under the cap.
    expect(texts[0]?.body).toMatch(/spent \$0\.8\d of its \$1\.00 monthly cap/);
  });
});

describe("the contact gate on real paths", () => {
  it("a customer who texts 'please stop texting me' gets no text-back after a missed bridge", async () => {
    const project = await voiceProject("words-stop");
    const customer = testPhone();
    await configureNumber(project.trackingNumber, {
      smsUrl: `${env.PUBLIC_BASE_URL}/webhooks/twilio/sms?project=${project.tenant.projectId}`,
    });
    let answered = false;
    const stop = simulateInboundSms({
      from: customer,
      to: project.trackingNumber,
      body: "Please stop texting me!",
    }).then(() => {
      answered = true;
    });
    const delivered = await deliverTwilioWebhooks(project.tenant.projectId, async () => answered);
    expect(delivered[0]?.body).toContain("unsubscribed");
    await stop;
    // The text received and the confirmation sent are both billed, never shed.
    expect((await usage(project)).resources.find((r) => r.resource === "sms_segment")).toMatchObject({ uses: 2 });
    await scriptPhone(project.ownerPhone, { answer: "no-answer" });
    const { ticketId, leadId } = await (await postLead(project, { name: "Words Wes", phone: customer })).json<{
      ticketId: string;
      leadId: string;
    }>();
    expect((await settled(project, ticketId)).result).toMatchObject({ outcome: "skipped" });
    expect((await simMessages()).filter((m) => m.to === customer && m.direction !== "inbound")).toHaveLength(0);
    expect((await entity(project, leadId)).system.bridge).toMatchObject({ status: "skipped", reason: "opted-out" });
  });

  it("a text that merely says 'can you stop by tomorrow?' is threaded onto the lead, not an opt-out", async () => {
    const project = await voiceProject("words-not-stop");
    const customer = testPhone();
    await configureNumber(project.trackingNumber, {
      smsUrl: `${env.PUBLIC_BASE_URL}/webhooks/twilio/sms?project=${project.tenant.projectId}`,
    });
    let answered = false;
    const sent = simulateInboundSms({
      from: customer,
      to: project.trackingNumber,
      body: "Can you stop by tomorrow?",
    }).then(() => {
      answered = true;
    });
    const delivered = await deliverTwilioWebhooks(project.tenant.projectId, async () => answered);
    await sent;
    expect(delivered[0]?.body ?? "").not.toContain("unsubscribed");
  });

  it("a form that carried an SMS consent checkbox records express consent on the lead", async () => {
    const project = await voiceProject("consent-form", { bridgeAtCap: "pause" });
    await setCap(project, 0);
    const { leadId } = await (
      await postLead(project, { name: "Consenting Cas", phone: testPhone(), sms_consent: "on" })
    ).json<{ leadId: string }>();
    expect((await entity(project, leadId)).system.consent).toMatchObject({
      sms: true,
      basis: "express",
      field: "sms_consent",
    });
  });
});
