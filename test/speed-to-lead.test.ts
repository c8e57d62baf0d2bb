import { env } from "cloudflare:workers";
import twilio from "twilio";
import { describe, expect, it } from "vitest";
import { request } from "./helpers";
import { formTokenFor, setIntakeSecret } from "./intake-secrets";
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

interface Entity {
  id: string;
  name: string;
  status: string | null;
  version: number;
  data: Record<string, unknown>;
  system: Record<string, unknown>;
}

interface Project {
  tenant: TestTenant;
  ownerPhone: string;
  trackingNumber: string;
  formToken: string;
}

async function projectWithVoice(label: string, extra: Record<string, unknown> = {}): Promise<Project> {
  const tenant = await signUpTenant(label);
  const ownerPhone = testPhone();
  const trackingNumber = testPhone();
  const path = `/api/v1/projects/${tenant.projectId}/speed-to-lead-settings`;
  const current = await request(path, { headers: tenant.auth });
  const saved = await request(
    path,
    jsonRequest(
      "PUT",
      { ownerPhone, trackingNumber, ...extra },
      { ...tenant.auth, "if-match": current.headers.get("etag") ?? "" },
    ),
  );
  if (saved.status !== 200) throw new Error(`voice settings: ${saved.status} ${await saved.text()}`);
  const formToken = await formTokenFor(tenant);
  await setIntakeSecret(tenant, "google-ads", "google-key-123");
  await setIntakeSecret(tenant, "wordpress", "wordpress-secret-0123456789");
  return { tenant, ownerPhone, trackingNumber, formToken };
}

const postLead = (project: Project, body: Record<string, unknown>, headers: Record<string, string> = {}) =>
  request(
    `/webhooks/leads/form?project=${project.tenant.projectId}&token=${project.formToken}`,
    jsonRequest("POST", body, headers),
  );

const entity = async (project: Project, id: string) =>
  (await request(`/api/v1/entities/${id}`, { headers: project.tenant.auth })).json<Entity>();

const ticket = async (project: Project, id: string) =>
  (await request(`/api/v1/tickets/${id}`, { headers: project.tenant.auth })).json<{
    status: string;
    result: { outcome?: string; reason?: string } | null;
    error: string | null;
  }>();

const settledTicket = async (project: Project, id: string) => {
  for (let i = 0; i < 150; i++) {
    const t = await ticket(project, id);
    if (t.status !== "queued" && t.status !== "processing") return t;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`ticket ${id} did not settle`);
};

describe("lead intake", () => {
  it("a form lead is normalized, stored and answered with 200 and its bridge ticket", async () => {
    const project = await projectWithVoice("intake-form");
    await scriptPhone(project.ownerPhone, { answer: "no-answer" });
    const response = await postLead(project, {
      name: "Jane Leak",
      phone: "(555) 201-3344",
      email: "Jane@Example.com",
      message: "Leaking pipe under the sink",
      utm_source: "newsletter",
    });
    expect(response.status).toBe(200);
    const body = await response.json<{ leadId: string; duplicate: boolean; ticketId: string }>();
    expect(body.duplicate).toBe(false);
    expect(body.ticketId).toBeDefined();
    const lead = await entity(project, body.leadId);
    expect(lead).toMatchObject({
      name: "Jane Leak",
      status: "new",
      data: { phone: "+15552013344", email: "jane@example.com", source: "form", utm: { utm_source: "newsletter" } },
    });
  });

  it("a Google Ads lead form payload is verified by google_key and mapped from its columns", async () => {
    const project = await projectWithVoice("intake-google");
    await scriptPhone(project.ownerPhone, { answer: "no-answer" });
    const payload = {
      lead_id: `TeSt-${crypto.randomUUID()}`,
      api_version: "1.0",
      form_id: 40000000000,
      campaign_id: 12345,
      google_key: "google-key-123",
      is_test: false,
      gcl_id: "TeSt-gclid",
      user_column_data: [
        { column_name: "Full Name", string_value: "Gary Google", column_id: "FULL_NAME" },
        { column_name: "User Phone", string_value: "+1 555 777 1234", column_id: "PHONE_NUMBER" },
        { column_name: "What do you need?", string_value: "Blocked drain", column_id: "SERVICE" },
      ],
    };
    const url = `/webhooks/leads/google-ads?project=${project.tenant.projectId}`;
    const taken = await request(url, jsonRequest("POST", payload, {}));
    expect(taken.status).toBe(200);
    const { leadId } = await taken.json<{ leadId: string }>();
    expect(await entity(project, leadId)).toMatchObject({
      name: "Gary Google",
      data: {
        phone: "+15557771234",
        gclid: "TeSt-gclid",
        sourceLeadId: payload.lead_id,
        message: "What do you need?: Blocked drain",
      },
    });
    const again = await request(url, jsonRequest("POST", payload, {}));
    expect(await again.json()).toMatchObject({ leadId, duplicate: true });
    const forged = await request(url, jsonRequest("POST", { ...payload, google_key: "guess" }, {}));
    expect(forged.status).toBe(401);
  });

  it("a WordPress form post is verified by the shared secret header", async () => {
    const project = await projectWithVoice("intake-wp");
    await scriptPhone(project.ownerPhone, { answer: "no-answer" });
    const form = new URLSearchParams({
      "your-name": "Wendy Press",
      "your-phone": "555-303-4455",
      "your-message": "Quote",
    });
    const post = (secret: string) =>
      request(`/webhooks/leads/wordpress?project=${project.tenant.projectId}`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", "x-apex-secret": secret },
        body: form.toString(),
      });
    expect((await post("wrong-secret-0000000000")).status).toBe(401);
    const taken = await post("wordpress-secret-0123456789");
    expect(taken.status).toBe(200);
    const lead = await entity(project, (await taken.json<{ leadId: string }>()).leadId);
    expect(lead).toMatchObject({
      name: "Wendy Press",
      data: { phone: "+15553034455", message: "Quote", source: "wordpress" },
    });
  });

  it("bad input is a 422 naming the field and stores nothing; a wrong token is a 401", async () => {
    const project = await projectWithVoice("intake-bad");
    const bad = await postLead(project, { name: "No Number", phone: "call me maybe" });
    expect(bad.status).toBe(422);
    expect(bad.headers.get("content-type")).toContain("application/problem+json");
    expect((await bad.json<{ errors: { field: string }[] }>()).errors[0]?.field).toBe("phone");
    const none = await postLead(project, { name: "Nothing" });
    expect((await none.json<{ errors: { field: string }[] }>()).errors[0]?.field).toBe("phone");
    const leads = await (await request("/api/v1/entities?type=lead", { headers: project.tenant.auth })).json<{
      items: unknown[];
    }>();
    expect(leads.items).toHaveLength(0);
    const unauthorized = await request(
      `/webhooks/leads/form?project=${project.tenant.projectId}&token=nope-nope-nope-nope`,
      jsonRequest("POST", { name: "X", phone: "5552223333" }, {}),
    );
    expect(unauthorized.status).toBe(401);
  });

  it("100 concurrent copies of one lead make one lead and one dial", async () => {
    const project = await projectWithVoice("intake-storm");
    await scriptPhone(project.ownerPhone, { answer: "no-answer" });
    const phone = testPhone();
    const answers = await Promise.all(
      Array.from({ length: 100 }, () => postLead(project, { name: "Storm Sally", phone, message: "Flood!" })),
    );
    expect(answers.map((a) => a.status).filter((status) => status !== 200)).toEqual([]);
    const bodies = await Promise.all(answers.map((a) => a.json<{ leadId: string; ticketId?: string }>()));
    expect(new Set(bodies.map((b) => b.leadId)).size).toBe(1);
    const tickets = bodies.filter((b) => b.ticketId);
    expect(tickets).toHaveLength(1);
    const ticketId = tickets[0]?.ticketId as string;
    await deliverTwilioWebhooks(project.tenant.tenantId, async () => {
      const calls = (await simCalls()).filter((c) => c.to === project.ownerPhone);
      return (await ticket(project, ticketId)).status === "completed" && calls.some((c) => c.status === "no-answer");
    });
    expect((await simCalls()).filter((c) => c.to === project.ownerPhone)).toHaveLength(1);
  });
});

describe("the bridge call", () => {
  it("lead → owner dialled → presses 1 → customer dialled → callbacks update the call and the lead, live", async () => {
    const project = await projectWithVoice("bridge-happy");
    const customer = testPhone();
    const ownerSays = "Hi Connie, it's the plumber returning your request.";
    const customerSays = "Thanks for calling. The pipe under the bathroom sink is leaking.";
    await scriptPhone(project.ownerPhone, { answer: "answer", press: "1", says: ownerSays });
    await scriptPhone(customer, { answer: "answer", talkSeconds: 95, says: customerSays });
    const { leadId, ticketId } = await (
      await postLead(project, { name: "Connie Connect", phone: customer, message: "leaking pipe" })
    ).json<{ leadId: string; ticketId: string }>();

    let callId = "";
    await deliverTwilioWebhooks(project.tenant.tenantId, async () => {
      const lead = await entity(project, leadId);
      callId = (lead.system.bridge as { callId?: string } | undefined)?.callId ?? "";
      // The whole chain: recording stored → transcribed → analyzed (Gemini simulator).
      if (!callId || !lead.system.analysis) return false;
      const call = await entity(project, callId);
      return call.status === "completed";
    });

    expect((await ticket(project, ticketId)).status).toBe("completed");
    const [ownerLeg] = (await simCalls()).filter((c) => c.to === project.ownerPhone);
    expect(ownerLeg?.from).toBe(project.trackingNumber);
    expect(ownerLeg?.steps).toContain("say:New lead from form: Connie Connect, leaking pipe. Press 1 to connect.");
    expect(ownerLeg?.steps).toContain("gather:1");
    expect(ownerLeg?.steps).toContain(`dial:${customer}`);

    const call = await entity(project, callId);
    const steps = (call.system.timeline as { status: string }[]).map((s) => s.status);
    expect(steps).toEqual(
      expect.arrayContaining([
        "queued",
        "initiated",
        "ringing",
        "in-progress",
        "connecting-customer",
        "customer-completed",
        "recording-ready",
        "completed",
      ]),
    );
    expect(call.system).toMatchObject({
      connected: true,
      durationSeconds: 95,
      recording: { stored: true, channels: 2 },
    });
    const recordingSid = (call.system.recording as { sid: string }).sid;
    const recordingKey = `recordings/${project.tenant.tenantId}/${callId}/${recordingSid}.wav`;
    expect((await env.ARCHIVE.head(recordingKey))?.size).toBeGreaterThan(44);
    const audio = await request(`/api/v1/calls/${callId}/recording`, { headers: project.tenant.auth });
    expect(audio.status).toBe(200);
    expect(audio.headers.get("content-type")).toBe("audio/wav");
    expect(new TextDecoder().decode((await audio.arrayBuffer()).slice(0, 4))).toBe("RIFF");

    const lead = await entity(project, leadId);
    expect(lead).toMatchObject({
      status: "contacted",
      system: {
        bridge: { status: "connected" },
        transcription: "done",
        analysis: { callId, provider: "gemini", promptVersion: "analyze-call/1" },
      },
    });
    const analysis = lead.system.analysis as { sentiment: string; urgency: string; summary: string };
    expect(["positive", "neutral", "negative"]).toContain(analysis.sentiment);
    expect(analysis.summary.length).toBeGreaterThan(0);
    // The transcript holds what the two people said, in order: nothing invented around it.
    expect((call.system.transcript as { text: string }).text).toBe(`${ownerSays}\n${customerSays}`);

    const page = await (
      await request(`/api/v1/realtime/poll?channels=entity:${callId}&cursor=0`, { headers: project.tenant.auth })
    ).json<{ events: { seq: number; data: { status: string } }[] }>();
    const seen = page.events.map((e) => e.data.status);
    expect(seen).toEqual(expect.arrayContaining(["queued", "ringing", "in-progress", "completed"]));
    const seqs = page.events.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));

    const usage = await (
      await request(`/api/v1/projects/${project.tenant.projectId}/usage`, { headers: project.tenant.auth })
    ).json<{ resources: { resource: string; quantity: number; uses: number }[] }>();
    // Two legs of about 95 s each, billed apiece: the owner's call and the customer's.
    expect(usage.resources.find((r) => r.resource === "voice_minute")).toMatchObject({ quantity: 4, uses: 2 });
    expect(usage.resources.find((r) => r.resource === "recording_minute")).toMatchObject({ quantity: 2, uses: 1 });
  });

  it("an owner who doesn't answer gets an SMS, the customer one text-back, and nobody is dialled twice", async () => {
    const project = await projectWithVoice("bridge-missed");
    const customer = testPhone();
    await scriptPhone(project.ownerPhone, { answer: "no-answer" });
    const { leadId } = await (await postLead(project, { name: "Miss Ed", phone: customer })).json<{ leadId: string }>();
    await deliverTwilioWebhooks(project.tenant.tenantId, async () => {
      const lead = await entity(project, leadId);
      return (lead.system.bridge as { status?: string } | undefined)?.status === "missed";
    });
    const messages = await simMessages();
    expect(messages.filter((m) => m.to === project.ownerPhone && m.body.startsWith("Missed:"))).toHaveLength(1);
    expect(messages.filter((m) => m.to === customer)).toHaveLength(1);
    expect((await simCalls()).filter((c) => c.to === project.ownerPhone)).toHaveLength(1);
    // A person pressing "call now" gets a new bridge; the automatic one never repeats.
    const again = await request(
      "/api/v1/tasks/sales_agent",
      jsonRequest(
        "POST",
        { params: { leadId, projectId: project.tenant.projectId, attempt: "call-now-1" } },
        project.tenant.auth,
      ),
    );
    expect(again.status).toBe(202);
    const { id: againTicket } = await again.json<{ id: string }>();
    expect((await settledTicket(project, againTicket)).result).toMatchObject({ outcome: "dialing" });
    expect((await simCalls()).filter((c) => c.to === project.ownerPhone)).toHaveLength(2);
  });

  it("a call Twilio placed but whose answer was lost is never dialled again by a retry", async () => {
    const project = await projectWithVoice("bridge-lost");
    await scriptPhone(project.ownerPhone, { answer: "no-answer", lostResponse: true });
    const { ticketId } = await (await postLead(project, { name: "Lost Lou", phone: testPhone() })).json<{
      ticketId: string;
    }>();
    const done = await settledTicket(project, ticketId);
    expect(done.status).toBe("completed");
    expect(done.result).toMatchObject({ outcome: "dialing", callSid: "unknown" });
    await deliverTwilioWebhooks(project.tenant.tenantId, async () => true, 2_000);
    expect((await simCalls()).filter((c) => c.to === project.ownerPhone)).toHaveLength(1);
  });

  it("outside business hours the owner gets an SMS and the call waits for opening time", async () => {
    const tomorrow = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"][(new Date().getUTCDay() + 2) % 7] as string;
    const project = await projectWithVoice("bridge-quiet", {
      timezone: "UTC",
      businessHours: { [tomorrow]: [["09:00", "17:00"]] },
    });
    const customer = testPhone();
    const { ticketId } = await (await postLead(project, { name: "Night Owl", phone: customer })).json<{
      ticketId: string;
    }>();
    const done = await settledTicket(project, ticketId);
    expect(done.status).toBe("completed");
    expect(done.result?.outcome).toBe("scheduled");
    expect((await simCalls()).filter((c) => c.to === project.ownerPhone || c.to === customer)).toHaveLength(0);
    const owner = (await simMessages()).filter((m) => m.to === project.ownerPhone);
    expect(owner).toHaveLength(1);
    expect(owner[0]?.body).toContain("after hours");
  });

  it("a customer who texted STOP is never called or texted", async () => {
    const project = await projectWithVoice("bridge-stop");
    const customer = testPhone();
    await configureNumber(project.trackingNumber, {
      smsUrl: `${env.PUBLIC_BASE_URL}/webhooks/twilio/sms?project=${project.tenant.projectId}`,
    });
    // The simulator answers this only once its webhook to Apex has been delivered and answered.
    let answered = false;
    const stop = simulateInboundSms({ from: customer, to: project.trackingNumber, body: "STOP" }).then(() => {
      answered = true;
    });
    const delivered = await deliverTwilioWebhooks(project.tenant.projectId, async () => answered);
    expect(delivered[0]?.body).toContain("unsubscribed");
    await stop;
    const { ticketId } = await (await postLead(project, { name: "Opted Out", phone: customer })).json<{
      ticketId: string;
    }>();
    const done = await settledTicket(project, ticketId);
    expect(done.result).toMatchObject({ outcome: "skipped", reason: expect.stringContaining("opted out") });
    expect((await simCalls()).filter((c) => c.to === customer || c.to === project.ownerPhone)).toHaveLength(0);
    expect((await simMessages()).filter((m) => m.to === customer)).toHaveLength(0);
    const leads = await (await request("/api/v1/entities?type=lead", { headers: project.tenant.auth })).json<{
      items: Entity[];
    }>();
    const leadId = leads.items[0]?.id ?? "";
    const typed = await request(
      `/api/v1/leads/${leadId}/sms`,
      jsonRequest("POST", { body: "Hi!" }, project.tenant.auth),
    );
    expect(typed.status).toBe(409);
    expect((await simMessages()).filter((m) => m.to === customer)).toHaveLength(0);
  });
});

describe("inbound calls", () => {
  const leadsWithPhone = async (project: Project, phone: string) =>
    (
      await (
        await request("/api/v1/entities?type=lead&limit=100", { headers: project.tenant.auth })
      ).json<{ items: Entity[] }>()
    ).items.filter((l) => l.data.phone === phone);

  it("a call to the tracking number is forwarded to the owner, recorded, and lands on the caller's lead", async () => {
    const project = await projectWithVoice("inbound-answered");
    const caller = testPhone();
    await scriptPhone(project.ownerPhone, { answer: "answer", talkSeconds: 30 });
    await configureNumber(project.trackingNumber, {
      voiceUrl: `${env.PUBLIC_BASE_URL}/webhooks/twilio/inbound?project=${project.tenant.projectId}`,
    });
    await simulateInboundCall({ from: caller, to: project.trackingNumber });
    let lead: Entity | undefined;
    await deliverTwilioWebhooks([project.tenant.projectId, project.tenant.tenantId], async () => {
      [lead] = await leadsWithPhone(project, caller);
      return typeof lead?.system.transcription === "string";
    });
    expect(lead).toMatchObject({ data: { source: "phone-call", phone: caller } });
    const [inbound] = (await simCalls()).filter((c) => c.from === caller && c.direction === "inbound");
    expect(inbound?.steps).toContain(`dial:${project.ownerPhone}`);
    expect(inbound?.steps.some((s) => s.startsWith("recording:RE"))).toBe(true);
    expect((await simMessages()).filter((m) => m.to === caller)).toHaveLength(0);
  });

  it("a caller who misses the owner three times gets one text-back and one lead", async () => {
    const project = await projectWithVoice("inbound-missed");
    const caller = testPhone();
    await scriptPhone(project.ownerPhone, { answer: "no-answer" });
    await configureNumber(project.trackingNumber, {
      voiceUrl: `${env.PUBLIC_BASE_URL}/webhooks/twilio/inbound?project=${project.tenant.projectId}`,
    });
    let lastFollowUp: unknown;
    for (let attempt = 1; attempt <= 3; attempt++) {
      await simulateInboundCall({ from: caller, to: project.trackingNumber });
      // Settled when this attempt's follow-up (queued) has stamped the lead anew.
      await deliverTwilioWebhooks([project.tenant.projectId, project.tenant.tenantId], async () => {
        const [lead] = await leadsWithPhone(project, caller);
        const stamp = lead?.system.lastMissedCallAt;
        if (!stamp || stamp === lastFollowUp) return false;
        lastFollowUp = stamp;
        return true;
      });
    }
    expect((await simMessages()).filter((m) => m.to === caller)).toHaveLength(1);
    expect(await leadsWithPhone(project, caller)).toHaveLength(1);
  });
});

describe("speed-to-lead settings", () => {
  it("answer at /speed-to-lead-settings and, the same, at the deprecated /voice-settings", async () => {
    const project = await projectWithVoice("settings-alias");
    const base = `/api/v1/projects/${project.tenant.projectId}`;
    const current = await request(`${base}/speed-to-lead-settings`, { headers: project.tenant.auth });
    const alias = await request(`${base}/voice-settings`, { headers: project.tenant.auth });
    expect(current.status).toBe(200);
    expect(alias.headers.get("etag")).toBe(current.headers.get("etag"));
    const settings = await current.json<{ ownerPhone: string }>();
    expect(settings.ownerPhone).toBe(project.ownerPhone);
    expect(await alias.json()).toEqual(settings);
  });
});

describe("Twilio webhooks", () => {
  const token = "dev-twilio-auth-token";

  async function answeredCall(label: string) {
    const project = await projectWithVoice(label);
    await scriptPhone(project.ownerPhone, { answer: "no-answer" });
    const { leadId } = await (await postLead(project, { name: "Hook Test", phone: testPhone() })).json<{
      leadId: string;
    }>();
    await deliverTwilioWebhooks(project.tenant.tenantId, async () => {
      const lead = await entity(project, leadId);
      return (lead.system.bridge as { status?: string } | undefined)?.status === "missed";
    });
    const callId = ((await entity(project, leadId)).system.bridge as { callId: string }).callId;
    return { project, callId };
  }

  const signedStatus = (tenantId: string, callId: string, params: Record<string, string>, signParams = params) => {
    const url = `${env.PUBLIC_BASE_URL}/webhooks/twilio/status?tenant=${tenantId}&call=${callId}`;
    return request(new URL(url).pathname + new URL(url).search, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        "x-twilio-signature": twilio.getExpectedTwilioSignature(token, url, signParams),
      },
      body: new URLSearchParams(params).toString(),
    });
  };

  it("a forged or re-signed-for-other-params webhook gets 403 and changes nothing", async () => {
    const { project, callId } = await answeredCall("hooks-forged");
    const before = await entity(project, callId);
    const params = { CallSid: "CAforged", CallStatus: "completed", CallDuration: "600" };
    const forged = await request(`/webhooks/twilio/status?tenant=${project.tenant.tenantId}&call=${callId}`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": "bm90IGEgc2lnbmF0dXJl" },
      body: new URLSearchParams(params).toString(),
    });
    expect(forged.status).toBe(403);
    const tampered = await signedStatus(project.tenant.tenantId, callId, params, { ...params, CallDuration: "6" });
    expect(tampered.status).toBe(403);
    expect((await entity(project, callId)).version).toBe(before.version);
  });

  it("a duplicated genuine status callback changes nothing the second time", async () => {
    const { project, callId } = await answeredCall("hooks-dup");
    const params = { CallSid: "CAduplicate", CallStatus: "canceled", CallDuration: "0" };
    expect((await signedStatus(project.tenant.tenantId, callId, params)).status).toBe(204);
    const once = await entity(project, callId);
    expect((await signedStatus(project.tenant.tenantId, callId, params)).status).toBe(204);
    expect((await entity(project, callId)).version).toBe(once.version);
  });

  it("the signature is checked against PUBLIC_BASE_URL, not the Host header", async () => {
    const { project, callId } = await answeredCall("hooks-host");
    const params = { CallSid: "CAhost", CallStatus: "busy" };
    const hostUrl = `http://apex.test/webhooks/twilio/status?tenant=${project.tenant.tenantId}&call=${callId}`;
    const response = await request(new URL(hostUrl).pathname + new URL(hostUrl).search, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        "x-twilio-signature": twilio.getExpectedTwilioSignature(token, hostUrl, params),
      },
      body: new URLSearchParams(params).toString(),
    });
    expect(response.status).toBe(403);
  });
});
