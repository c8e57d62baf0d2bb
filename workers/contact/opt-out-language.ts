/**
 * What an inbound text asks of the contact policy: to stop, to start again,
 * or for help.
 *
 * The rule, in two tiers:
 * 1. Carrier keywords — Twilio's defaults (Advanced Opt-Out): STOP, STOPALL,
 *    UNSUBSCRIBE, CANCEL, END, QUIT, OPTOUT, REVOKE to stop; START, YES,
 *    UNSTOP to start; HELP, INFO for help; plus STOP ALL, OPT OUT and the
 *    Spanish BAJA and ALTO — count only as the whole message,
 *    ignoring case, punctuation and emoji, exactly as the carrier and Twilio
 *    do, so Apex's ledger and Twilio's block list agree. A bare YES is an
 *    opt-in only in that sense: it matters for a number that has opted out.
 * 2. Free text counts only as an opt-out, and only in phrasings that cannot
 *    mean anything else: "stop" with a contact verb and its object ("stop
 *    texting me"), being taken off a list, "leave me alone", "don't text me
 *    again", "stop" standing alone as a sentence ("Wrong number, stop"), and a
 *    few Spanish equivalents. Precision wins over recall here: after a missed
 *    phrasing the customer still has STOP, which always works, while a false positive silences a
 *    customer who only wanted to move an appointment ("cancel my appointment",
 *    "can you stop by") — so the words that also mean something ordinary
 *    (cancel, end, quit) never count outside tier 1, and a negation ("don't stop
 *    texting me") defeats a match.
 */
export type OptOutIntent = "opt-out" | "opt-in" | "help";

// A Map, not an object literal, so a message reading "constructor" finds nothing.
const KEYWORDS = new Map<string, OptOutIntent>(
  Object.entries({
    stop: "opt-out",
    stopall: "opt-out",
    "stop all": "opt-out",
    unsubscribe: "opt-out",
    cancel: "opt-out",
    end: "opt-out",
    quit: "opt-out",
    optout: "opt-out",
    "opt out": "opt-out",
    revoke: "opt-out",
    // Spanish, as a whole message.
    baja: "opt-out",
    alto: "opt-out",
    start: "opt-in",
    yes: "opt-in",
    unstop: "opt-in",
    help: "help",
    info: "help",
  } satisfies Record<string, OptOutIntent>),
);

/** Lower-case letters and digits separated by single spaces: accents, apostrophes, punctuation and emoji gone. */
function words(text: string): string {
  return text
    .normalize("NFKC")
    .toLowerCase()
    .normalize("NFD")
    .replace(/\p{M}+/gu, "")
    .replace(/['’ʼ`´]/g, "") // "don't" → "dont", whichever apostrophe the phone typed
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim();
}

/** The sentences and comma-separated parts of a message, each as words. */
function clauses(text: string): string[] {
  return text
    .normalize("NFKC")
    .split(/[.!?;,:\n\r…()"“”¡¿]+|\s[-–—]+\s/)
    .map(words)
    .filter(Boolean);
}

// Building blocks of the free-text phrasings, over `words()` output.
const NOT = String.raw`(?<!\b(?:dont|do not|didnt|did not|wont|will not|never|not|cant|cannot|shouldnt|should not|please dont) )`;
const CONTACTING = "(?:texting|txting|messaging|msging|calling|contacting|emailing|bothering|spamming|harassing)";
const ME = "(?:me|us|my (?:phone|cell|number|phone number|cell number)|this (?:phone|number|phone number))";
const MESSAGES = "(?:texts?|txts?|text messages?|messages?|msgs?|sms|calls|emails|spam)";
const CONTACT = "(?:text|txt|message|msg|call|contact|email|sms|bother)";
/** Words that may trail a phrase without changing what it means, up to the end. */
const TAIL =
  "(?: (?:please|pls|plz|thanks|thank you|thx|again|anymore|any more|ever|ever again|now|right now|ok|okay|asap|immediately|seriously))*$";
const LIST =
  "(?:(?:your|the|this|ur|all|any|these|those|ya)\\s+)*(?:(?:mailing|text|texting|sms|contact|call|calling|marketing|email|messaging|distribution)\\s+)?(?:lists?|texts?|messages?|contacts?|database|system|records?|texting|here|this)";
const SPANISH_CONTACT =
  "(?:envies|envie|envien|mandes|mande|manden|escribas|escriba|escriban|llames|llame|llamen|contactes|contacte|contacten|molestes|moleste|molesten)";

/** Phrasings that are an opt-out wherever they stand; each is tested sentence by sentence. */
const IN_ANY_SENTENCE: RegExp[] = [
  // "Wrong number, stop" · "STOP!!!" · "Please stop." — stop (or unsubscribe) as a sentence of its own.
  new RegExp(`^(?:please |pls )?(?:stop(?: stop)*|stopall|stop all|unsubscribe|optout|opt out)${TAIL}`),
  // "stop texting me" · "please stop messaging us" · "quit calling my number"
  new RegExp(`${NOT}\\b(?:stop|quit|cease) ${CONTACTING} ${ME}\\b`),
  // "stop sending me texts" · "stop sending these messages"
  new RegExp(
    `${NOT}\\b(?:stop|quit) sending (?:me |us )?(?:(?:any|these|those|your|the|all|all these|all the|more) )?${MESSAGES}\\b`,
  ),
  // "unsubscribe me" · "how do I unsubscribe"
  new RegExp(`${NOT}\\bunsubscribe\\b`),
  // "opt me out of these texts" — but not opting out of a warranty.
  new RegExp(`${NOT}\\bopt (?:me |us )?out of ${LIST}\\b`),
  // "remove me from your list" · "take me off your list" · "delete my number from your system"
  new RegExp(`${NOT}\\b(?:remove|take|delete|drop|erase) ${ME} (?:from|off|out of) ${LIST}\\b`),
  // "leave me alone"
  new RegExp(`${NOT}\\bleave (?:me|us) alone\\b`),
  // "don't text me again" · "never contact me anymore"
  new RegExp(
    `\\b(?:dont|do not|never) (?:ever )?${CONTACT} (?:${ME} )?(?:again|anymore|any more|no more|ever again)\\b`,
  ),
  // "I don't want any more texts" · "we do not want to be contacted"
  new RegExp(
    `\\b(?:i|we) (?:dont|do not) want (?:any more |anymore |more |any |your |these )?(?:${MESSAGES}|to be (?:contacted|texted|called)|to (?:receive|get) (?:any )?${MESSAGES})\\b`,
  ),
  // Spanish: "no me envíes más" · "dame de baja" · "no más mensajes"
  new RegExp(`\\bno me ${SPANISH_CONTACT} (?:mas|nunca)\\b`),
  /\b(?:da|dar|dame|darme|denme|deme|den) de baja\b/,
  /\bno mas (?:mensajes|textos|llamadas)\b/,
];

/**
 * Phrasings that are an opt-out only when they end the whole message, because
 * more words can turn them into something else: "don't call me" is one, but
 * "don't call me before 9" and "don't text me, I'm driving" are not.
 */
const ENDING_THE_MESSAGE: RegExp[] = [
  // "stop texting" · "quit calling please" — the object left out.
  new RegExp(`${NOT}\\b(?:stop|quit|cease) ${CONTACTING}${TAIL}`),
  // "opt me out" · "opt out please"
  new RegExp(`${NOT}\\bopt (?:me |us )?out${TAIL}`),
  // "please remove me" · "delete my number" · "lose my number"
  new RegExp(`${NOT}\\b(?:remove|delete|lose|erase) ${ME}${TAIL}`),
  // "do not contact me" · "don't text me"
  new RegExp(`\\b(?:dont|do not|never) (?:ever )?${CONTACT} ${ME}${TAIL}`),
  // "no more texts please" · "enough with the messages"
  new RegExp(`\\b(?:no more|enough with the|enough with) ${MESSAGES}${TAIL}`),
  // Spanish: "no me envíes" · "no me escribas por favor"
  new RegExp(`\\bno me ${SPANISH_CONTACT}(?: (?:mensajes|nada|por favor|porfa|gracias|ya|nunca mas|mas mensajes))*$`),
];

/** What an inbound text asks for, or undefined when it is an ordinary message. */
export function optOutIntent(body: string): OptOutIntent | undefined {
  const keyword = KEYWORDS.get(words(body));
  if (keyword) return keyword;
  const optingOut =
    clauses(body).some((clause) => IN_ANY_SENTENCE.some((pattern) => pattern.test(clause))) ||
    ENDING_THE_MESSAGE.some((pattern) => pattern.test(words(body)));
  return optingOut ? "opt-out" : undefined;
}
