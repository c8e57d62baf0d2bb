import twilio from "twilio";
import { describe, expect, it } from "vitest";
import { validTwilioSignature } from "./signature";

// The whole twilio package signs here, as Twilio does: the Worker's validator,
// imported alone from the library, must agree with it byte for byte.
const token = "a-twilio-auth-token";
const url = "https://apex.example.com/webhooks/twilio/status?tenant=t1&call=c1";
const params = { CallSid: "CA0123", CallStatus: "completed", From: "+15550100001", Digits: "1 & 2 'quoted'" };
const signed = twilio.getExpectedTwilioSignature(token, url, params);

describe("validTwilioSignature", () => {
  it("accepts the signature the twilio package computes for the same URL and form", () => {
    expect(validTwilioSignature(token, signed, url, params)).toBe(true);
  });

  it("accepts it whatever order the form's fields arrive in", () => {
    const reordered = Object.fromEntries(Object.entries(params).reverse());
    expect(validTwilioSignature(token, signed, url, reordered)).toBe(true);
  });

  it("refuses a form whose field was changed after signing", () => {
    expect(validTwilioSignature(token, signed, url, { ...params, CallStatus: "busy" })).toBe(false);
  });

  it("refuses a signature made for another URL", () => {
    expect(validTwilioSignature(token, signed, url.replace("t1", "t2"), params)).toBe(false);
  });

  it("refuses a signature made with another auth token", () => {
    const forged = twilio.getExpectedTwilioSignature("another-token", url, params);
    expect(validTwilioSignature(token, forged, url, params)).toBe(false);
  });

  it("refuses everything when no auth token is configured or no signature is sent", () => {
    expect(validTwilioSignature(undefined, signed, url, params)).toBe(false);
    expect(validTwilioSignature(token, undefined, url, params)).toBe(false);
  });
});
