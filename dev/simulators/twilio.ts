/**
 * Local Twilio. Speaks the REST subset Apex uses, on Twilio's 2010-04-01
 * paths with HTTP Basic auth, form-encoded requests and Twilio-shaped JSON and
 * errors ({code, message, more_info, status}):
 *
 *   Accounts          list, create a subaccount, fetch (Apex's health probe), update Status/FriendlyName
 *   Calls             create, fetch          Messages   create, fetch, list (To, From)
 *   Recordings        fetch (.json, or the audio as .wav/.mp3)
 *   AvailablePhoneNumbers/{US|CA}/Local      search by AreaCode, Contains, InRegion
 *   IncomingPhoneNumbers                     buy, list, fetch, update, release
 *
 * The simulator's own account (options.accountSid/authToken) is the main
 * account; it may act on its subaccounts, a subaccount only on itself. What a
 * subaccount creates — calls, messages, recordings, numbers — is its own, and
 * every webhook for it carries its AccountSid and is signed with its token
 * (twilio-rest.ts holds the accounts, the numbers and their handlers).
 *
 * Webhooks are signed exactly as Twilio signs them (X-Twilio-Signature:
 * base64 HMAC-SHA1 of the URL plus the sorted form parameters; for a GET, of
 * the full URL with its query and no parameters), a <Number url> included. An
 * inbound call whose voice URL fails — refused, reset, no answer within
 * webhookTimeoutMs (15 s, as Twilio), a non-2xx answer, or an answer that is
 * not TwiML — requests the number's voice fallback URL with ErrorCode (11200
 * HTTP, 11205 connection/timeout, 12100 bad TwiML) and ErrorUrl, and plays
 * that instead; the call's steps say so (`error:voice url failed (…)`,
 * `fallback:<url>`). Texts fall back to the sms fallback URL likewise.
 *
 * Texts: a Message is created queued (the REST answer), turns sent, then
 * delivered, on the recipient's timing (messageTiming: real ms, not
 * msPerSecond). With a StatusCallback, each later status is posted there as
 * Twilio posts it (MessageSid, MessageStatus, SmsStatus, AccountSid, From, To,
 * ApiVersion, ErrorCode when undelivered), signed with the account's token, in
 * order; none for queued, as Twilio. The recipient's script decides its fate:
 * refused in the REST answer with HTTP 400 and no Message (unsubscribed 21610,
 * invalid 21211), or accepted and ending undelivered (filtered 30007,
 * undeliverable 30003, unknown 30005). A sender over its pace (a token bucket
 * per From, off unless set) is answered 429, code 20429, and sends nothing.
 *
 * Phones are scripted through a control API, so a developer or a test can say
 * "the owner answers and presses 1", "the owner doesn't answer", "a customer
 * calls the tracking number":
 *
 *   PUT  /_sim/phones/{e164}   {"answer":"answer"|"no-answer"|"busy","press":"1"|null,"talkSeconds":42,
 *                               "voicemailSeconds":0 (as a caller: a message left at a <Record>),
 *                               "says":"…" (what this person says once connected, or into a voicemail),
 *                               "sms":"deliver"|"unsubscribed"|"invalid"|"filtered"|"undeliverable"|"unknown",
 *                               "messageTiming":{"sentMs":[100,300],"deliveredMs":[500,1500]} (or plain ms)}
 *   PUT  /_sim/senders/{e164}  {"perSecond":1,"burst":1}   (a From's pace; burst defaults to a second's worth;
 *                               {"perSecond":null} lifts it)
 *   PUT  /_sim/senders         {"perSecond":1}   (every other sender's pace; null, the default: no limit)
 *   GET  /_sim/senders         the default and each sender's pace
 *   PUT  /_sim/numbers/{e164}  {"voiceUrl":"…","smsUrl":"…"}   (a Twilio number's webhooks; also voiceMethod,
 *                               voiceFallbackUrl, voiceFallbackMethod, statusCallback, smsFallbackUrl, and
 *                               accountSid — the main account's unless said; it replaces the webhooks)
 *   GET  /_sim/numbers         every number, bought or configured, with its account and URLs
 *   GET  /_sim/accounts        every account, with its token and status
 *   POST /_sim/inbound-call    {"from":"+1…","to":"+1…"}
 *   POST /_sim/inbound-sms     {"from":"+1…","to":"+1…","body":"STOP"}
 *   GET  /_sim/calls, /_sim/messages   what happened, step by step; a message's history lists each status
 *                               with atMs (ms since the epoch) and its callbacks' answers, and `refused` lists
 *                               the texts the REST API turned away (code, httpStatus, atMs)
 *   POST /_sim/reset           forget phones, calls, messages, refusals and senders' paces
 *
 * Speech: the simulator has no voices. A recording is silence carrying, in a
 * standard WAV LIST/INFO comment chunk (ICMT), the words its scripted people
 * said (`says`), in the order they spoke; the Gemini simulator's transcription
 * reads them back. Nobody scripted to speak means a silent recording, which
 * transcribes to no words — never to a conversation nobody had.
 *
 * Webhooks are pushed to Apex over HTTP (npm run dev), or, in `pull` mode,
 * parked in an outbox that a test inside workerd takes from
 * (GET /_sim/outbox?wait=ms&match=substring-of-url → {id, url, method, params,
 * signature}) and answers (POST /_sim/outbox/{id} {status, body}) — the test
 * Worker has no port the simulator could reach. A GET item's url carries its
 * query and its params are empty. In pull mode nothing times out; an answer
 * with status 0 is a connection that failed, and any non-2xx answer (a 503 for
 * "the Worker is down") an HTTP failure.
 */
import { createHmac } from "node:crypto";
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import http from "node:http";
import { type HttpMethod, json, type SimNumber, sid, TwilioDirectory, twilioError } from "./twilio-rest.ts";
import { parseTwiml, type TwimlNode } from "./twiml.ts";

interface TwilioSimulatorOptions {
  port: number;
  accountSid: string;
  authToken: string;
  /** push (default): POST webhooks to their URLs. pull: park them for a test to deliver. */
  webhookMode?: "push" | "pull";
  /** Simulated seconds are this many real milliseconds (default 20). */
  msPerSecond?: number;
  /** How long a pushed webhook may take before it counts as failed (default 15000, as Twilio). */
  webhookTimeoutMs?: number;
  /** When an outbound text turns sent, then delivered (real ms, not msPerSecond; default DEFAULT_MESSAGE_TIMING). */
  messageTiming?: MessageTiming;
  /** Every sender's pace, texts per second, until PUT /_sim/senders says otherwise (default: no limit). */
  senderPerSecond?: number;
  /**
   * A file the texts Twilio accepted are appended to and read back from at
   * start, so a dev stack started again finds Twilio remembering what it sent
   * (the real Twilio does not restart with us). Without it, memory only.
   */
  messageJournal?: string;
  log?: (line: string) => void;
}

export interface TwilioSimulator {
  port: number;
  baseUrl: string;
  close(): Promise<void>;
}

interface PhoneScript {
  answer: "answer" | "no-answer" | "busy";
  /** The digit this phone presses at a Gather; null presses nothing. */
  press: string | null;
  talkSeconds: number;
  /** Fault injection: Twilio places the call but its HTTP answer is lost (a cut connection). */
  lostResponse: boolean;
  /** As a caller meeting a <Record>: seconds of voicemail left (0 hangs up without a word). */
  voicemailSeconds?: number;
  /** What this person says once connected (or into a voicemail); what a recording of them holds. */
  says?: string;
  /** What becomes of a text sent to this phone (default "deliver"); see SMS_OUTCOMES. */
  sms?: SmsOutcome;
  /** This phone's carrier's timing, instead of the simulator's messageTiming. */
  messageTiming?: MessageTiming;
}

/**
 * Real milliseconds from the REST answer (queued) to sent, and from sent to
 * the final status, each drawn uniformly from [min, max]. Real time, unlike
 * msPerSecond: a campaign's pace and its callbacks are measured on the wall clock.
 */
interface MessageTiming {
  sentMs: [number, number];
  deliveredMs: [number, number];
}

/** About what a long code sees on a US carrier: sent in 0.1-0.3 s, the handset's receipt 0.5-1.5 s later. */
const DEFAULT_MESSAGE_TIMING: MessageTiming = { sentMs: [100, 300], deliveredMs: [500, 1500] };

/**
 * A recipient's fate, as Twilio reports it. Twilio refuses an opted-out
 * recipient (21610) and a number that cannot be one (21211) in the REST
 * answer itself, with no Message made; a carrier's filter (30007) and a
 * handset that is off or gone (30003, 30005) are known only from the
 * delivery receipt, so the text is accepted, sent, and ends undelivered.
 */
const SMS_OUTCOMES = {
  deliver: { refuse: null, errorCode: null },
  unsubscribed: { refuse: { code: 21610, message: "Attempt to send to unsubscribed recipient" }, errorCode: null },
  invalid: { refuse: { code: 21211, message: "Invalid 'To' Phone Number" }, errorCode: null },
  filtered: { refuse: null, errorCode: 30007 },
  undeliverable: { refuse: null, errorCode: 30003 },
  unknown: { refuse: null, errorCode: 30005 },
} as const;
type SmsOutcome = keyof typeof SMS_OUTCOMES;

const ERROR_MESSAGES: Record<number, string> = {
  30003: "Unreachable destination handset",
  30005: "Unknown destination handset",
  30007: "Message filtered",
};

/** A sender's pace: a token bucket of `burst` texts, refilled at perSecond. */
interface SenderPace {
  perSecond: number;
  burst: number;
  tokens: number;
  refilledAtMs: number;
  /** Set by PUT /_sim/senders/{e164}; otherwise the default's, made on the sender's first text. */
  own: boolean;
}

interface SimCall {
  sid: string;
  /** The account the call belongs to: its webhooks carry this AccountSid, signed with its token. */
  accountSid: string;
  from: string;
  to: string;
  direction: "outbound-api" | "inbound" | "outbound-dial";
  status: string;
  parentCallSid: string | null;
  duration: number;
  /** What happened, in order: "status:ringing", "say:…", "gather:1", "dial:+1…", "recording:RE…". */
  steps: string[];
  dateCreated: string;
  /** When the simulator received the request that made the call (ms since the epoch): the bench's "dialled". */
  requestedAtMs: number;
  /** The webhook the call fetched TwiML from first (an outbound call's Url), as given. */
  url: string | null;
}

interface SimMessage {
  sid: string;
  accountSid: string;
  from: string;
  to: string;
  body: string;
  direction: "outbound-api" | "inbound";
  status: string;
  dateCreated: string;
  /** Every status it took, once each, with when (ms since the epoch): queued, sent, delivered | undelivered. */
  history: { status: string; atMs: number }[];
  errorCode: number | null;
  statusCallback: string | null;
  /** Each status callback as it was answered (status 0: no HTTP answer). */
  callbacks: { status: string; httpStatus: number; atMs: number }[];
}

/** A text the REST API refused (no Message was made): what a campaign's report must account for. */
interface SimRefusal {
  accountSid: string;
  from: string;
  to: string;
  code: number;
  httpStatus: number;
  atMs: number;
}

/** A webhook's answer. Status 0: no HTTP answer at all (`failure` says why). */
interface WebhookAnswer {
  status: number;
  body: string;
  failure?: string;
}

interface OutboxItem {
  id: string;
  /** For a GET, the full URL with the parameters in its query. */
  url: string;
  method: HttpMethod;
  /** The form body of a POST; empty for a GET. */
  params: Record<string, string>;
  signature: string;
  taken: boolean;
  resolve: (answer: WebhookAnswer) => void;
}

const DEFAULT_SCRIPT: PhoneScript = { answer: "answer", press: "1", talkSeconds: 42, lostResponse: false };

/** Twilio's request signature: HMAC-SHA1(authToken, url + each sorted key+value), base64. */
export function twilioSignature(authToken: string, url: string, params: Record<string, string>): string {
  const data = Object.keys(params)
    .sort()
    .reduce((acc, key) => acc + key + params[key], url);
  return createHmac("sha1", authToken).update(data, "utf8").digest("base64");
}

/** A control API timing: {sentMs, deliveredMs}, each a number of ms or [min, max]; null when malformed. */
function parseTiming(input: unknown): MessageTiming | null {
  const range = (value: unknown): [number, number] | null => {
    const pair = Array.isArray(value) ? value : [value, value];
    const [min, max] = pair.map(Number) as [number, number];
    return pair.length === 2 && min >= 0 && max >= min ? [min, max] : null;
  };
  const { sentMs, deliveredMs } = (input ?? {}) as Record<string, unknown>;
  const sent = range(sentMs);
  const delivered = range(deliveredMs);
  return sent && delivered ? { sentMs: sent, deliveredMs: delivered } : null;
}

/** A delivery receipt's done date as Twilio forwards it: YYMMDDhhmm, UTC. */
function dlrDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-T:]/g, "").slice(2, 12);
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** A RIFF chunk: id, little-endian size, body, a pad byte to keep chunks word-aligned. */
function riffChunk(id: string, body: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.write(id, 0, "ascii");
  header.writeUInt32LE(body.length, 4);
  return Buffer.concat([header, body, Buffer.alloc(body.length % 2)]);
}

/**
 * What a recording download returns: a short valid WAV of silence, with the
 * words spoken on it (if any) in a LIST/INFO ICMT chunk — see "Speech" above.
 */
export function recordingWav(seconds: number, words: string[] = []): Buffer {
  const rate = 8000;
  const samples = Math.max(1, Math.min(seconds, 5)) * rate;
  const spoken = words.filter((w) => w.trim()).join("\n");
  const info = spoken
    ? riffChunk("LIST", Buffer.concat([Buffer.from("INFO"), riffChunk("ICMT", Buffer.from(`${spoken}\0`))]))
    : Buffer.alloc(0);
  const buffer = Buffer.alloc(44 + samples * 2);
  buffer.write("RIFF", 0);
  buffer.writeUInt32LE(36 + samples * 2 + info.length, 4);
  buffer.write("WAVEfmt ", 8);
  buffer.writeUInt32LE(16, 16);
  buffer.writeUInt16LE(1, 20);
  buffer.writeUInt16LE(1, 22);
  buffer.writeUInt32LE(rate, 24);
  buffer.writeUInt32LE(rate * 2, 28);
  buffer.writeUInt16LE(2, 32);
  buffer.writeUInt16LE(16, 34);
  buffer.write("data", 36);
  buffer.writeUInt32LE(samples * 2, 40);
  return Buffer.concat([buffer, info]);
}

/** The texts an earlier run accepted, as they were when accepted (their later statuses are not kept). */
function readJournal(path: string): SimMessage[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as SimMessage);
}

export async function startTwilioSimulator(options: TwilioSimulatorOptions): Promise<TwilioSimulator> {
  const log = options.log ?? (() => undefined);
  const msPerSecond = options.msPerSecond ?? 20;
  const webhookTimeoutMs = options.webhookTimeoutMs ?? 15_000;
  const phones = new Map<string, PhoneScript>();
  const directory = new TwilioDirectory(options, log);
  const numbers = directory.numbers;
  const calls = new Map<string, SimCall>();
  const messages: SimMessage[] = options.messageJournal ? readJournal(options.messageJournal) : [];
  const refusals: SimRefusal[] = [];
  const senders = new Map<string, SenderPace>();
  let defaultSenderPerSecond: number | null = options.senderPerSecond ?? null;
  /** Timers of texts still on their way, cleared on close so nothing is posted after it. */
  const pendingTimers = new Set<NodeJS.Timeout>();
  const recordings = new Map<string, { accountSid: string; callSid: string; duration: number; words: string[] }>();
  const outbox: OutboxItem[] = [];
  const outboxWaiters = new Set<() => void>();
  let baseUrl = "";
  let sequence = 0;

  const sleep = (seconds: number) => new Promise((r) => setTimeout(r, seconds * msPerSecond));
  const scriptOf = (phone: string) => phones.get(phone) ?? DEFAULT_SCRIPT;
  const later = (ms: number, run: () => void) => {
    const timer = setTimeout(() => {
      pendingTimers.delete(timer);
      run();
    }, ms);
    pendingTimers.add(timer);
  };
  const between = ([min, max]: [number, number]) => min + Math.random() * (max - min);

  /**
   * Sends one webhook, signed with the token of the account its AccountSid
   * names, and returns the answer (TwiML, usually). GET puts the parameters in
   * the query string and signs the full URL alone, as Twilio does.
   */
  async function deliver(
    url: string,
    params: Record<string, string>,
    method: HttpMethod = "POST",
  ): Promise<WebhookAnswer> {
    const token = directory.tokenOf(params.AccountSid);
    let target = url;
    if (method === "GET") {
      const withQuery = new URL(url);
      for (const [key, value] of Object.entries(params)) withQuery.searchParams.append(key, value);
      target = withQuery.toString();
    }
    const form = method === "GET" ? {} : params;
    const signature = twilioSignature(token, target, form);
    if (options.webhookMode === "pull") {
      const answer = await new Promise<WebhookAnswer>((resolve) => {
        outbox.push({ id: sid("WH"), url: target, method, params: form, signature, taken: false, resolve });
        for (const wake of [...outboxWaiters]) wake();
      });
      return answer.status === 0 ? { ...answer, failure: "connection failed (answered status 0)" } : answer;
    }
    try {
      const response = await fetch(target, {
        method,
        headers: {
          "x-twilio-signature": signature,
          ...(method === "POST" ? { "content-type": "application/x-www-form-urlencoded" } : {}),
        },
        ...(method === "POST" ? { body: new URLSearchParams(form).toString() } : {}),
        signal: AbortSignal.timeout(webhookTimeoutMs),
      });
      return { status: response.status, body: await response.text() };
    } catch (error) {
      const name = (error as Error).name;
      const code = ((error as Error).cause as { code?: string } | undefined)?.code;
      const failure =
        name === "TimeoutError"
          ? `timeout after ${webhookTimeoutMs} ms`
          : `connection failed (${code ?? String(error)})`;
      log(`webhook ${method} ${url} failed: ${failure}`);
      return { status: 0, body: "", failure };
    }
  }

  const answered = (answer: WebhookAnswer) => answer.status >= 200 && answer.status < 300;

  const callParams = (call: SimCall): Record<string, string> => ({
    AccountSid: call.accountSid,
    ApiVersion: "2010-04-01",
    CallSid: call.sid,
    CallStatus: call.status,
    Direction: call.direction,
    From: call.from,
    To: call.to,
    ...(call.parentCallSid ? { ParentCallSid: call.parentCallSid } : {}),
  });

  async function statusCallback(call: SimCall, target: { url?: string; events: string[] }, event: string) {
    call.steps.push(`status:${call.status}`);
    log(`${call.sid} ${call.from} → ${call.to}: ${call.status}`);
    if (!target.url || !target.events.includes(event)) return;
    sequence += 1;
    await deliver(target.url, {
      ...callParams(call),
      CallbackSource: "call-progress-events",
      SequenceNumber: String(sequence),
      Timestamp: new Date().toUTCString(),
      ...(event === "completed" ? { CallDuration: String(call.duration) } : {}),
    });
  }

  const absolute = (url: string, relativeTo: string) => new URL(url, relativeTo).toString();

  /** Plays TwiML for a live call until it hangs up or runs out of verbs. */
  async function play(
    call: SimCall,
    twimlUrl: string,
    answer: WebhookAnswer,
    leg: { calledParty?: boolean } = {},
  ): Promise<void> {
    if (!answered(answer)) {
      call.steps.push(answer.failure ? `error:webhook ${answer.failure}` : `error:webhook answered ${answer.status}`);
      return;
    }
    let response: TwimlNode;
    try {
      response = parseTwiml(answer.body);
    } catch {
      call.steps.push(`error:not TwiML from ${twimlUrl}`);
      return;
    }
    for (const verb of response.children) {
      if (verb.name === "Say") {
        call.steps.push(`say:${verb.text.trim()}`);
        log(`${call.sid} says: ${verb.text.trim()}`);
      } else if (verb.name === "Gather") {
        for (const inner of verb.children) {
          if (inner.name !== "Say") continue;
          call.steps.push(`say:${inner.text.trim()}`);
          log(`${call.sid} whispers: ${inner.text.trim()}`);
        }
        const digit = scriptOf(call.to).press;
        call.steps.push(`gather:${digit ?? "none"}`);
        log(`${call.sid} ${call.to} ${digit ? `presses ${digit}` : "presses nothing"}`);
        if (digit || verb.attrs.actionOnEmptyResult === "true") {
          const action = absolute(verb.attrs.action ?? twimlUrl, twimlUrl);
          return play(call, action, await deliver(action, { ...callParams(call), Digits: digit ?? "" }), leg);
        }
      } else if (verb.name === "Dial" && leg.calledParty) {
        // Twilio refuses <Dial> in a <Number url> document: it runs on a leg that is itself being dialled.
        call.steps.push("error:<Dial> in the called party's TwiML");
        return;
      } else if (verb.name === "Dial") {
        const next = await dial(call, verb, twimlUrl);
        if (next) return play(call, next.url, next.answer);
      } else if (verb.name === "Record") {
        const next = await recordVoicemail(call, verb, twimlUrl);
        if (next) return play(call, next.url, next.answer, leg);
      } else if (verb.name === "Redirect") {
        const target = absolute(verb.text.trim(), twimlUrl);
        return play(call, target, await deliver(target, callParams(call)), leg);
      } else if (verb.name === "Hangup" || verb.name === "Reject") {
        call.steps.push("hangup");
        return;
      } else if (verb.name === "Pause") {
        await sleep(Number(verb.attrs.length ?? 1));
      }
    }
  }

  /**
   * <Record>: the caller (the call's `from`, as scripted by voicemailSeconds)
   * leaves a message or hangs up. A message becomes a recording, announced to
   * recordingStatusCallback (RecordingSource "RecordVerb"); then the action URL
   * gets RecordingSid/RecordingDuration, as Twilio sends them.
   */
  async function recordVoicemail(call: SimCall, verb: TwimlNode, twimlUrl: string) {
    const maxLength = Number(verb.attrs.maxLength ?? 3600);
    const seconds = Math.min(scriptOf(call.from).voicemailSeconds ?? 0, maxLength);
    if (verb.attrs.playBeep !== "false") call.steps.push("beep");
    call.steps.push(`record:${seconds}s`);
    log(`${call.sid} ${call.from} ${seconds > 0 ? `leaves ${seconds} s of voicemail` : "hangs up at the beep"}`);
    if (seconds <= 0) {
      call.steps.push("hangup");
      return undefined;
    }
    await sleep(seconds);
    call.duration += seconds;
    const recordingSid = sid("RE");
    recordings.set(recordingSid, {
      accountSid: call.accountSid,
      callSid: call.sid,
      duration: seconds,
      words: [scriptOf(call.from).says ?? ""],
    });
    call.steps.push(`recording:${recordingSid}`);
    const recordingUrl = `${baseUrl}/2010-04-01/Accounts/${call.accountSid}/Recordings/${recordingSid}`;
    if (verb.attrs.recordingStatusCallback) {
      await deliver(absolute(verb.attrs.recordingStatusCallback, twimlUrl), {
        AccountSid: call.accountSid,
        CallSid: call.sid,
        RecordingSid: recordingSid,
        RecordingUrl: recordingUrl,
        RecordingStatus: "completed",
        RecordingDuration: String(seconds),
        RecordingChannels: "1",
        RecordingSource: "RecordVerb",
        RecordingStartTime: new Date().toUTCString(),
      });
    }
    if (!verb.attrs.action) return undefined;
    const action = absolute(verb.attrs.action, twimlUrl);
    const answer = await deliver(action, {
      ...callParams(call),
      RecordingSid: recordingSid,
      RecordingUrl: recordingUrl,
      RecordingDuration: String(seconds),
      Digits: "hangup",
    });
    return { url: action, answer };
  }

  /**
   * <Number url>: once the called party answers, Twilio fetches this URL (a
   * signed webhook like any other, with the new leg's CallSid and its
   * ParentCallSid) and plays the TwiML to that party alone; the two are
   * connected only when it ends. False when it hung up or failed instead: then
   * nobody is bridged (the simulator still reports the leg as completed, with
   * no talk time).
   */
  async function screen(child: SimCall, url: string, method = "POST"): Promise<boolean> {
    if (method.toUpperCase() !== "POST") {
      child.steps.push(`error:<Number method="${method}"> is not simulated`);
      return false;
    }
    const before = child.steps.length;
    await play(child, url, await deliver(url, callParams(child)), { calledParty: true });
    return !child.steps.slice(before).some((step) => step === "hangup" || step.startsWith("error:"));
  }

  /** <Dial><Number>…</Number></Dial>: rings the number, plays its <Number url> to it, bridges, records, reports. */
  async function dial(parent: SimCall, verb: TwimlNode, twimlUrl: string) {
    const numberNode = verb.children.find((c) => c.name === "Number");
    const to = (numberNode?.text ?? verb.text).trim();
    const child: SimCall = {
      sid: sid("CA"),
      accountSid: parent.accountSid,
      from: verb.attrs.callerId ?? parent.from,
      to,
      direction: "outbound-dial",
      status: "ringing",
      parentCallSid: parent.sid,
      duration: 0,
      steps: [],
      dateCreated: new Date().toUTCString(),
      requestedAtMs: Date.now(),
      url: null,
    };
    calls.set(child.sid, child);
    parent.steps.push(`dial:${to}`);
    const script = scriptOf(to);
    await sleep(1);
    let dialStatus: string = script.answer === "answer" ? "completed" : script.answer;
    if (script.answer === "answer") {
      child.status = "in-progress";
      child.steps.push("status:in-progress");
      const screenUrl = numberNode?.attrs.url;
      const joins = screenUrl ? await screen(child, absolute(screenUrl, twimlUrl), numberNode?.attrs.method) : true;
      if (joins) {
        child.steps.push("bridged");
        log(`${parent.sid} bridged to ${to}`);
        await sleep(script.talkSeconds);
        child.duration = script.talkSeconds;
      }
      child.status = "completed";
      child.steps.push("status:completed");
      const record = verb.attrs.record ?? "do-not-record";
      if (joins && record !== "do-not-record" && verb.attrs.recordingStatusCallback) {
        const recordingSid = sid("RE");
        // Both parties, in the order they speak: the one Apex called first, then the one dialled in.
        const words = [
          scriptOf(parent.direction === "inbound" ? parent.from : parent.to).says ?? "",
          script.says ?? "",
        ];
        recordings.set(recordingSid, {
          accountSid: parent.accountSid,
          callSid: parent.sid,
          duration: script.talkSeconds,
          words,
        });
        parent.steps.push(`recording:${recordingSid}`);
        const callback = absolute(verb.attrs.recordingStatusCallback, twimlUrl);
        await deliver(callback, {
          AccountSid: parent.accountSid,
          CallSid: parent.sid,
          RecordingSid: recordingSid,
          RecordingUrl: `${baseUrl}/2010-04-01/Accounts/${parent.accountSid}/Recordings/${recordingSid}`,
          RecordingStatus: "completed",
          RecordingDuration: String(script.talkSeconds),
          RecordingChannels: record.includes("dual") ? "2" : "1",
          RecordingSource: "DialVerb",
          RecordingStartTime: new Date().toUTCString(),
        });
      }
    } else {
      child.status = script.answer;
      child.steps.push(`status:${script.answer}`);
      dialStatus = script.answer;
      log(`${parent.sid} dial to ${to}: ${script.answer}`);
    }
    parent.duration += child.duration;
    if (!verb.attrs.action) return undefined;
    const action = absolute(verb.attrs.action, twimlUrl);
    const answer = await deliver(action, {
      ...callParams(parent),
      DialCallSid: child.sid,
      DialCallStatus: dialStatus,
      DialCallDuration: String(child.duration),
    });
    return { url: action, answer };
  }

  async function runOutboundCall(call: SimCall, form: URLSearchParams): Promise<void> {
    const status = { url: form.get("StatusCallback") ?? undefined, events: form.getAll("StatusCallbackEvent") };
    if (status.events.length === 0) status.events = ["completed"];
    const script = scriptOf(call.to);
    call.status = "initiated";
    await statusCallback(call, status, "initiated");
    await sleep(1);
    call.status = "ringing";
    await statusCallback(call, status, "ringing");
    await sleep(1);
    if (script.answer !== "answer") {
      call.status = script.answer;
      return statusCallback(call, status, "completed");
    }
    call.status = "in-progress";
    await statusCallback(call, status, "answered");
    const url = form.get("Url") ?? "";
    await play(call, url, await deliver(url, callParams(call)));
    call.duration = Math.max(call.duration, 1);
    call.status = "completed";
    await statusCallback(call, status, "completed");
  }

  /** Why a voice URL's answer is no use, as Twilio's error code and a few words; undefined when it is TwiML. */
  function voiceFailure(answer: WebhookAnswer): { code: number; reason: string } | undefined {
    if (answer.status === 0) return { code: 11205, reason: answer.failure ?? "connection failed" };
    if (!answered(answer)) return { code: 11200, reason: `HTTP ${answer.status}` };
    try {
      parseTwiml(answer.body);
      return undefined;
    } catch {
      return { code: 12100, reason: "not TwiML" };
    }
  }

  /**
   * A call to one of the numbers: its voice URL's TwiML, or — when that
   * request fails — its voice fallback URL's, told the ErrorCode and ErrorUrl;
   * then, if the number has one, its status callback when the call completes.
   */
  async function runInboundCall(call: SimCall, number: SimNumber): Promise<void> {
    call.status = "ringing";
    call.steps.push("status:ringing");
    const voiceUrl = number.voiceUrl as string;
    const answer = await deliver(voiceUrl, callParams(call), number.voiceMethod);
    const failure = voiceFailure(answer);
    if (!failure) {
      await play(call, voiceUrl, answer);
    } else {
      call.steps.push(`error:voice url failed (${failure.reason})`);
      log(`${call.sid} voice URL ${voiceUrl} failed: ${failure.reason} (${failure.code})`);
      const fallbackUrl = number.voiceFallbackUrl;
      if (fallbackUrl) {
        call.steps.push(`fallback:${fallbackUrl}`);
        const params = { ...callParams(call), ErrorCode: String(failure.code), ErrorUrl: voiceUrl };
        await play(call, fallbackUrl, await deliver(fallbackUrl, params, number.voiceFallbackMethod));
      }
    }
    call.status = "completed";
    call.steps.push("status:completed");
    if (number.statusCallback) {
      await deliver(
        number.statusCallback,
        { ...callParams(call), CallDuration: String(call.duration), Timestamp: new Date().toUTCString() },
        number.statusCallbackMethod,
      );
    }
  }

  /**
   * Takes one text from the sender's bucket; false when the sender is over
   * its pace (the REST answer is then 429). A sender with no pace of its own
   * and no default is never limited.
   */
  function takeSenderToken(from: string): boolean {
    let pace = senders.get(from);
    if (!pace) {
      if (defaultSenderPerSecond === null) return true;
      pace = paceOf(defaultSenderPerSecond);
      senders.set(from, pace);
    }
    const now = Date.now();
    pace.tokens = Math.min(pace.burst, pace.tokens + ((now - pace.refilledAtMs) / 1000) * pace.perSecond);
    pace.refilledAtMs = now;
    if (pace.tokens < 1) return false;
    pace.tokens -= 1;
    return true;
  }

  const paceOf = (perSecond: number, burst = Math.max(1, perSecond)): SenderPace => ({
    perSecond,
    burst,
    tokens: burst,
    refilledAtMs: Date.now(),
    own: false,
  });

  /**
   * An accepted text's life after the REST answer: sent, then delivered (or
   * undelivered with the recipient's ErrorCode), on the recipient's timing.
   * Statuses change on the clock whatever the webhooks do; their callbacks
   * (none for the initial queued, as Twilio) are posted one after another,
   * so they arrive in order.
   */
  function runOutboundMessage(message: SimMessage): void {
    const script = scriptOf(message.to);
    const timing = script.messageTiming ?? options.messageTiming ?? DEFAULT_MESSAGE_TIMING;
    const errorCode = SMS_OUTCOMES[script.sms ?? "deliver"].errorCode;
    let callbacks = Promise.resolve();
    const advance = (status: string) => {
      const atMs = Date.now();
      message.status = status;
      message.history.push({ status, atMs });
      if (status === "undelivered") message.errorCode = errorCode;
      const code = status === "undelivered" ? ` (${errorCode})` : "";
      log(`${message.sid} SMS ${message.from} → ${message.to}: ${status}${code}`);
      const url = message.statusCallback;
      if (!url) return;
      const params: Record<string, string> = {
        AccountSid: message.accountSid,
        ApiVersion: "2010-04-01",
        From: message.from,
        To: message.to,
        MessageSid: message.sid,
        SmsSid: message.sid,
        MessageStatus: status,
        SmsStatus: status,
        ...(status === "undelivered" ? { ErrorCode: String(errorCode) } : {}),
        ...(status === "sent" ? {} : { RawDlrDoneDate: dlrDate(atMs) }),
      };
      callbacks = callbacks.then(async () => {
        const answer = await deliver(url, params);
        message.callbacks.push({ status, httpStatus: answer.status, atMs: Date.now() });
      });
    };
    later(between(timing.sentMs), () => {
      advance("sent");
      later(between(timing.deliveredMs), () => advance(errorCode ? "undelivered" : "delivered"));
    });
  }

  const callJson = (call: SimCall) => ({
    sid: call.sid,
    account_sid: call.accountSid,
    from: call.from,
    to: call.to,
    status: call.status,
    direction: call.direction,
    parent_call_sid: call.parentCallSid,
    duration: String(call.duration),
    date_created: call.dateCreated,
    api_version: "2010-04-01",
    uri: `/2010-04-01/Accounts/${call.accountSid}/Calls/${call.sid}.json`,
  });

  const messageJson = (m: SimMessage) => {
    const sent = m.history.find((h) => h.status === "sent");
    const last = m.history[m.history.length - 1];
    return {
      sid: m.sid,
      account_sid: m.accountSid,
      messaging_service_sid: null,
      from: m.from,
      to: m.to,
      body: m.body,
      status: m.status,
      direction: m.direction,
      num_segments: String(Math.max(1, Math.ceil(m.body.length / 160))),
      num_media: "0",
      error_code: m.errorCode,
      error_message: m.errorCode ? (ERROR_MESSAGES[m.errorCode] ?? null) : null,
      price: null,
      price_unit: "USD",
      date_created: m.dateCreated,
      date_updated: last ? new Date(last.atMs).toUTCString() : m.dateCreated,
      date_sent: sent ? new Date(sent.atMs).toUTCString() : null,
      api_version: "2010-04-01",
      uri: `/2010-04-01/Accounts/${m.accountSid}/Messages/${m.sid}.json`,
    };
  };

  async function control(req: http.IncomingMessage, res: http.ServerResponse, url: URL, body: string) {
    const [, , area, key] = url.pathname.split("/").map(decodeURIComponent);
    const input = body ? (JSON.parse(body) as Record<string, unknown>) : {};
    if (area === "phones" && key && req.method === "PUT") {
      if (input.sms !== undefined && !Object.hasOwn(SMS_OUTCOMES, String(input.sms))) {
        return json(res, 400, { error: `sms must be one of ${Object.keys(SMS_OUTCOMES).join(", ")}` });
      }
      const timing = input.messageTiming === undefined ? undefined : parseTiming(input.messageTiming);
      if (timing === null) {
        return json(res, 400, { error: "messageTiming is {sentMs, deliveredMs}, each ms or [min, max]" });
      }
      phones.set(key, {
        answer: (input.answer as PhoneScript["answer"]) ?? "answer",
        press: input.press === undefined ? "1" : (input.press as string | null),
        talkSeconds: Number(input.talkSeconds ?? 42),
        lostResponse: input.lostResponse === true,
        voicemailSeconds: Number(input.voicemailSeconds ?? 0),
        ...(typeof input.says === "string" ? { says: input.says } : {}),
        ...(input.sms !== undefined ? { sms: input.sms as SmsOutcome } : {}),
        ...(timing ? { messageTiming: timing } : {}),
      });
      return json(res, 200, { phone: key, ...phones.get(key) });
    }
    if (area === "numbers" && key && req.method === "PUT") {
      const accountSid = input.accountSid;
      if (accountSid !== undefined && !directory.accounts.has(String(accountSid))) {
        return json(res, 400, { error: `no account ${String(accountSid)}` });
      }
      directory.configureNumber(key, input);
      return json(
        res,
        200,
        directory.numberList().find((n) => n.number === key),
      );
    }
    if (area === "numbers" && !key && req.method === "GET") return json(res, 200, { numbers: directory.numberList() });
    if (area === "accounts" && !key && req.method === "GET") {
      return json(res, 200, { accounts: [...directory.accounts.values()] });
    }
    if (area === "inbound-call" && req.method === "POST") {
      const to = String(input.to);
      const number = numbers.get(to);
      if (!number?.voiceUrl) return json(res, 404, { error: `no voiceUrl for ${to}; PUT /_sim/numbers/${to} first` });
      const owner = directory.accounts.get(number.accountSid);
      if (owner?.status !== "active") {
        return json(res, 409, { error: `${to} belongs to ${number.accountSid}, which is ${owner?.status ?? "gone"}` });
      }
      const call: SimCall = {
        sid: sid("CA"),
        accountSid: number.accountSid,
        from: String(input.from),
        to,
        direction: "inbound",
        status: "ringing",
        parentCallSid: null,
        duration: 0,
        steps: [],
        dateCreated: new Date().toUTCString(),
        requestedAtMs: Date.now(),
        url: null,
      };
      calls.set(call.sid, call);
      log(`${call.sid} inbound call ${call.from} → ${to}`);
      void runInboundCall(call, number);
      return json(res, 201, callJson(call));
    }
    if (area === "inbound-sms" && req.method === "POST") {
      const to = String(input.to);
      const number = numbers.get(to);
      if (!number?.smsUrl) return json(res, 404, { error: `no smsUrl for ${to}; PUT /_sim/numbers/${to} first` });
      const message: SimMessage = {
        sid: sid("SM"),
        accountSid: number.accountSid,
        from: String(input.from),
        to,
        body: String(input.body ?? ""),
        direction: "inbound",
        status: "received",
        dateCreated: new Date().toUTCString(),
        history: [{ status: "received", atMs: Date.now() }],
        errorCode: null,
        statusCallback: null,
        callbacks: [],
      };
      messages.push(message);
      log(`${message.sid} SMS ${message.from} → ${to}: ${message.body}`);
      const params = {
        AccountSid: number.accountSid,
        ApiVersion: "2010-04-01",
        MessageSid: message.sid,
        SmsSid: message.sid,
        From: message.from,
        To: to,
        Body: message.body,
        NumMedia: "0",
        NumSegments: "1",
      };
      let answer = await deliver(number.smsUrl, params, number.smsMethod);
      if (!answered(answer) && number.smsFallbackUrl) {
        const ErrorCode = answer.status === 0 ? "11205" : "11200";
        log(`${message.sid} SMS URL ${number.smsUrl} failed (${ErrorCode}); trying ${number.smsFallbackUrl}`);
        const fallback = { ...params, ErrorCode, ErrorUrl: number.smsUrl };
        answer = await deliver(number.smsFallbackUrl, fallback, number.smsFallbackMethod);
      }
      return json(res, 201, { ...messageJson(message), webhookStatus: answer.status, reply: answer.body });
    }
    if (area === "calls" && req.method === "GET") return json(res, 200, { calls: [...calls.values()] });
    if (area === "messages" && req.method === "GET") return json(res, 200, { messages, refused: refusals });
    if (area === "senders" && req.method === "PUT") {
      const perSecond = input.perSecond === null ? null : Number(input.perSecond);
      const burst = input.burst === undefined ? undefined : Number(input.burst);
      if ((perSecond !== null && !(perSecond > 0)) || (burst !== undefined && !(burst >= 1))) {
        return json(res, 400, { error: "perSecond must be a positive number (null: no limit), burst at least 1" });
      }
      if (!key) {
        // The default for every sender without a pace of its own; the buckets it made start again.
        defaultSenderPerSecond = perSecond;
        for (const [from, pace] of senders) if (!pace.own) senders.delete(from);
        return json(res, 200, { default: { perSecond } });
      }
      if (perSecond === null) senders.delete(key);
      else senders.set(key, { ...paceOf(perSecond, burst), own: true });
      return json(res, 200, { sender: key, perSecond, burst: senders.get(key)?.burst ?? null });
    }
    if (area === "senders" && !key && req.method === "GET") {
      const list = [...senders].map(([from, p]) => ({
        sender: from,
        perSecond: p.perSecond,
        burst: p.burst,
        own: p.own,
      }));
      return json(res, 200, { default: { perSecond: defaultSenderPerSecond }, senders: list });
    }
    if (area === "reset" && req.method === "POST") {
      phones.clear();
      calls.clear();
      messages.length = 0;
      refusals.length = 0;
      senders.clear();
      defaultSenderPerSecond = options.senderPerSecond ?? null;
      return json(res, 200, { ok: true });
    }
    if (area === "outbox" && !key && req.method === "GET") {
      const deadline = Date.now() + Number(url.searchParams.get("wait") ?? 0);
      const matches = url.searchParams.getAll("match");
      const wanted = (o: OutboxItem) => matches.length === 0 || matches.some((m) => o.url.includes(m));
      for (;;) {
        const item = outbox.find((o) => !o.taken && wanted(o));
        if (item) {
          item.taken = true;
          const { id, method, params, signature } = item;
          return json(res, 200, { id, url: item.url, method, params, signature });
        }
        const remaining = deadline - Date.now();
        if (remaining <= 0) {
          res.writeHead(204);
          return res.end();
        }
        await new Promise<void>((resolve) => {
          const wake = () => {
            outboxWaiters.delete(wake);
            resolve();
          };
          outboxWaiters.add(wake);
          setTimeout(wake, remaining);
        });
      }
    }
    if (area === "outbox" && key && req.method === "POST") {
      const index = outbox.findIndex((o) => o.id === key);
      const item = outbox[index];
      if (!item) return json(res, 404, { error: "no such outbox item" });
      outbox.splice(index, 1);
      item.resolve({ status: Number(input.status ?? 200), body: String(input.body ?? "") });
      return json(res, 200, { ok: true });
    }
    return json(res, 404, { error: "unknown control route" });
  }

  async function rest(req: http.IncomingMessage, res: http.ServerResponse, url: URL, body: string) {
    const form = new URLSearchParams(body);
    if (url.pathname === "/2010-04-01/Accounts.json") return directory.accountsCollection(req, res, url, form);
    // /Accounts/{sid}.json is the account itself; /Accounts/{sid}/… its resources.
    const path = /^\/2010-04-01\/Accounts\/([^/]+?)(?:\.json|\/(.*))$/.exec(url.pathname);
    if (!path) return twilioError(res, 404, 20404, `The requested resource ${url.pathname} was not found`);
    const auth = directory.authorize(req, path[1] as string);
    if (!auth.ok) {
      log(`${auth.status} ${req.method} ${url.pathname}`);
      return twilioError(res, auth.status, auth.code, auth.message);
    }
    const resource = path[2];
    if (resource === undefined) return directory.accountResource(req, res, auth, form);
    const accountSid = auth.account.sid;
    if (auth.account.status === "closed") return twilioError(res, 401, 20003, "Authenticate");
    if (directory.numbersResource(req, res, url, resource, form, auth)) return;
    if (resource === "Calls.json" && req.method === "POST") {
      const missing = ["To", "From"].find((p) => !form.get(p)) ?? (form.get("Url") ? undefined : "Url");
      if (missing) return twilioError(res, 400, 21201, `Required parameter "${missing}" missing.`);
      const call: SimCall = {
        sid: sid("CA"),
        accountSid,
        from: form.get("From") as string,
        to: form.get("To") as string,
        direction: "outbound-api",
        status: "queued",
        parentCallSid: null,
        duration: 0,
        steps: [],
        dateCreated: new Date().toUTCString(),
        requestedAtMs: Date.now(),
        url: form.get("Url") ?? null,
      };
      calls.set(call.sid, call);
      log(`${call.sid} call created ${call.from} → ${call.to}`);
      void runOutboundCall(call, form);
      if (scriptOf(call.to).lostResponse) {
        // The call is placed, but the client never reads a complete answer.
        res.writeHead(201, { "Content-Type": "application/json" });
        return res.end('{"sid": "CA');
      }
      return json(res, 201, callJson(call));
    }
    if (resource === "Messages.json" && req.method === "POST") {
      if (!form.get("To")) return twilioError(res, 400, 21604, "A 'To' phone number is required.");
      if (!form.get("Body")) return twilioError(res, 400, 21602, "Message body is required.");
      const statusCallback = form.get("StatusCallback");
      if (statusCallback && !URL.canParse(statusCallback)) {
        return twilioError(res, 400, 21609, `The StatusCallback URL ${statusCallback} is not a valid URL.`);
      }
      const from = form.get("From") ?? "";
      const to = form.get("To") as string;
      const refuse = (httpStatus: number, code: number, text: string) => {
        refusals.push({ accountSid, from, to, code, httpStatus, atMs: Date.now() });
        log(`SMS ${from} → ${to} refused: ${code} ${text}`);
        return twilioError(res, httpStatus, code, text);
      };
      const refused = SMS_OUTCOMES[scriptOf(to).sms ?? "deliver"].refuse;
      if (refused) return refuse(400, refused.code, refused.message);
      // After the recipient checks: a text refused outright never left, so it spends none of the pace.
      if (!takeSenderToken(from)) return refuse(429, 20429, "Too Many Requests");
      const now = Date.now();
      const message: SimMessage = {
        sid: sid("SM"),
        accountSid,
        from,
        to,
        body: form.get("Body") as string,
        direction: "outbound-api",
        status: "queued",
        dateCreated: new Date(now).toUTCString(),
        history: [{ status: "queued", atMs: now }],
        errorCode: null,
        statusCallback,
        callbacks: [],
      };
      messages.push(message);
      if (options.messageJournal) appendFileSync(options.messageJournal, `${JSON.stringify(message)}\n`);
      log(`${message.sid} SMS ${message.from} → ${message.to}: ${message.body}`);
      runOutboundMessage(message);
      return json(res, 201, messageJson(message));
    }
    if (resource === "Messages.json" && req.method === "GET") {
      // The list, newest first, filtered as Twilio filters it by To and From; one page (PageSize, at most 1,000).
      const to = url.searchParams.get("To");
      const from = url.searchParams.get("From");
      const pageSize = Math.min(1_000, Math.max(1, Number(url.searchParams.get("PageSize") ?? 50) || 50));
      const found = messages
        .filter((m) => m.accountSid === accountSid && (!to || m.to === to) && (!from || m.from === from))
        .reverse()
        .slice(0, pageSize);
      const uri = `/2010-04-01/Accounts/${accountSid}/Messages.json`;
      return json(res, 200, {
        messages: found.map(messageJson),
        uri: `${uri}${url.search}`,
        first_page_uri: `${uri}${url.search}`,
        next_page_uri: null,
        previous_page_uri: null,
        page: 0,
        page_size: pageSize,
        start: 0,
        end: Math.max(0, found.length - 1),
      });
    }
    const oneMessage = /^Messages\/((?:SM|MM)[0-9a-f]+)\.json$/.exec(resource);
    if (oneMessage && req.method === "GET") {
      const message = messages.find((m) => m.sid === oneMessage[1]);
      return message?.accountSid === accountSid
        ? json(res, 200, messageJson(message))
        : twilioError(res, 404, 20404, `The requested resource ${url.pathname} was not found`);
    }
    const recording = /^Recordings\/(RE[0-9a-f]+)(\.(wav|mp3|json))?$/.exec(resource);
    if (recording && req.method === "GET") {
      const found = recordings.get(recording[1] as string);
      if (found?.accountSid !== accountSid)
        return twilioError(res, 404, 20404, `The requested resource ${url.pathname} was not found`);
      if (recording[3] === "json") return json(res, 200, { sid: recording[1], call_sid: found.callSid });
      res.writeHead(200, { "Content-Type": "audio/x-wav" });
      return res.end(recordingWav(found.duration, found.words));
    }
    const oneCall = /^Calls\/(CA[0-9a-f]+)\.json$/.exec(resource);
    if (oneCall && req.method === "GET") {
      const call = calls.get(oneCall[1] as string);
      return call?.accountSid === accountSid
        ? json(res, 200, callJson(call))
        : twilioError(res, 404, 20404, "The requested resource was not found");
    }
    log(`404 ${req.method} ${url.pathname} (not simulated)`);
    twilioError(res, 404, 20404, `The requested resource ${url.pathname} was not found`);
  }

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    try {
      const body = await readBody(req);
      if (url.pathname === "/health") return json(res, 200, { ok: true, accountSid: options.accountSid });
      if (url.pathname.startsWith("/_sim/")) return await control(req, res, url, body);
      return await rest(req, res, url, body);
    } catch (error) {
      log(`simulator error: ${String(error)}`);
      if (!res.headersSent) json(res, 500, { error: String(error) });
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as { port: number };
  baseUrl = `http://127.0.0.1:${port}`;
  return {
    port,
    baseUrl,
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of pendingTimers) clearTimeout(timer);
        pendingTimers.clear();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
