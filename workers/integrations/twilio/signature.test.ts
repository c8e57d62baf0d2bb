import twilio from "twilio";
import { describe, expect, it } from "vitest";
import { validTwilioSignature } from "./signature";

// The whole twilio package signs here, as Twilio does: the Worker's validator,
// imported alone from the library, must agree with it byte for byte.
const env = { TWILIO_AUTH_TOKEN: "a-twilio-auth-token" };
const url = "https://apex.example.com/webhooks/twilio/status?tenant=t1&call=c1";
const params = { CallSid: "CA0123", CallStatus: "completed", From: "+15550100001", Digits: "1 & 2 'quoted'" };
const signed = twilio.getExpectedTwilioSignature(env.TWILIO_AUTH_TOKEN, url, params);

describe("validTwilioSignature", () => {
  it("accepts the signature the twilio package computes for the same URL and form", () => {
    expect(validTwilioSignature(env, signed, url, params)).toBe(true);
  });

  it("accepts it whatever order the form's fields arrive in", () => {
    const reordered = Object.fromEntries(Object.entries(params).reverse());
    expect(validTwilioSignature(env, signed, url, reordered)).toBe(true);
  });

  it("refuses a form whose field was changed after signing", () => {
    expect(validTwilioSignature(env, signed, url, { ...params, CallStatus: "busy" })).toBe(false);
  });

  it("refuses a signature made for another URL", () => {
    expect(validTwilioSignature(env, signed, url.replace("t1", "t2"), params)).toBe(false);
  });

  it("refuses a signature made with another auth token", () => {
    const forged = twilio.getExpectedTwilioSignature("another-token", url, params);
    expect(validTwilioSignature(env, forged, url, params)).toBe(false);
  });

  it("refuses everything when no auth token is configured or no signature is sent", () => {
    expect(validTwilioSignature({}, signed, url, params)).toBe(false);
    expect(validTwilioSignature(env, undefined, url, params)).toBe(false);
  });
});
