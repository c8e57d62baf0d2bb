/**
 * A customer's webhook receiver, for tests and local development: it does
 * what we tell integrators to do — verify each delivery with the off-the-shelf
 * `standardwebhooks` library (signature over id, timestamp and raw body; a
 * five-minute window) — so Apex's signer is checked by code that is not ours.
 * A receiver set up with `"legacy": true` stands for an endpoint created before
 * Standard Webhooks: its secret is used raw (the library's `format: "raw"`), and
 * the deprecated Apex-Signature must verify too, checked with Node's crypto.
 *
 *   PUT  /_receivers/{name}  {"secret": "whsec_…", "legacy": false, "failFirst": 2, "failWith": 500}
 *   POST /hooks/{name}       a delivery; 400 if a signature does not verify
 *   GET  /_receivers/{name}  what arrived, in order, with the verdicts, headers and raw body
 *   ANY  /capture/{name}/…   kept with its headers (a stand-in for an attacker's listener)
 *   GET  /_captures/{name}   what the listener caught
 *   ANY  /answer/{status}?location=…  that status (and Location, if given) with INTERNAL_PAGE:
 *        a redirect or an internal page, for the outbound-URL tests
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";

interface ReceivedDelivery {
  /** webhook-id: one per delivery, the same on every retry. */
  webhookId: string | undefined;
  eventType: string | undefined;
  attempt: number;
  /** Every signature this receiver expects verified. */
  verified: boolean;
  /** Why not: the first failing check, or null. */
  reason: string | null;
  /** Each check on its own: null when it passed; `legacy` only for a legacy receiver. */
  verdicts: { standard: string | null; legacy?: string | null };
  answeredWith: number;
  body: unknown;
  /** As received, so a test can verify (or tamper with) the delivery itself. */
  rawBody: string;
  headers: Record<string, string>;
}

interface Receiver {
  secret: string;
  /** An endpoint created before Standard Webhooks: raw-key standard signature plus Apex-Signature. */
  legacy: boolean;
  /** Answer the first N verified deliveries with `failWith` (a receiver having a bad day). */
  failFirst: number;
  failWith: number;
  received: ReceivedDelivery[];
}

interface WebhookReceiverServer {
  port: number;
  baseUrl: string;
  close(): Promise<void>;
}

const WINDOW_SECONDS = 300;

/** GET /sites/{anything}: a sample local-business site (what onboarding fetches in dev and tests). */
const SAMPLE_SITE = `<!doctype html><html><head><title>Pat's Plumbing — Springfield's 24/7 plumber</title>
<style>body{font-family:sans-serif}</style><script>console.log("not text")</script></head>
<body><h1>Pat's Plumbing</h1><p>Emergency plumbing in Springfield and Shelbyville, 24 hours a day.</p>
<h2>Services</h2><ul><li>Burst pipe repair</li><li>Blocked drains</li><li>Hot water cylinders</li></ul>
<p>Licensed, insured, and on site within the hour. Call +1 555 010 0001.</p></body></html>`;

/** A page no tenant may ever read through Apex: the outbound-URL tests look for it in errors. */
const INTERNAL_PAGE = "internal-only page: instance credentials AKIA-OUTBOUND-CANARY";

/** Standard Webhooks, by the library alone: null when the delivery verifies, else the library's reason. */
function verifyStandard(receiver: Receiver, headers: Record<string, string>, body: string): string | null {
  try {
    const webhook = receiver.legacy ? new Webhook(receiver.secret, { format: "raw" }) : new Webhook(receiver.secret);
    webhook.verify(body, headers);
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** The deprecated `Apex-Signature: t=…,v1=<hex HMAC-SHA256("<t>.<body>")>`, keyed with the secret's characters. */
function verifyLegacy(secret: string, header: string | undefined, body: string): string | null {
  const fields = new Map((header ?? "").split(",").map((part) => part.trim().split("=", 2) as [string, string]));
  const t = Number(fields.get("t"));
  const v1 = fields.get("v1");
  if (!Number.isInteger(t) || !v1) return "malformed Apex-Signature";
  if (Math.abs(Date.now() / 1000 - t) > WINDOW_SECONDS) return "timestamp outside the replay window";
  const expected = createHmac("sha256", secret).update(`${t}.${body}`).digest();
  const given = Buffer.from(v1, "hex");
  return given.length === expected.length && timingSafeEqual(given, expected) ? null : "signature mismatch";
}

/** Node's headers, one string each (a repeated header joined as Node joins it). */
function flatHeaders(req: http.IncomingMessage): Record<string, string> {
  return Object.fromEntries(
    Object.entries(req.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(", ") : (value ?? "")]),
  );
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export async function startWebhookReceiver(
  options: { port: number; log?: (line: string) => void } = { port: 0 },
): Promise<WebhookReceiverServer> {
  const receivers = new Map<string, Receiver>();
  const captures = new Map<string, { method: string; path: string; headers: http.IncomingHttpHeaders }[]>();
  const log = options.log ?? (() => undefined);
  const json = (res: http.ServerResponse, status: number, value: unknown) => {
    res.writeHead(status, { "Content-Type": "application/json" });
    res.end(JSON.stringify(value));
  };

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const [, area, name] = url.pathname.split("/");
    const body = await readBody(req);
    if (area === "_receivers" && name && req.method === "PUT") {
      const config = JSON.parse(body || "{}") as Partial<Receiver>;
      receivers.set(name, {
        secret: String(config.secret ?? ""),
        legacy: config.legacy === true,
        failFirst: Number(config.failFirst ?? 0),
        failWith: Number(config.failWith ?? 500),
        received: [],
      });
      return json(res, 200, { name });
    }
    if (area === "capture" && name) {
      // A listener an attacker would stand up: it keeps every request, headers included,
      // so a test can show that no credential was ever sent to a tenant-chosen URL.
      const list = captures.get(name) ?? [];
      list.push({ method: req.method ?? "", path: url.pathname, headers: req.headers });
      captures.set(name, list);
      return json(res, 200, { captured: true });
    }
    if (area === "_captures" && name && req.method === "GET") {
      return json(res, 200, { requests: captures.get(name) ?? [] });
    }
    if (area === "_receivers" && name && req.method === "GET") {
      return json(res, 200, { received: receivers.get(name)?.received ?? [] });
    }
    if (area === "sites" && req.method === "GET") {
      // A small business's website, for onboarding to read in dev and tests.
      res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
      return res.end(SAMPLE_SITE);
    }
    if (area === "answer" && name) {
      const location = url.searchParams.get("location");
      res.writeHead(Number(name), { "Content-Type": "text/html", ...(location ? { Location: location } : {}) });
      return res.end(INTERNAL_PAGE);
    }
    if (area === "hooks" && name && req.method === "POST") {
      const receiver = receivers.get(name);
      if (!receiver) return json(res, 404, { error: "no such receiver" });
      const headers = flatHeaders(req);
      const verdicts: ReceivedDelivery["verdicts"] = { standard: verifyStandard(receiver, headers, body) };
      if (receiver.legacy) verdicts.legacy = verifyLegacy(receiver.secret, headers["apex-signature"], body);
      const reason = verdicts.standard ?? verdicts.legacy ?? null;
      const verifiedCount = receiver.received.filter((r) => r.verified).length;
      const status = reason ? 400 : verifiedCount < receiver.failFirst ? receiver.failWith : 200;
      let parsed: unknown = null;
      try {
        parsed = JSON.parse(body);
      } catch {
        parsed = body;
      }
      receiver.received.push({
        webhookId: headers["webhook-id"],
        eventType: headers["apex-event-type"],
        attempt: Number(headers["apex-delivery-attempt"] ?? 0),
        verified: reason === null,
        reason,
        verdicts,
        answeredWith: status,
        body: parsed,
        rawBody: body,
        headers,
      });
      log(`${name} ← ${headers["apex-event-type"]} (${reason ?? "verified"}) → ${status}`);
      return json(res, status, reason ? { error: reason } : { ok: status < 300 });
    }
    json(res, 404, { error: "not found" });
  });
  await new Promise<void>((resolve) => server.listen(options.port, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    baseUrl: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
