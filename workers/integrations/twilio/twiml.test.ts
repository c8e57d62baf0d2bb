import twilio from "twilio";
import { describe, expect, it } from "vitest";
import { MessagingResponse, VoiceResponse } from "./twiml";

describe("TwiML builders", () => {
  it("a voice answer renders the same XML as the whole twilio package's builder", () => {
    const build = (twiml: InstanceType<typeof VoiceResponse>) => {
      twiml.say({ voice: "Polly.Joanna" }, "New lead: Ann & Bob's <plumbing>");
      twiml.gather({ numDigits: 1, timeout: 6, action: "https://apex.example.com/webhooks/twilio/gather?x=1&y=2" });
      twiml.dial({ callerId: "+15550100002" }).number("+15550100003");
      return twiml.toString();
    };
    expect(build(new VoiceResponse())).toBe(build(new twilio.twiml.VoiceResponse()));
    expect(build(new VoiceResponse())).toContain(
      '<Say voice="Polly.Joanna">New lead: Ann &amp; Bob\'s &lt;plumbing&gt;</Say>',
    );
  });

  it("a text answer renders Twilio's <Response><Message>", () => {
    const twiml = new MessagingResponse();
    twiml.message("You are unsubscribed.");
    expect(twiml.toString()).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response><Message>You are unsubscribed.</Message></Response>',
    );
  });
});
