/**
 * TwiML builders from the twilio library: what Apex answers Twilio's webhooks
 * with. Imported one module each, so the Worker carries the builders and
 * xmlbuilder, not the REST client of every Twilio product.
 */
export { default as MessagingResponse } from "twilio/lib/twiml/MessagingResponse";
export { default as VoiceResponse } from "twilio/lib/twiml/VoiceResponse";
