/**
 * A customer's webhook receiver, for tests and local development: it does
 * what we tell integrators to do — recompute the HMAC over the raw body with
 * the endpoint secret, compare in constant time, refuse timestamps outside a
 * five-minute window — with Node's own crypto, independent of Apex's code.
 *
 *   PUT  /_receivers/{name}  {"secret": "whsec_…", "failFirst": 2, "failWith": 500}
 *   POST /hooks/{name}       a delivery; 400 if the signature does not verify
 *   GET  /_receivers/{name}  what arrived, in order, with the verdict
 *   ANY  /capture/{name}/…   kept with its headers (a stand-in for an attacker's listener)
 *   GET  /_captures/{name}   what the listener caught
 *   ANY  /answer/{status}?location=…  that status (and Location, if given) with INTERNAL_PAGE:
 *        a redirect or an internal page, for the outbound-URL tests
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";

interface ReceivedDelivery {
  eventId: string | undefined;
  eventType: string | undefined;
  attempt: number;
  verified: boolean;
  reason: string | null;
  answeredWith: number;
  body: unknown;
}

interface Receiver {
  secret: string;
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

function verify(secret: string, header: string | undefined, body: string): string | null {
  const fields = new Map((header ?? "").split(",").map((part) => part.trim().split("=", 2) as [string, string]));
  const t = Number(fields.get("t"));
  const v1 = fields.get("v1");
  if (!Number.isInteger(t) || !v1) return "malformed Apex-Signature";
  if (Math.abs(Date.now() / 1000 - t) > WINDOW_SECONDS) return "timestamp outside the replay window";
  const expected = createHmac("sha256", secret).update(`${t}.${body}`).digest();
  const given = Buffer.from(v1, "hex");
  return given.length === expected.length && timingSafeEqual(given, expected) ? null : "signature mismatch";
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
      const reason = verify(receiver.secret, req.headers["apex-signature"] as string | undefined, body);
      const verifiedCount = receiver.received.filter((r) => r.verified).length;
      const status = reason ? 400 : verifiedCount < receiver.failFirst ? receiver.failWith : 200;
      let parsed: unknown = null;
      try {
        parsed = JSON.parse(body);
      } catch {
        parsed = body;
      }
      receiver.received.push({
        eventId: req.headers["apex-event-id"] as string | undefined,
        eventType: req.headers["apex-event-type"] as string | undefined,
        attempt: Number(req.headers["apex-delivery-attempt"] ?? 0),
        verified: reason === null,
        reason,
        answeredWith: status,
        body: parsed,
      });
      log(`${name} ← ${req.headers["apex-event-type"]} (${reason ?? "verified"}) → ${status}`);
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
