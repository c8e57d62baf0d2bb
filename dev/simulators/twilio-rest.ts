/**
 * The Twilio simulator's accounts and phone numbers: who may call the REST
 * API as whom, and which number belongs to which account and where its calls
 * and texts go. The REST handlers here speak Twilio's 2010-04-01 wire format:
 *
 *   GET/POST /2010-04-01/Accounts.json                       list, create a subaccount (FriendlyName)
 *   GET/POST /2010-04-01/Accounts/{sid}.json                 fetch, update (FriendlyName, Status)
 *   GET      …/AvailablePhoneNumbers/{US|CA}/Local.json      AreaCode, Contains, InRegion, PageSize
 *   GET/POST …/IncomingPhoneNumbers.json                     list (PhoneNumber, FriendlyName), buy
 *   GET/POST/DELETE …/IncomingPhoneNumbers/{PN…}.json        fetch, update, release
 *
 * The main account (the simulator's options) owns every subaccount. A request
 * under /Accounts/{sid}/ is authorised by Basic auth as that account, or as
 * the main account when {sid} is one of its subaccounts; a closed account's
 * credentials stop working. Numbers are one map shared with the control API
 * (PUT /_sim/numbers/{e164}): a number bought here and one configured there
 * route inbound calls and texts alike.
 */
import { randomBytes } from "node:crypto";
import type http from "node:http";

export const sid = (prefix: string) => `${prefix}${randomBytes(16).toString("hex")}`;

export function twilioError(res: http.ServerResponse, status: number, code: number, message: string): void {
  res.writeHead(status, { "Content-Type": "application/json" });
  res.end(JSON.stringify({ code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status }));
}

export function json(res: http.ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { "Content-Type": "application/json" });
  res.end(JSON.stringify(value));
}

export type AccountStatus = "active" | "suspended" | "closed";

export interface SimAccount {
  sid: string;
  authToken: string;
  friendlyName: string;
  status: AccountStatus;
  ownerAccountSid: string;
  dateCreated: string;
  dateUpdated: string;
}

export type HttpMethod = "GET" | "POST";

/** A Twilio number: whose it is and where its calls and texts go. */
export interface SimNumber {
  sid: string;
  accountSid: string;
  phoneNumber: string;
  friendlyName: string;
  voiceUrl: string | null;
  voiceMethod: HttpMethod;
  voiceFallbackUrl: string | null;
  voiceFallbackMethod: HttpMethod;
  statusCallback: string | null;
  statusCallbackMethod: HttpMethod;
  smsUrl: string | null;
  smsMethod: HttpMethod;
  smsFallbackUrl: string | null;
  smsFallbackMethod: HttpMethod;
  dateCreated: string;
  dateUpdated: string;
}

/** Who is asking (the Basic auth account) and which account the path names. */
export interface Authorized {
  caller: SimAccount;
  account: SimAccount;
}

type AuthAnswer = ({ ok: true } & Authorized) | { ok: false; status: number; code: number; message: string };

/** Where a few area codes are; others are offered with no locality. Illustrative, not a numbering plan. */
const AREA_CODES: Record<
  string,
  {
    locality: string;
    region: string;
    rateCenter: string;
    lata: string;
    postalCode: string;
    latitude: number;
    longitude: number;
  }
> = {
  "415": {
    locality: "San Francisco",
    region: "CA",
    rateCenter: "SNFC CNTL",
    lata: "722",
    postalCode: "94103",
    latitude: 37.7749,
    longitude: -122.4194,
  },
  "212": {
    locality: "New York",
    region: "NY",
    rateCenter: "NWYRCYZN01",
    lata: "132",
    postalCode: "10001",
    latitude: 40.7506,
    longitude: -73.9972,
  },
  "312": {
    locality: "Chicago",
    region: "IL",
    rateCenter: "CHICAGO",
    lata: "358",
    postalCode: "60601",
    latitude: 41.8858,
    longitude: -87.6181,
  },
  "512": {
    locality: "Austin",
    region: "TX",
    rateCenter: "AUSTIN",
    lata: "558",
    postalCode: "78701",
    latitude: 30.2711,
    longitude: -97.7437,
  },
  "303": {
    locality: "Denver",
    region: "CO",
    rateCenter: "DENVER",
    lata: "656",
    postalCode: "80202",
    latitude: 39.7508,
    longitude: -104.9966,
  },
  "206": {
    locality: "Seattle",
    region: "WA",
    rateCenter: "SEATTLE",
    lata: "674",
    postalCode: "98101",
    latitude: 47.6101,
    longitude: -122.3344,
  },
  "617": {
    locality: "Boston",
    region: "MA",
    rateCenter: "BOSTON",
    lata: "128",
    postalCode: "02108",
    latitude: 42.3576,
    longitude: -71.0637,
  },
  "305": {
    locality: "Miami",
    region: "FL",
    rateCenter: "MIAMI",
    lata: "460",
    postalCode: "33130",
    latitude: 25.7663,
    longitude: -80.2059,
  },
};
const DEFAULT_AREA_CODE = "415";

/** A North American area code: NXX, not an N11 service code, second digit not 9. */
const validAreaCode = (code: string) => /^[2-9][0-8]\d$/.test(code) && !/^[2-9]11$/.test(code);

/** "+14155550142" → "(415) 555-0142"; anything else as it is. */
export function friendlyNumber(e164: string): string {
  const nanp = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(e164);
  return nanp ? `(${nanp[1]}) ${nanp[2]}-${nanp[3]}` : e164;
}

const KEYPAD: Record<string, string> = Object.fromEntries(
  ["abc", "def", "ghi", "jkl", "mno", "pqrs", "tuv", "wxyz"].flatMap((letters, i) =>
    [...letters].map((letter) => [letter, String(i + 2)]),
  ),
);

/** Twilio's Contains: digits, letters as on a keypad, `*` any one digit, matched anywhere in the number. */
function containsPattern(contains: string): RegExp {
  const digits = [...contains.replace(/^\+/, "").toLowerCase()]
    .map((c) => (c === "*" ? "\\d" : (KEYPAD[c] ?? (/\d/.test(c) ? c : ""))))
    .join("");
  return new RegExp(digits);
}

const method = (value: string | null | undefined, fallback: HttpMethod = "POST"): HttpMethod | undefined => {
  if (value === null || value === undefined || value === "") return fallback;
  const upper = value.toUpperCase();
  return upper === "GET" || upper === "POST" ? upper : undefined;
};

const pageSize = (url: URL, byDefault: number) =>
  Math.min(Math.max(Number(url.searchParams.get("PageSize") ?? byDefault) || byDefault, 1), 1000);

/** The list envelope of a 2010-04-01 resource: one page holding everything (next_page_uri null). */
function page(key: string, url: URL, records: unknown[], size: number) {
  const uri = `${url.pathname}${url.search}`;
  return {
    [key]: records.slice(0, size),
    page: 0,
    page_size: size,
    start: 0,
    end: Math.max(Math.min(records.length, size) - 1, 0),
    first_page_uri: uri,
    next_page_uri: null,
    previous_page_uri: null,
    uri,
  };
}

/** The number fields a create or update may set, by their form names. */
const NUMBER_FIELDS = {
  FriendlyName: "friendlyName",
  VoiceUrl: "voiceUrl",
  VoiceFallbackUrl: "voiceFallbackUrl",
  StatusCallback: "statusCallback",
  SmsUrl: "smsUrl",
  SmsFallbackUrl: "smsFallbackUrl",
} as const;
const NUMBER_METHODS = {
  VoiceMethod: "voiceMethod",
  VoiceFallbackMethod: "voiceFallbackMethod",
  StatusCallbackMethod: "statusCallbackMethod",
  SmsMethod: "smsMethod",
  SmsFallbackMethod: "smsFallbackMethod",
} as const;

export class TwilioDirectory {
  readonly accounts = new Map<string, SimAccount>();
  /** Every Twilio number, bought or configured through the control API, by E.164. */
  readonly numbers = new Map<string, SimNumber>();
  readonly mainSid: string;
  private readonly log: (line: string) => void;

  constructor(main: { accountSid: string; authToken: string }, log: (line: string) => void) {
    this.log = log;
    const now = new Date().toUTCString();
    this.mainSid = main.accountSid;
    this.accounts.set(main.accountSid, {
      sid: main.accountSid,
      authToken: main.authToken,
      friendlyName: "Apex local Twilio simulator",
      status: "active",
      ownerAccountSid: main.accountSid,
      dateCreated: now,
      dateUpdated: now,
    });
  }

  /** The token an account's webhooks are signed with (the main account's for an unknown sid). */
  tokenOf(accountSid: string | undefined): string {
    const account = this.accounts.get(accountSid ?? "") ?? (this.accounts.get(this.mainSid) as SimAccount);
    return account.authToken;
  }

  /** The account whose Basic auth credentials these are, if they are valid and it is not closed. */
  private credentials(req: http.IncomingMessage): SimAccount | undefined {
    const header = req.headers.authorization ?? "";
    if (!header.startsWith("Basic ")) return undefined;
    const decoded = Buffer.from(header.slice(6), "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    const account = this.accounts.get(decoded.slice(0, colon));
    if (!account || colon < 0 || account.authToken !== decoded.slice(colon + 1)) return undefined;
    return account.status === "closed" ? undefined : account;
  }

  /** Basic auth for /Accounts/{sid}…: that account itself, or the main account for one of its subaccounts. */
  authorize(req: http.IncomingMessage, accountSid: string): AuthAnswer {
    const caller = this.credentials(req);
    if (!caller) return { ok: false, status: 401, code: 20003, message: "Authenticate" };
    const account = this.accounts.get(accountSid);
    if (account && (account.sid === caller.sid || account.ownerAccountSid === caller.sid)) {
      return { ok: true, caller, account };
    }
    if (account) {
      return {
        ok: false,
        status: 404,
        code: 20404,
        message: `The requested resource /2010-04-01/Accounts/${accountSid}.json was not found`,
      };
    }
    return { ok: false, status: 401, code: 20003, message: "Authenticate" };
  }

  accountJson(account: SimAccount, caller: SimAccount) {
    const base = `/2010-04-01/Accounts/${account.sid}`;
    return {
      sid: account.sid,
      owner_account_sid: account.ownerAccountSid,
      friendly_name: account.friendlyName,
      status: account.status,
      type: "Full",
      // A subaccount's token, to itself or its parent, as Twilio shows it; the main account's
      // own fetch (Apex's health probe) has no use for it.
      ...(account.sid !== this.mainSid || caller.sid !== this.mainSid ? { auth_token: account.authToken } : {}),
      date_created: account.dateCreated,
      date_updated: account.dateUpdated,
      uri: `${base}.json`,
      subresource_uris: {
        available_phone_numbers: `${base}/AvailablePhoneNumbers.json`,
        calls: `${base}/Calls.json`,
        incoming_phone_numbers: `${base}/IncomingPhoneNumbers.json`,
        messages: `${base}/Messages.json`,
        recordings: `${base}/Recordings.json`,
      },
    };
  }

  /** GET (list) and POST (create a subaccount) on /2010-04-01/Accounts.json. */
  accountsCollection(req: http.IncomingMessage, res: http.ServerResponse, url: URL, form: URLSearchParams) {
    const caller = this.credentials(req);
    if (!caller) return twilioError(res, 401, 20003, "Authenticate");
    if (req.method === "POST") {
      if (caller.sid !== this.mainSid) {
        return twilioError(res, 403, 20403, "A subaccount cannot create subaccounts");
      }
      const now = new Date().toUTCString();
      const account: SimAccount = {
        sid: sid("AC"),
        authToken: randomBytes(16).toString("hex"),
        friendlyName: form.get("FriendlyName") || `SubAccount Created at ${now}`,
        status: "active",
        ownerAccountSid: this.mainSid,
        dateCreated: now,
        dateUpdated: now,
      };
      this.accounts.set(account.sid, account);
      this.log(`${account.sid} subaccount created: ${account.friendlyName}`);
      return json(res, 201, this.accountJson(account, caller));
    }
    if (req.method !== "GET") return twilioError(res, 405, 20004, "Method not allowed");
    const friendlyName = url.searchParams.get("FriendlyName");
    const status = url.searchParams.get("Status");
    const visible = [...this.accounts.values()].filter(
      (a) =>
        (a.sid === caller.sid || (caller.sid === this.mainSid && a.ownerAccountSid === caller.sid)) &&
        (!friendlyName || a.friendlyName === friendlyName) &&
        (!status || a.status === status),
    );
    return json(
      res,
      200,
      page(
        "accounts",
        url,
        visible.map((a) => this.accountJson(a, caller)),
        pageSize(url, 50),
      ),
    );
  }

  /** GET/POST /2010-04-01/Accounts/{sid}.json: fetch, or update FriendlyName and Status. */
  accountResource(req: http.IncomingMessage, res: http.ServerResponse, auth: Authorized, form: URLSearchParams) {
    const { account, caller } = auth;
    if (req.method === "GET") return json(res, 200, this.accountJson(account, caller));
    if (req.method !== "POST") return twilioError(res, 405, 20004, "Method not allowed");
    const status = form.get("Status");
    if (status !== null) {
      if (!["active", "suspended", "closed"].includes(status)) {
        return twilioError(res, 400, 21201, `Status must be one of active, suspended, closed; not "${status}"`);
      }
      if (account.sid === this.mainSid || caller.sid === account.sid) {
        return twilioError(res, 403, 20403, "Only the parent account may change a subaccount's status");
      }
      if (account.status === "closed" && status !== "closed") {
        return twilioError(res, 400, 21201, `Account ${account.sid} is closed and cannot be reopened`);
      }
      account.status = status as AccountStatus;
      if (status === "closed") {
        // Closing an account releases its numbers, as Twilio does.
        for (const [e164, number] of this.numbers) if (number.accountSid === account.sid) this.numbers.delete(e164);
      }
      this.log(`${account.sid} is ${status}`);
    }
    const friendlyName = form.get("FriendlyName");
    if (friendlyName) account.friendlyName = friendlyName;
    account.dateUpdated = new Date().toUTCString();
    return json(res, 200, this.accountJson(account, caller));
  }

  /** The next numbers on offer in an area code: 555-0100…0199, never one somebody owns. */
  private offered(areaCode: string, contains: RegExp | null, limit: number): string[] {
    const offered: string[] = [];
    for (let line = 100; line < 200 && offered.length < limit; line++) {
      const e164 = `+1${areaCode}55501${String(line).slice(1)}`;
      if (this.numbers.has(e164) || (contains && !contains.test(e164.slice(1)))) continue;
      offered.push(e164);
    }
    return offered;
  }

  numberJson(number: SimNumber) {
    const uri = `/2010-04-01/Accounts/${number.accountSid}/IncomingPhoneNumbers/${number.sid}.json`;
    return {
      sid: number.sid,
      account_sid: number.accountSid,
      phone_number: number.phoneNumber,
      friendly_name: number.friendlyName,
      voice_url: number.voiceUrl,
      voice_method: number.voiceMethod,
      voice_fallback_url: number.voiceFallbackUrl,
      voice_fallback_method: number.voiceFallbackMethod,
      voice_caller_id_lookup: false,
      voice_application_sid: null,
      status_callback: number.statusCallback,
      status_callback_method: number.statusCallbackMethod,
      sms_url: number.smsUrl,
      sms_method: number.smsMethod,
      sms_fallback_url: number.smsFallbackUrl,
      sms_fallback_method: number.smsFallbackMethod,
      sms_application_sid: null,
      capabilities: { voice: true, sms: true, mms: true, fax: false },
      address_requirements: "none",
      beta: false,
      origin: "twilio",
      status: "in-use",
      api_version: "2010-04-01",
      date_created: number.dateCreated,
      date_updated: number.dateUpdated,
      uri,
    };
  }

  /** Control API: PUT /_sim/numbers/{e164} replaces a number's webhooks (creating it, the main account's by default). */
  configureNumber(e164: string, input: Record<string, unknown>): SimNumber {
    const text = (key: string) => (typeof input[key] === "string" && input[key] ? (input[key] as string) : null);
    const existing = this.numbers.get(e164);
    const now = new Date().toUTCString();
    const number: SimNumber = {
      sid: existing?.sid ?? sid("PN"),
      accountSid: text("accountSid") ?? existing?.accountSid ?? this.mainSid,
      phoneNumber: e164,
      friendlyName: text("friendlyName") ?? existing?.friendlyName ?? friendlyNumber(e164),
      voiceUrl: text("voiceUrl"),
      voiceMethod: method(text("voiceMethod")) ?? "POST",
      voiceFallbackUrl: text("voiceFallbackUrl"),
      voiceFallbackMethod: method(text("voiceFallbackMethod")) ?? "POST",
      statusCallback: text("statusCallback"),
      statusCallbackMethod: method(text("statusCallbackMethod")) ?? "POST",
      smsUrl: text("smsUrl"),
      smsMethod: method(text("smsMethod")) ?? "POST",
      smsFallbackUrl: text("smsFallbackUrl"),
      smsFallbackMethod: method(text("smsFallbackMethod")) ?? "POST",
      dateCreated: existing?.dateCreated ?? now,
      dateUpdated: now,
    };
    this.numbers.set(e164, number);
    return number;
  }

  /** Control API: GET /_sim/numbers. */
  numberList() {
    return [...this.numbers.values()].map((n) => ({
      number: n.phoneNumber,
      sid: n.sid,
      accountSid: n.accountSid,
      friendlyName: n.friendlyName,
      voiceUrl: n.voiceUrl,
      voiceMethod: n.voiceMethod,
      voiceFallbackUrl: n.voiceFallbackUrl,
      voiceFallbackMethod: n.voiceFallbackMethod,
      statusCallback: n.statusCallback,
      smsUrl: n.smsUrl,
      smsMethod: n.smsMethod,
      smsFallbackUrl: n.smsFallbackUrl,
    }));
  }

  /** Applies a create/update form to a number; the name of the first invalid parameter, if any. */
  private applyForm(number: SimNumber, form: URLSearchParams): string | undefined {
    for (const [param, field] of Object.entries(NUMBER_FIELDS)) {
      const value = form.get(param);
      if (value === null) continue;
      if (value && field !== "friendlyName" && !URL.canParse(value)) return param;
      if (field === "friendlyName") number.friendlyName = value || friendlyNumber(number.phoneNumber);
      else number[field] = value || null;
    }
    for (const [param, field] of Object.entries(NUMBER_METHODS)) {
      const value = form.get(param);
      if (value === null) continue;
      const parsed = method(value);
      if (!parsed) return param;
      number[field] = parsed;
    }
    return undefined;
  }

  /**
   * AvailablePhoneNumbers and IncomingPhoneNumbers under an authorised
   * account. False when the resource is neither (the caller answers it).
   */
  numbersResource(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    url: URL,
    resource: string,
    form: URLSearchParams,
    auth: Authorized,
  ): boolean {
    const { account } = auth;
    const available = /^AvailablePhoneNumbers\/([A-Z]{2})\/Local\.json$/.exec(resource);
    if (available && req.method === "GET") {
      const country = available[1] as string;
      if (country !== "US" && country !== "CA") {
        twilioError(res, 404, 20404, `The requested resource ${url.pathname} was not found`);
        return true;
      }
      const areaCode = url.searchParams.get("AreaCode");
      if (areaCode !== null && !validAreaCode(areaCode)) {
        twilioError(res, 400, 21451, `AreaCode ${areaCode} is not a valid North American area code`);
        return true;
      }
      const inRegion = url.searchParams.get("InRegion")?.toUpperCase() ?? null;
      const code =
        areaCode ?? Object.entries(AREA_CODES).find(([, place]) => place.region === inRegion)?.[0] ?? DEFAULT_AREA_CODE;
      const place = AREA_CODES[code];
      const contains = url.searchParams.get("Contains");
      const offered = this.offered(code, contains ? containsPattern(contains) : null, pageSize(url, 50));
      json(res, 200, {
        available_phone_numbers: offered.map((e164) => ({
          friendly_name: friendlyNumber(e164),
          phone_number: e164,
          lata: place?.lata ?? null,
          locality: place?.locality ?? null,
          rate_center: place?.rateCenter ?? null,
          latitude: place ? place.latitude.toFixed(6) : null,
          longitude: place ? place.longitude.toFixed(6) : null,
          region: place?.region ?? inRegion,
          postal_code: place?.postalCode ?? null,
          iso_country: country,
          address_requirements: "none",
          beta: false,
          capabilities: { voice: true, SMS: true, MMS: true, fax: false },
        })),
        uri: `${url.pathname}${url.search}`,
      });
      return true;
    }

    if (resource === "IncomingPhoneNumbers.json" && req.method === "POST") {
      let e164 = form.get("PhoneNumber");
      const areaCode = form.get("AreaCode");
      if (!e164 && !areaCode) {
        twilioError(res, 400, 21201, "Required parameter PhoneNumber or AreaCode missing.");
        return true;
      }
      if (!e164) {
        if (!validAreaCode(areaCode as string)) {
          twilioError(res, 400, 21451, `AreaCode ${areaCode} is not a valid North American area code`);
          return true;
        }
        e164 = this.offered(areaCode as string, null, 1)[0] ?? null;
        if (!e164) {
          twilioError(res, 400, 21452, `No phone numbers found in area code ${areaCode}`);
          return true;
        }
      }
      if (/^\d{10}$/.test(e164)) e164 = `+1${e164}`;
      if (!/^\+[1-9]\d{6,14}$/.test(e164)) {
        twilioError(res, 400, 21421, `PhoneNumber ${e164} is invalid`);
        return true;
      }
      if (this.numbers.has(e164)) {
        twilioError(res, 400, 21422, `PhoneNumber ${e164} is not available`);
        return true;
      }
      const now = new Date().toUTCString();
      const number: SimNumber = {
        sid: sid("PN"),
        accountSid: account.sid,
        phoneNumber: e164,
        friendlyName: friendlyNumber(e164),
        voiceUrl: null,
        voiceMethod: "POST",
        voiceFallbackUrl: null,
        voiceFallbackMethod: "POST",
        statusCallback: null,
        statusCallbackMethod: "POST",
        smsUrl: null,
        smsMethod: "POST",
        smsFallbackUrl: null,
        smsFallbackMethod: "POST",
        dateCreated: now,
        dateUpdated: now,
      };
      const invalid = this.applyForm(number, form);
      if (invalid) {
        twilioError(res, 400, 21201, `${invalid} "${form.get(invalid)}" is not valid`);
        return true;
      }
      this.numbers.set(e164, number);
      this.log(`${number.sid} ${e164} bought by ${account.sid}`);
      json(res, 201, this.numberJson(number));
      return true;
    }

    if (resource === "IncomingPhoneNumbers.json" && req.method === "GET") {
      const wanted = url.searchParams.get("PhoneNumber");
      const pattern = wanted ? containsPattern(wanted) : null;
      const friendlyName = url.searchParams.get("FriendlyName");
      const owned = [...this.numbers.values()].filter(
        (n) =>
          n.accountSid === account.sid &&
          (!pattern || pattern.test(n.phoneNumber.slice(1))) &&
          (!friendlyName || n.friendlyName === friendlyName),
      );
      json(
        res,
        200,
        page(
          "incoming_phone_numbers",
          url,
          owned.map((n) => this.numberJson(n)),
          pageSize(url, 50),
        ),
      );
      return true;
    }

    const one = /^IncomingPhoneNumbers\/(PN[0-9a-fA-F]{32})\.json$/.exec(resource);
    if (!one) return false;
    const number = [...this.numbers.values()].find((n) => n.sid === one[1] && n.accountSid === account.sid);
    if (!number) {
      twilioError(res, 404, 20404, `The requested resource ${url.pathname} was not found`);
      return true;
    }
    if (req.method === "GET") {
      json(res, 200, this.numberJson(number));
    } else if (req.method === "DELETE") {
      this.numbers.delete(number.phoneNumber);
      this.log(`${number.sid} ${number.phoneNumber} released by ${account.sid}`);
      res.writeHead(204);
      res.end();
    } else if (req.method === "POST") {
      const updated = { ...number };
      const invalid = this.applyForm(updated, form);
      if (invalid) {
        twilioError(res, 400, 21201, `${invalid} "${form.get(invalid)}" is not valid`);
        return true;
      }
      const transferTo = form.get("AccountSid");
      if (transferTo && transferTo !== number.accountSid) {
        // Moving a number between a parent and its subaccounts takes the parent's credentials.
        const target = this.accounts.get(transferTo);
        if (auth.caller.sid !== this.mainSid || !target || target.status !== "active") {
          twilioError(res, 400, 21201, `AccountSid ${transferTo} cannot receive this number`);
          return true;
        }
        updated.accountSid = target.sid;
      }
      updated.dateUpdated = new Date().toUTCString();
      this.numbers.set(updated.phoneNumber, updated);
      json(res, 200, this.numberJson(updated));
    } else {
      twilioError(res, 405, 20004, "Method not allowed");
    }
    return true;
  }
}
