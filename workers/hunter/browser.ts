import type { Browser, BrowserWorker, Page } from "@cloudflare/puppeteer";

/**
 * puppeteer is ~0.3 MiB of the Worker: imported when a hunt first needs a
 * browser, so a cold start on the call path evaluates none of it
 * (docs/decisions/027-lead-hunter.md).
 */
const loadPuppeteer = async () => (await import("@cloudflare/puppeteer")).default;

/**
 * One browser for a whole hunt, through Cloudflare Browser Rendering. A run
 * first joins an idle session another run left open (no launch cost, and
 * no extra concurrent browser against the plan's limit), else launches one
 * if the plan allows another now, else waits for the time Browser Rendering
 * names. At the end it disconnects and leaves the session to idle out
 * (`keep_alive`), so the next run can join it. Locally the binding runs
 * Debian's Chromium (dev/browser.ts).
 */
const KEEP_ALIVE_MS = 60_000;
/** Our product token, as robots.txt was read for it (robots.ts). */
const USER_AGENT = "Mozilla/5.0 (compatible; ApexHunter/1.0; +https://apex.example.com/hunter)";
/** The longest a run waits for the plan to allow another browser. */
const MAX_WAIT_FOR_BROWSER_MS = 30_000;

export interface PageVisit {
  /** The HTTP status of the main document; 0 when it never answered. */
  status: number;
  page: Page;
  retryAfterSeconds?: number;
}

export class HuntBrowser {
  private browser: Browser | undefined;

  private readonly binding: BrowserWorker;

  constructor(binding: BrowserRun) {
    // The generated Env names the binding `BrowserRun`; puppeteer takes the same binding as its `BrowserWorker`.
    this.binding = binding as unknown as BrowserWorker;
  }

  private async acquire(): Promise<Browser> {
    if (this.browser?.isConnected()) return this.browser;
    const puppeteer = await loadPuppeteer();
    const deadline = Date.now() + MAX_WAIT_FOR_BROWSER_MS;
    for (;;) {
      const idle = (await puppeteer.sessions(this.binding)).filter((session) => !session.connectionId);
      for (const session of idle) {
        try {
          this.browser = await puppeteer.connect(this.binding, session.sessionId);
          return this.browser;
        } catch {
          // Taken by another run between the listing and the connect: try the next one.
        }
      }
      const limits = await puppeteer.limits(this.binding);
      if (limits.allowedBrowserAcquisitions > 0) {
        this.browser = await puppeteer.launch(this.binding, { keep_alive: KEEP_ALIVE_MS });
        return this.browser;
      }
      const wait = Math.max(500, limits.timeUntilNextAllowedBrowserAcquisition);
      if (Date.now() + wait > deadline) {
        throw new Error(`no browser available: the plan allows ${limits.maxConcurrentSessions} at once`);
      }
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  /**
   * Opens `url` in a fresh tab and waits for `ready` (the board's sign that
   * its scripts finished rendering). A page that answers an error status is
   * returned without waiting; one that never answers throws after `timeoutMs`.
   */
  async visit(url: string, ready: string, timeoutMs: number): Promise<PageVisit> {
    const browser = await this.acquire();
    const page = await browser.newPage();
    const opened = Date.now();
    try {
      await page.setViewport({ width: 1100, height: 900 });
      await page.setUserAgent(USER_AGENT);
      const response = await page.goto(url, { waitUntil: "domcontentloaded", timeout: timeoutMs });
      const status = response?.status() ?? 0;
      if (status >= 400) {
        const retryAfter = Number(response?.headers()["retry-after"]);
        return { status, page, ...(Number.isFinite(retryAfter) ? { retryAfterSeconds: retryAfter } : {}) };
      }
      await page.waitForSelector(ready, { timeout: Math.max(1_000, timeoutMs - (Date.now() - opened)) });
      return { status, page };
    } catch (error) {
      await page.close().catch(() => undefined);
      throw error;
    }
  }

  /** Leaves the session open for the next run (it idles out after KEEP_ALIVE_MS). */
  async release(): Promise<void> {
    const browser = this.browser;
    this.browser = undefined;
    if (!browser) return;
    try {
      for (const page of await browser.pages()) await page.close().catch(() => undefined);
      await browser.disconnect();
    } catch {
      await browser.close().catch(() => undefined);
    }
  }
}
