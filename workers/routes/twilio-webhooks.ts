import { Hono } from "hono";
import { z } from "zod";
import { campaignDelivery } from "../campaigns/replies";
import { MessagingResponse } from "../integrations/twilio/twiml";
import { BODY_LIMITS, bodyLimit } from "../middleware/body-limit";
import { type TwilioEnv, twilioSignature } from "../middleware/twilio-signature";
import { problems } from "../problems";
import { customerDisclosure } from "../speed-to-lead/disclosure";
import { inboundCall, inboundSms } from "../speed-to-lead/inbound";
import {
  callStatus,
  connectTwiml,
  dialStatus,
  inboundCallEnded,
  inboundDialStatus,
  recordingReady,
  voicemailDoneTwiml,
  whisperTwiml,
} from "../speed-to-lead/twilio-callbacks";

/**
 * Twilio's voice and SMS webhooks. Not in the OpenAPI document: Twilio's own
 * documentation is their contract. Signed requests only (middleware/
 * twilio-signature.ts). Never 429: Twilio does not back off.
 */
const uuid = z.uuid();

const xml = (body: string) => new Response(body, { headers: { "content-type": "text/xml" } });

function callId(c: { req: { query(name: string): string | undefined } }): string {
  const id = c.req.query("call");
  if (!id || !uuid.safeParse(id).success) throw problems.validation([{ field: "call", message: "must be a call id" }]);
  return id;
}

export function twilioWebhookRoutes() {
  const app = new Hono<TwilioEnv>();
  // The limit first: the signature check reads the whole form to hash it.
  // It also builds the services (c.get("services")), acting as Twilio for the tenant the signed URL names.
  app.use("*", bodyLimit(BODY_LIMITS.twilio), twilioSignature);

  app.post("/whisper", async (c) => xml(await whisperTwiml(callId(c), c.get("services"))));

  // Each handler adapts HTTP only: the callback decides and starts its own follow-up.
  app.post("/connect", async (c) =>
    xml((await connectTwiml(callId(c), c.get("form").Digits ?? "", c.get("services"))).twiml),
  );

  // The customer leg's <Number url>: played to the customer before the bridge.
  app.post("/customer-disclosure", async (c) =>
    xml(await customerDisclosure(callId(c), c.get("form"), c.get("services"))),
  );

  app.post("/status", async (c) => {
    await callStatus(callId(c), c.get("form"), c.get("services"));
    return c.body(null, 204);
  });

  app.post("/dial-status", async (c) => xml((await dialStatus(callId(c), c.get("form"), c.get("services"))).twiml));

  app.post("/recording-status", async (c) => {
    await recordingReady(callId(c), c.get("form"), c.get("services"));
    return c.body(null, 204);
  });

  app.post("/inbound", async (c) =>
    xml(await inboundCall(c.req.query("project") ?? "", c.get("form"), c.get("services"))),
  );

  app.post("/inbound-status", async (c) =>
    xml((await inboundDialStatus(callId(c), c.get("form"), c.get("services"))).twiml),
  );

  // A tracking number's own status callback (set by Apex on numbers it buys or attaches).
  app.post("/number-status", async (c) => {
    await inboundCallEnded(c.req.query("project") ?? "", c.get("form"), c.get("services"));
    return c.body(null, 204);
  });

  // A campaign text's delivery report (the URL names tenant and campaign; the sid finds the recipient).
  app.post("/message-status", async (c) => {
    // A campaign's bookkeeping: it may wait behind a lead's call for the database (decision 030).
    c.set("databaseLane", "bulk");
    await campaignDelivery(c.get("form"), c.get("services"));
    return c.body(null, 204);
  });

  app.post("/voicemail-done", async (c) => {
    callId(c);
    return xml(voicemailDoneTwiml());
  });

  app.post("/sms", async (c) => {
    const project = c.req.query("project") ?? "";
    const { reply } = await inboundSms(project, c.get("form"), c.get("services"));
    const twiml = new MessagingResponse();
    if (reply) twiml.message(reply);
    return xml(twiml.toString());
  });

  return app;
}
