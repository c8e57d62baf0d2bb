import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { request } from "./helpers";
import { jsonRequest, signUpTenant } from "./tenants";
import {
  configureNumber,
  deliverTwilioWebhooks,
  scriptPhone,
  simCalls,
  simMessages,
  simulateInboundCall,
  testPhone,
} from "./twilio";

/** Missed inbound calls (#14 item 5): voicemail, analysed like a call, announced to the owner. */
interface Entity {
  id: string;
  data: Record<string, unknown>;
  system: Record<string, unknown>;
}

async function inboundProject(label: string) {
  const tenant = await signUpTenant(label);
  const ownerPhone = testPhone();
  const trackingNumber = testPhone();
  const path = `/api/v1/projects/${tenant.projectId}/speed-to-lead-settings`;
  const etag = (await request(path, { headers: tenant.auth })).headers.get("etag") ?? "";
  await request(path, jsonRequest("PUT", { ownerPhone, trackingNumber }, { ...tenant.auth, "if-match": etag }));
  await scriptPhone(ownerPhone, { answer: "no-answer" });
  await configureNumber(trackingNumber, {
    voiceUrl: `${env.PUBLIC_BASE_URL}/webhooks/twilio/inbound?project=${tenant.projectId}`,
  });
  return { tenant, ownerPhone, trackingNumber };
}

const leadOf = async (auth: Record<string, string>, phone: string) =>
  (
    await (await request("/api/v1/entities?type=lead&limit=100", { headers: auth })).json<{ items: Entity[] }>()
  ).items.find((l) => l.data.phone === phone);

describe("a missed inbound call", () => {
  it("takes a voicemail, analyses it, texts the owner who called, what they said and a call-back link", async () => {
    const { tenant, ownerPhone, trackingNumber } = await inboundProject("voicemail");
    const caller = testPhone();
    const said = "Hi, this is Vera. The water heater is leaking all over the garage, please call me back.";
    await scriptPhone(caller, { voicemailSeconds: 25, says: said });
    await simulateInboundCall({ from: caller, to: trackingNumber });
    const ownerAlert = async () =>
      (await simMessages()).find((m) => m.to === ownerPhone && m.body.startsWith("Voicemail from"));
    await deliverTwilioWebhooks([tenant.projectId, tenant.tenantId], async () => Boolean(await ownerAlert()), 30_000);
    const lead = await leadOf(tenant.auth, caller);
    const alert = await ownerAlert();
    expect(alert?.body).toContain(`Voicemail from ${caller}: `);
    expect(alert?.body).toContain(`Call back: ${env.PUBLIC_BASE_URL}/leads/${lead?.id}`);
    const [inbound] = (await simCalls()).filter((c) => c.from === caller && c.direction === "inbound");
    expect(inbound?.steps).toEqual(expect.arrayContaining(["beep", "record:25s"]));
    // The message is analysed like a call, and the caller still gets the one text-back.
    expect(lead?.system.analysis).toMatchObject({ basis: "transcript" });
    const call = (
      await (
        await request(`/api/v1/entities?type=call&limit=100`, { headers: tenant.auth })
      ).json<{
        items: Entity[];
      }>()
    ).items.find((c) => c.system.voicemail && c.system.from === caller);
    expect((call?.system.transcript as { text: string } | undefined)?.text).toBe(said);
    expect((await simMessages()).filter((m) => m.to === caller)).toHaveLength(1);
  });

  it("a caller who hangs up at the beep leaves no voicemail and the owner gets no voicemail alert", async () => {
    const { tenant, ownerPhone, trackingNumber } = await inboundProject("voicemail-none");
    const caller = testPhone();
    await simulateInboundCall({ from: caller, to: trackingNumber });
    await deliverTwilioWebhooks([tenant.projectId, tenant.tenantId], async () => {
      const lead = await leadOf(tenant.auth, caller);
      return typeof lead?.system.lastMissedCallAt === "string";
    });
    const [inbound] = (await simCalls()).filter((c) => c.from === caller && c.direction === "inbound");
    expect(inbound?.steps).toContain("record:0s");
    expect((await simMessages()).filter((m) => m.to === ownerPhone && m.body.startsWith("Voicemail"))).toHaveLength(0);
  });
});
