import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import worker from "../workers/index";

/**
 * A browser without JavaScript, for the web app's tests: it keeps cookies
 * the way a browser does (Set-Cookie in, Cookie out, Max-Age=0 deletes),
 * reads the CSRF token a page's forms carry, and posts forms as a
 * same-origin page would (`Sec-Fetch-Site: same-origin`). `origin` picks
 * plain http (local dev cookie names) or https (`__Host-` names).
 */
export class WebBrowser {
  readonly cookies = new Map<string, string>();
  /** The CSRF token of the last page that had a form. */
  csrf = "";

  /** `overrides` swaps bindings for this browser's requests (e.g. a dead Postgres). */
  constructor(
    readonly origin = "http://apex.test",
    readonly overrides: Partial<Env> = {},
  ) {}

  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (!headers.has("cookie") && this.cookies.size > 0) headers.set("cookie", this.cookieHeader());
    if (!headers.has("cf-connecting-ip")) headers.set("cf-connecting-ip", `10.9.${Math.floor(Math.random() * 250)}.1`);
    const ctx = createExecutionContext();
    const response = await worker.fetch(
      new Request(`${this.origin}${path}`, { redirect: "manual", ...init, headers }) as Request<
        unknown,
        IncomingRequestCfProperties
      >,
      { ...env, ...this.overrides } as Env,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    this.keep(response);
    return response;
  }

  /** Loads a page; its HTML is returned and its form's CSRF token kept. */
  async open(path: string): Promise<{ response: Response; html: string }> {
    const response = await this.fetch(path);
    const html = await response.text();
    const token = /name="csrf" value="([^"]*)"/.exec(html)?.[1];
    if (token) this.csrf = token;
    return { response, html };
  }

  /** Posts a form from this origin, with the kept CSRF token unless `fields` says otherwise. */
  post(path: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
    return this.fetch(path, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "sec-fetch-site": "same-origin", ...headers },
      body: new URLSearchParams({ csrf: this.csrf, ...fields }).toString(),
    });
  }

  /** Opens /login and logs in; the browser then holds a session. */
  async logIn(email: string, password: string, next?: string): Promise<Response> {
    await this.open("/login");
    return this.post("/login", { email, password, ...(next ? { next } : {}) });
  }

  cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }

  private keep(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = "", ...attributes] = line.split(";");
      const [name = "", ...value] = pair.trim().split("=");
      if (attributes.some((a) => /^\s*max-age=0\s*$/i.test(a))) this.cookies.delete(name);
      else this.cookies.set(name, value.join("="));
    }
  }
}
