import { describe, expect, it, vi } from "vitest";
import { request } from "./helpers";
import { configureHunter } from "./hunter";
import { memberOf, signUpTenant, type TestTenant } from "./tenants";
import { WebBrowser } from "./web-browser";

/**
 * The Hunt page (/hunt): the lead hunter's settings, "Hunt now", the runs and
 * the hunted leads of the project chosen in the header, plus the screenshot
 * a lead was read from and the dashboard's alert cards. The page calls the
 * same services as /api/v1/projects/{id}/lead-hunter-settings and /hunt, so
 * these tests check what a person sees and that the page writes what the
 * API reads back.
 */

const HUNT_TIMEOUT = 120_000;

/** The page's text as a reader sees it: React's comment markers gone, its entities decoded. */
const readable = (html: string) =>
  html
    .replace(/<!-- -->/g, "")
    .replaceAll("&#x27;", "'")
    .replaceAll("&quot;", '"')
    .replaceAll("&amp;", "&");

async function signedIn(person: { email: string; password: string }): Promise<WebBrowser> {
  const browser = new WebBrowser();
  expect((await browser.logIn(person.email, person.password)).status).toBe(302);
  return browser;
}

const settingsOf = async (tenant: TestTenant) =>
  (await request(`/api/v1/projects/${tenant.projectId}/lead-hunter-settings`, { headers: tenant.auth })).json<
    Record<string, unknown>
  >();

/** The settings form as a person fills it in; `URLSearchParams` keeps repeated names (the tick boxes). */
function settingsForm(csrf: string, fields: [string, string][]): string {
  return new URLSearchParams([["csrf", csrf], ["intent", "save"], ["version", "0"], ...fields]).toString();
}

function postForm(browser: WebBrowser, body: string): Promise<Response> {
  return browser.fetch("/hunt", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", "sec-fetch-site": "same-origin" },
    body,
  });
}

const FILLED: [string, string][] = [
  ["enabled", "on"],
  ["platforms", "gigs"],
  ["keywords", "water heater\r\ndrain"],
  ["places", "Austin\r\nRound Rock"],
  ["scoreThreshold", "70"],
  ["maxPagesPerRun", "1"],
  ["schedule.everyMinutes", "45"],
  ["schedule.days", "mon"],
  ["schedule.days", "sat"],
  ["schedule.from", "07:30"],
  ["schedule.to", "17:00"],
  ["contactPolicy", "alert-only"],
];

const rows = (html: string, testId: string) =>
  [...html.matchAll(new RegExp(`<tr data-testid="${testId}"[^>]*>([\\s\\S]*?)</tr>`, "g"))].map((m) =>
    readable(m[1] ?? ""),
  );
/** A tick box's tag and the words after it (React orders the attributes its own way). */
const tickBox = (html: string, name: string, value: string) =>
  new RegExp(`<input(?=[^>]*name="${name}")(?=[^>]*value="${value}")[^>]*>[^<]*`).exec(html)?.[0] ?? "";
const cell = (row: string, testId: string) => new RegExp(`data-testid="${testId}"[^>]*>([^<]*)<`).exec(row)?.[1];

describe("the Hunt page", () => {
  it("shows an owner the settings form with the boards, the contact policy and Hunt now, and no runs yet", async () => {
    const owner = await signUpTenant("hunt-page-view");
    const { response, html } = await (await signedIn(owner)).open("/hunt");

    expect(response.status).toBe(200);
    const page = readable(html);
    expect(page).toContain("Hunt now");
    expect(tickBox(page, "platforms", "gigs")).toMatch(/>Gig board$/);
    expect(page).toContain("Alert me only (default)");
    expect(page).toContain("Call posters who published a phone number");
    expect(page).toContain('data-testid="contact-policy-warning">Changing this is recorded in the audit log');
    expect(page).toContain("No hunts yet.");
    expect(page).toContain("No hunted leads yet.");
    expect(page).toMatch(/<a[^>]*href="\/hunt"[^>]*>Hunt<\/a>/);
  });

  it("an owner's save is what the API reads back, and the page shows it", async () => {
    const owner = await signUpTenant("hunt-page-save");
    const browser = await signedIn(owner);
    await browser.open("/hunt");

    const saved = await postForm(browser, settingsForm(browser.csrf, FILLED));

    expect(saved.status).toBe(200);
    expect(readable(await saved.text())).toContain('data-testid="settings-notice">Saved.<');
    expect(await settingsOf(owner)).toMatchObject({
      enabled: true,
      platforms: ["gigs"],
      keywords: ["water heater", "drain"],
      places: ["Austin", "Round Rock"],
      scoreThreshold: 70,
      maxPagesPerRun: 1,
      schedule: { everyMinutes: 45, days: ["mon", "sat"], from: "07:30", to: "17:00" },
      contactPolicy: "alert-only",
    });
    const page = readable((await browser.open("/hunt")).html);
    expect(page).toMatch(/<textarea name="keywords"[^>]*>water heater\ndrain<\/textarea>/);
    expect(page).toMatch(/name="scoreThreshold"[^>]*value="70"/);
    expect(tickBox(page, "schedule.days", "sat")).toContain('checked=""');
    expect(tickBox(page, "schedule.days", "tue")).not.toContain('checked=""');
  });

  it("a keyword too short is refused with a 422 beside the keywords, naming its line, and nothing is saved", async () => {
    const owner = await signUpTenant("hunt-page-bad");
    const browser = await signedIn(owner);
    await browser.open("/hunt");
    const bad = FILLED.map(([name, value]): [string, string] =>
      name === "keywords" ? [name, "water heater\r\nx"] : [name, value],
    );

    const refused = await postForm(browser, settingsForm(browser.csrf, bad));

    expect(refused.status).toBe(422);
    expect(readable(await refused.text())).toMatch(/<span id="keywords-error" class="error">line 2: /);
    expect((await settingsOf(owner)).keywords).toEqual([]);
  });

  it("a viewer sees the settings read-only, without Hunt now, and cannot save", async () => {
    const owner = await signUpTenant("hunt-page-viewer");
    const viewer = await memberOf(owner, "viewer");
    const browser = await signedIn(viewer);

    const { response, html } = await browser.open("/hunt");

    expect(response.status).toBe(200);
    expect(html).toContain('data-testid="read-only"');
    expect(html).not.toContain("Hunt now</button>");
    expect(html).toMatch(/<fieldset disabled="">/);
    const refused = await postForm(browser, settingsForm(browser.csrf, FILLED));
    expect(refused.status).toBe(403);
    expect((await settingsOf(owner)).keywords).toEqual([]);
  });

  it("Hunt now with no keywords says what is missing and starts nothing", async () => {
    const owner = await signUpTenant("hunt-page-empty");
    const browser = await signedIn(owner);
    await browser.open("/hunt");

    const refused = await browser.post("/hunt", { intent: "hunt" });

    expect(refused.status).toBe(422);
    expect(readable(await refused.text())).toContain(
      'data-testid="hunt-error">Choose at least one board and one keyword',
    );
    const overview = await (await request(`/api/v1/projects/${owner.projectId}/hunt`, { headers: owner.auth })).json<{
      runs: unknown[];
    }>();
    expect(overview.runs).toEqual([]);
  });

  it(
    "Hunt now redirects back, runs one sniper_agent hunt (a second press joins it), and the page shows its counts, leads, screenshots and the dashboard's alerts",
    async () => {
      const owner = await signUpTenant("hunt-page-now");
      // Narrow, on the tests' root gig board: one keyword, one place, one page; every scored lead alerts.
      const configured = await configureHunter(owner, {
        platforms: ["gigs"],
        keywords: ["toilet"],
        places: ["Cedar Park"],
        maxPagesPerRun: 1,
        scoreThreshold: 0,
      });
      expect(configured.status).toBe(200);
      const browser = await signedIn(owner);
      await browser.open("/hunt");

      const started = await browser.post("/hunt", { intent: "hunt" });
      const again = await browser.post("/hunt", { intent: "hunt" });

      expect(started.status).toBe(302);
      expect(started.headers.get("location")).toBe("/hunt");
      expect(again.status).toBe(302);
      const overview = async () =>
        (await request(`/api/v1/projects/${owner.projectId}/hunt`, { headers: owner.auth })).json<{
          runs: { id: string; task: string; status: string; message: string }[];
          leads: { id: string; score: number | null; alertedAt: string | null }[];
        }>();
      const { runs } = await overview();
      expect(runs).toHaveLength(1);
      expect(runs[0]?.task).toBe("sniper_agent");

      const done = await vi.waitFor(
        async () => {
          const state = await overview();
          const run = state.runs[0];
          if (run?.status !== "completed") throw new Error(`still ${run?.status}: ${run?.message}`);
          // Scoring (and so the alert) runs on the queue after the hunt.
          if (state.leads.length === 0 || state.leads.some((lead) => lead.alertedAt === null)) {
            throw new Error("not all scored and alerted yet");
          }
          return state;
        },
        { timeout: HUNT_TIMEOUT - 15_000, interval: 500 },
      );

      const { html } = await browser.open("/hunt");
      const [run] = rows(html, "run-row");
      expect(cell(run ?? "", "run-status")).toBe("completed");
      expect(cell(run ?? "", "run-progress")).toBe("100%");
      expect(Number(cell(run ?? "", "run-new"))).toBe(done.leads.length);
      expect(Number(cell(run ?? "", "run-scored"))).toBe(done.leads.length);
      expect(Number(cell(run ?? "", "run-alerted"))).toBe(done.leads.length);
      expect(cell(run ?? "", "run-known")).toMatch(/^\d+$/);
      expect(cell(run ?? "", "run-not-matching")).toMatch(/^\d+$/);
      const leads = rows(html, "lead-row");
      expect(leads).toHaveLength(done.leads.length);
      expect(leads.join("\n")).toMatch(/toilet/i);
      expect(leads[0]).toContain("Gig board");
      expect(leads[0]).toMatch(/<details><summary>What it read<\/summary>/);

      const lead = done.leads[0];
      const shot = await browser.fetch(`/leads/${lead?.id}/hunt-screenshot`);
      expect(shot.status).toBe(200);
      expect(shot.headers.get("content-type")).toBe("image/png");
      const png = new Uint8Array(await shot.arrayBuffer());
      expect([...png.slice(1, 4)].map((c) => String.fromCharCode(c)).join("")).toBe("PNG");
      expect((await new WebBrowser().fetch(`/leads/${lead?.id}/hunt-screenshot`)).status).toBe(302);

      const dashboard = readable((await browser.open("/")).html);
      const alerts = [...dashboard.matchAll(/data-testid="hunt-alert"><a[^>]*href="\/leads\/([^"]+)"[^>]*>([^<]*)</g)];
      expect(alerts.length).toBe(Math.min(5, done.leads.length));
      expect(alerts[0]?.[2]).toMatch(/^New job on Gig board: .+, Cedar Park$/);
      expect(done.leads.map((l) => l.id)).toContain(alerts[0]?.[1]);
    },
    HUNT_TIMEOUT,
  );
});
