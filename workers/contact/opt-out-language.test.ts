import { describe, expect, it } from "vitest";
import { optOutIntent } from "./opt-out-language";

describe("optOutIntent", () => {
  it.each([
    ["STOP", "STOP"],
    ["stop in lower case", "stop"],
    ["STOPALL", "STOPALL"],
    ["STOP ALL with a space", "STOP ALL"],
    ["UNSUBSCRIBE", "Unsubscribe"],
    ["CANCEL", "CANCEL"],
    ["END", "End"],
    ["QUIT", "quit"],
    ["OPTOUT", "OPTOUT"],
    ["OPT-OUT with a hyphen", "opt-out"],
    ["REVOKE", "REVOKE"],
    ["a keyword with a full stop and spaces", "  Stop.  "],
    ["a keyword with an emoji", "STOP 🛑"],
    ["a keyword in full-width letters", "ＳＴＯＰ"],
    ["the Spanish BAJA", "Baja"],
    ["the Spanish ALTO", "ALTO!"],
  ])("treats the carrier keyword %s as an opt-out", (_name, body) => {
    expect(optOutIntent(body)).toBe("opt-out");
  });

  it.each([
    ["stop texting me", "stop texting me"],
    ["a polite request to stop messaging", "Please stop messaging me."],
    ["stop calling my number", "Stop calling my number"],
    ["stop sending texts", "can you stop sending me these texts"],
    ["unsubscribe me", "unsubscribe me"],
    ["a question about unsubscribing", "how do I unsubscribe?"],
    ["opt me out", "opt me out please"],
    ["remove me from your list", "Remove me from your list"],
    ["take me off your list", "take me off your list thanks"],
    ["delete my number", "Please delete my number"],
    ["don't text me again, with a curly apostrophe", "Don’t text me again"],
    ["do not contact me", "Do not contact me"],
    ["do not contact me after another sentence", "Wrong number. Do not contact me, thanks"],
    ["never call me again", "never call me again"],
    ["leave me alone", "leave me alone!!"],
    ["wrong number, stop", "wrong number, stop"],
    ["shouted STOP with exclamation marks", "STOP!!!"],
    ["stop as its own sentence after another", "This is not Dave. Stop."],
    ["no more texts", "no more texts please"],
    ["I don't want any more messages", "I don't want any more messages from you"],
    ["no me envíes", "No me envíes más mensajes"],
    ["no me envies, typed without the accent", "no me envies"],
    ["dame de baja", "Por favor dame de baja"],
  ])("treats the free text '%s' as an opt-out", (_name, body) => {
    expect(optOutIntent(body)).toBe("opt-out");
  });

  it.each([
    ["asking someone to stop by", "can you stop by tomorrow?"],
    ["a leak that won't stop", "the leak won't stop"],
    ["end of the day", "end of the day works"],
    ["cancelling an appointment", "I'd like to cancel my appointment for Tuesday and rebook"],
    ["don't stop the work", "don't stop the work"],
    ["quitting smoking", "quit smoking"],
    ["a time to call", "Please don't call me before 9, I work nights"],
    ["texts instead of calls", "don't call me, text me instead"],
    ["a moment's reason not to text", "don't text me, I'm driving"],
    ["the schedule, not a list", "take me off the schedule for Tuesday"],
    ["a negated opt-out", "please don't stop texting me, the updates help"],
    ["an invoice, not messages", "stop sending the invoice to my old email"],
    ["a warranty, not messages", "can I opt out of the extended warranty?"],
    ["a wrong number with no stop", "I gave you the wrong number, use 555-0100"],
    ["yes with more words", "Yes please come Tuesday"],
    ["help with more words", "Help! water everywhere"],
    ["info with more words", "I need info on pricing"],
    ["a time in Spanish", "no me llames hasta las 5"],
    ["an object key", "constructor"],
    ["an empty message", ""],
    ["only emoji", "👍"],
  ])("does not read %s as anything", (_name, body) => {
    expect(optOutIntent(body)).toBeUndefined();
  });

  it.each([
    ["START", "START"],
    ["YES", "yes"],
    ["YES with an exclamation mark", "Yes!"],
    ["UNSTOP", "Unstop"],
  ])("treats the carrier keyword %s as an opt-in", (_name, body) => {
    expect(optOutIntent(body)).toBe("opt-in");
  });

  it.each([
    ["HELP", "HELP"],
    ["help with a question mark", "help?"],
    ["INFO", "Info."],
  ])("treats the carrier keyword %s as a request for help", (_name, body) => {
    expect(optOutIntent(body)).toBe("help");
  });
});
