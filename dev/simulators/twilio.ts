/**
 * Local Twilio: answers on Twilio's REST paths (`/2010-04-01/Accounts/{sid}/…`)
 * with HTTP Basic auth checked against the configured account, and Twilio's
 * JSON error shape. The speed-to-lead issue fills in Calls, Messages and
 * Recordings and the signed webhooks that drive a call back into Apex; until
 * then every resource answers Twilio's 20404 "not found".
 */
import http from "node:http";

export interface TwilioSimulatorOptions {
  port: number;
  accountSid: string;
  authToken: string;
  log?: (line: string) => void;
}

export interface TwilioSimulator {
  port: number;
  baseUrl: string;
  close(): Promise<void>;
}

function twilioError(res: http.ServerResponse, status: number, code: number, message: string): void {
  res.writeHead(status, { "Content-Type": "application/json" });
  res.end(JSON.stringify({ code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status }));
}

function authorized(req: http.IncomingMessage, accountSid: string, authToken: string): boolean {
  const header = req.headers.authorization ?? "";
  if (!header.startsWith("Basic ")) return false;
  const [user, password] = Buffer.from(header.slice(6), "base64").toString("utf8").split(":");
  return user === accountSid && password === authToken;
}

export async function startTwilioSimulator(options: TwilioSimulatorOptions): Promise<TwilioSimulator> {
  const log = options.log ?? (() => undefined);
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname === "/health") {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ ok: true, accountSid: options.accountSid }));
      return;
    }
    const account = /^\/2010-04-01\/Accounts\/([^/]+)/.exec(url.pathname);
    if (!account) return twilioError(res, 404, 20404, `The requested resource ${url.pathname} was not found`);
    if (!authorized(req, options.accountSid, options.authToken) || account[1] !== options.accountSid) {
      log(`401 ${req.method} ${url.pathname}`);
      return twilioError(res, 401, 20003, "Authenticate");
    }
    log(`404 ${req.method} ${url.pathname} (not simulated yet)`);
    twilioError(res, 404, 20404, `The requested resource ${url.pathname} was not found`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as { port: number };
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
