import twilio from "twilio";

/** TwiML builders from the twilio library: what Apex answers Twilio's webhooks with. */
export const VoiceResponse = twilio.twiml.VoiceResponse;
export const MessagingResponse = twilio.twiml.MessagingResponse;
