/**
 * Browser checks: Debian's Chromium driven by playwright-core against the
 * stack `npm run dev` runs. Each check saves screenshots at desktop and phone
 * widths under e2e/screenshots/.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import type { Stack } from "../dev/stack.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const SHOTS = fileURLToPath(new URL("./screenshots/", import.meta.url));
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };

interface BrowserCheck {
  name: string;
  run(stack: Stack, browser: Browser): Promise<void>;
}

function expect(condition: boolean, message: string): void {
  if (!condition) throw new Error(message);
}

const AXE = createRequire(import.meta.url).resolve("axe-core/axe.min.js");

/**
 * WCAG 2 A/AA checks by axe-core on the page as it stands; serious and
 * critical findings fail the check (contrast, labels, names, landmarks …).
 */
async function audit(page: Page, name: string): Promise<void> {
  // The pages' Content-Security-Policy refuses inline scripts without its
  // nonce (addScriptTag would be blocked): axe goes in as a script that
  // carries the nonce of the page's own Remix scripts, so the policy stays on.
  await page.evaluate(
    ({ source }) => {
      const script = document.createElement("script");
      script.nonce = document.querySelector<HTMLScriptElement>("script[nonce]")?.nonce ?? "";
      script.textContent = source;
      document.head.appendChild(script);
    },
    { source: readFileSync(AXE, "utf8") },
  );
  const violations = await page.evaluate(async () => {
    const axe = (
      globalThis as unknown as {
        axe: {
          run(
            context: unknown,
            options: unknown,
          ): Promise<{
            passes: unknown[];
            violations: { id: string; impact: string; nodes: { target: string[] }[] }[];
          }>;
        };
      }
    ).axe;
    const result = await axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa"] } });
    if (
      !Array.isArray((result as { passes?: unknown[] }).passes) ||
      (result as { passes: unknown[] }).passes.length === 0
    ) {
      return ["axe ran no rules"];
    }
    return result.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map(
        (v) =>
          `${v.id} (${v.impact}) at ${v.nodes
            .map((n) => n.target.join(" "))
            .slice(0, 3)
            .join(", ")}`,
      );
  });
  expect(violations.length === 0, `accessibility on ${name}: ${violations.join("; ")}`);
}

async function shoot(page: Page, name: string): Promise<void> {
  await audit(page, name);
  await page.setViewportSize(DESKTOP);
  await page.screenshot({ path: join(SHOTS, `${name}-desktop.png`), fullPage: true });
  await page.setViewportSize(PHONE);
  await page.screenshot({ path: join(SHOTS, `${name}-phone.png`), fullPage: true });
  await page.setViewportSize(DESKTOP);
}

interface Owner {
  email: string;
  password: string;
  accessToken: string;
  projectId: string;
}

async function apiSignup(baseUrl: string, label: string): Promise<Owner> {
  const email = `${label}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
  const password = "a long enough password";
  const response = await fetch(`${baseUrl}/api/v1/auth/signup`, {
    method: "POST",
    headers: { "content-type": "application/json", "cf-connecting-ip": `10.77.${Math.floor(Math.random() * 250)}.1` },
    body: JSON.stringify({ email, password, name: "Pat", tenantName: "Pat's Plumbing", projectName: "Pat's Plumbing" }),
  });
  expect(response.status === 201, `signup answered ${response.status}`);
  const body = (await response.json()) as { accessToken: string; projectId: string };
  return { email, password, ...body };
}

async function logIn(
  context: BrowserContext,
  baseUrl: string,
  who: { email: string; password: string },
): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${baseUrl}/login`);
  await page.getByLabel("Email").fill(who.email);
  await page.getByLabel("Password").fill(who.password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.waitForURL(`${baseUrl}/`);
  return page;
}

const browserChecks: BrowserCheck[] = [
  {
    name: "the owner sets what to hunt for, presses Hunt now, and watches the run finish live with the lead it found",
    async run(stack, browser) {
      const owner = await apiSignup(stack.baseUrl, "hunt-page");
      const context = await browser.newContext({ viewport: DESKTOP });
      const page = await logIn(context, stack.baseUrl, owner);
      await page.goto(`${stack.baseUrl}/hunt`);
      await page.getByLabel(/^Keywords/).fill("fence");
      await page.getByLabel(/^Places/).fill("Cedar Park");
      await page.getByLabel(/^Result pages read/).fill("1");
      await page.getByRole("button", { name: "Save" }).click();
      await page.getByTestId("settings-notice").waitFor();
      await page.getByRole("button", { name: "Hunt now" }).click();
      const status = page.getByTestId("run-status").first();
      await status.waitFor();
      // No reload from here on: what the row shows arrives over the page's live connection.
      const seen = new Set<string>();
      const deadline = Date.now() + 90_000;
      while (Date.now() < deadline && (await status.textContent()) !== "completed") {
        seen.add(`${await status.textContent()} ${await page.getByTestId("run-progress").first().textContent()}`);
        await page.waitForTimeout(150);
      }
      expect((await status.textContent()) === "completed", `the run shows ${await status.textContent()}`);
      expect(
        [...seen].some((s) => s.startsWith("processing")),
        `the run was never seen running: ${[...seen].join(" | ")}`,
      );
      // The board's one fence job in Cedar Park ("Stain a cedar fence, about 120 feet").
      const titles = await page.getByTestId("lead-title").allTextContents();
      expect(
        titles.length === 1 && titles[0]?.startsWith("Stain a cedar fence") === true,
        `hunted: ${JSON.stringify(titles)}`,
      );
      await shoot(page, "hunt");
      await context.close();
    },
  },
  {
    name: "a new owner, with no curl: sign up, the wizard, a number bought, the form pasted into a page; the phones ring, then the ladder",
    async run(stack, browser) {
      const sim = (path: string, init?: RequestInit) => fetch(`${stack.twilioSimulatorUrl}${path}`, init);
      const phone = () => `+1555${String(Math.floor(Math.random() * 9e6) + 1e6)}`;
      const ownerPhone = phone();
      const backupPhone = phone();
      const scriptPhone = (number: string, script: Record<string, unknown>) =>
        sim(`/_sim/phones/${encodeURIComponent(number)}`, { method: "PUT", body: JSON.stringify(script) });
      const context = await browser.newContext();
      const page = await context.newPage();
      // Sign up: the wizard opens by itself.
      await page.goto(`${stack.baseUrl}/signup`);
      await page.getByLabel("Your name").fill("Pat");
      await page.getByLabel("Business name").fill("Pat's Plumbing");
      await page.getByLabel("Email").fill(`browser-${Date.now()}@example.com`);
      await page.getByLabel(/^Password/).fill("a long enough password");
      await page.getByRole("button", { name: "Create account" }).click();
      await page.waitForURL(`${stack.baseUrl}/welcome`);
      await page.getByRole("status").filter({ hasText: "Live" }).waitFor({ timeout: 10_000 });
      // 1. The business and its website: the onboarding task drafts, live.
      await page.getByLabel(/^Website/).fill(`${stack.webhookReceiverUrl}/sites/pats-plumbing`);
      await page.getByRole("button", { name: "Draft my setup" }).click();
      await page.locator('[data-testid="draft-progress"][data-status="completed"]').waitFor({ timeout: 30_000 });
      await shoot(page, "welcome-review");
      // 2. Services, places and hours, as drafted from the site.
      const services = await page.getByLabel(/^Services/).inputValue();
      expect(services.includes("Burst pipe repair"), `the draft's services: ${services}`);
      await page.getByRole("button", { name: "Save and continue" }).click();
      // 3. Phones.
      await page.getByLabel(/^Your cell phone/).fill(ownerPhone);
      await page.getByLabel(/^Backup phones/).fill(backupPhone);
      await page.getByRole("button", { name: "Save and finish" }).click();
      await page.waitForURL(`${stack.baseUrl}/`);
      await page.getByRole("heading", { name: "Today" }).waitFor();
      await shoot(page, "dashboard");
      // A tracking number, bought in the Twilio simulator.
      await page.goto(`${stack.baseUrl}/settings/phone-numbers`);
      await page.getByLabel("Area code").fill("415");
      await page.getByRole("button", { name: "Search" }).click();
      const buy = page.getByTestId("available-numbers").getByRole("button").first();
      const trackingNumber = ((await buy.textContent()) ?? "").replace("Buy ", "").trim();
      await buy.click();
      await page.getByTestId("phone-numbers-notice").waitFor();
      await shoot(page, "phone-numbers");
      // The form snippet, copied into a page of the owner's own website.
      await page.goto(`${stack.baseUrl}/settings/lead-sources`);
      await page.getByTestId("lead-source-form").getByRole("button", { name: "Create" }).click();
      await page.getByTestId("new-intake-secret").waitFor();
      const snippet = (await page.getByTestId("lead-source-form").getByTestId("form-snippet").textContent()) ?? "";
      expect(!snippet.includes("ROTATE-TO-REVEAL"), "the snippet carries no token");
      const site = join(mkdtempSync(join(tmpdir(), "apex-site-")), "contact.html");
      writeFileSync(site, `<!doctype html><html lang="en"><title>Contact Pat</title><body>${snippet}</body></html>`);
      const submit = async (name: string, customer: string) => {
        const visitor = await context.newPage();
        await visitor.goto(pathToFileURL(site).toString());
        await visitor.getByLabel("Name").fill(name);
        await visitor.getByLabel("Phone").fill(customer);
        await visitor.getByLabel("How can we help?").fill("Water heater leaking in the garage");
        await visitor.getByRole("button", { name: "Send" }).click();
        await visitor.getByRole("heading", { name: "Thank you!" }).waitFor();
        await visitor.close();
      };
      const calls = async () =>
        ((await (await sim("/_sim/calls")).json()) as { calls: { to: string; from: string; steps: string[] }[] }).calls;
      const messages = async () =>
        ((await (await sim("/_sim/messages")).json()) as { messages: { to: string; body: string }[] }).messages;
      const until = async (what: string, check: () => Promise<boolean>) => {
        for (let i = 0; i < 200; i++) {
          if (await check()) return;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        throw new Error(`never saw ${what}`);
      };
      // The owner answers and presses 1: the customer is connected, from the bought number.
      await scriptPhone(ownerPhone, { answer: "answer", press: "1", talkSeconds: 5 });
      await submit("Wanda Water", phone());
      await until("the owner's phone ring and connect", async () =>
        (await calls()).some((c) => c.to === ownerPhone && c.from === trackingNumber && c.steps.includes("gather:1")),
      );
      // The owner misses the next one: the backup rings, then the customer is texted and both are alerted.
      await scriptPhone(ownerPhone, { answer: "no-answer" });
      await scriptPhone(backupPhone, { answer: "no-answer" });
      const customer = phone();
      await submit("Milo Missed", customer);
      await until("the backup's phone ring", async () => (await calls()).some((c) => c.to === backupPhone));
      await until("the customer's text and the owner's alert", async () => {
        const sent = await messages();
        return (
          sent.some((m) => m.to === customer) && sent.some((m) => m.to === ownerPhone && m.body.startsWith("Missed"))
        );
      });
      await page.goto(`${stack.baseUrl}/leads`);
      await page.getByRole("link", { name: "Milo Missed" }).click();
      await page.getByText("backup").first().waitFor({ timeout: 10_000 });
      await shoot(page, "lead-ladder");
      await context.close();
    },
  },
  {
    name: "a lead posted with curl appears live, the owner presses 1, the call connects and its analysis shows",
    async run(stack, browser) {
      const owner = await apiSignup(stack.baseUrl, "browser-bridge");
      const auth = { authorization: `Bearer ${owner.accessToken}`, "content-type": "application/json" };
      const settingsUrl = `${stack.baseUrl}/api/v1/projects/${owner.projectId}/voice-settings`;
      const etag = (await fetch(settingsUrl, { headers: auth })).headers.get("etag") ?? "";
      const ownerPhone = `+1555${String(Math.floor(Math.random() * 9e6) + 1e6)}`;
      await fetch(settingsUrl, {
        method: "PUT",
        headers: { ...auth, "if-match": etag },
        body: JSON.stringify({ ownerPhone, trackingNumber: "+15550100012" }),
      });
      const rotated = await fetch(`${stack.baseUrl}/api/v1/projects/${owner.projectId}/intake-secrets/form/rotate`, {
        method: "POST",
        headers: auth,
        body: "{}",
      });
      const { secret: formToken } = (await rotated.json()) as { secret: string };
      await fetch(`${stack.twilioSimulatorUrl}/_sim/phones/${encodeURIComponent(ownerPhone)}`, {
        method: "PUT",
        body: JSON.stringify({ answer: "answer", press: "1", talkSeconds: 65 }),
      });
      const context = await browser.newContext();
      const page = await logIn(context, stack.baseUrl, owner);
      await page.goto(`${stack.baseUrl}/leads`);
      await page.getByRole("status").filter({ hasText: "Live" }).waitFor({ timeout: 10_000 });
      await page.getByText("No leads match").waitFor();
      // The lead arrives the way a web form would send it (the README's curl).
      const posted = await fetch(`${stack.baseUrl}/webhooks/leads/form?project=${owner.projectId}&token=${formToken}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          name: "Jane Leak",
          phone: "(555) 010-0003",
          message: "Leaking pipe under the sink, urgent",
        }),
      });
      expect(posted.status === 200, `intake answered ${posted.status}`);
      const row = page.getByRole("link", { name: "Jane Leak" });
      await row.waitFor({ timeout: 15_000 }); // no reload: the live connection revalidated the list
      await row.click();
      await page.getByTestId("call").getByText("connected").first().waitFor({ timeout: 20_000 });
      await page.getByTestId("analysis").first().waitFor({ timeout: 20_000 });
      expect((await page.getByTestId("call").count()) === 1, "the lead was bridged more than once");
      await shoot(page, "lead-timeline");
      // The dashboard once a lead has come in and been bridged.
      await page.goto(`${stack.baseUrl}/`);
      await page.getByText("form").first().waitFor();
      await shoot(page, "dashboard-after-a-lead");
      await context.close();
    },
  },
  {
    name: "the DNA editor previews a change, saves it, and shows a conflict for a stale save",
    async run(stack, browser) {
      const owner = await apiSignup(stack.baseUrl, "browser-dna");
      const context = await browser.newContext();
      const first = await logIn(context, stack.baseUrl, owner);
      const second = await context.newPage();
      await first.goto(`${stack.baseUrl}/settings/dna`);
      await second.goto(`${stack.baseUrl}/settings/dna`);
      await first
        .getByLabel("Custom layer (JSON)")
        .fill(JSON.stringify({ brandBrain: { voice: "Calm and precise" } }, null, 2));
      await first.getByRole("button", { name: "Preview changes" }).click();
      await first.getByTestId("dna-diff").getByText("brandBrain.voice").waitFor();
      await first.getByRole("button", { name: "Save" }).click();
      await first.getByTestId("dna-saved").waitFor();
      await shoot(first, "dna-editor");
      // The second tab still holds version 0.
      await second.getByLabel("Custom layer (JSON)").fill(JSON.stringify({ brandBrain: { voice: "Loud" } }));
      await second.getByRole("button", { name: "Save" }).click();
      await second.getByTestId("dna-conflict").waitFor();
      await shoot(second, "dna-conflict");
      await context.close();
    },
  },
  {
    name: "a viewer sees the settings but no actions",
    async run(stack, browser) {
      const owner = await apiSignup(stack.baseUrl, "browser-viewer");
      const email = `viewer-${Date.now()}@example.com`;
      const invited = await fetch(`${stack.baseUrl}/api/v1/invitations`, {
        method: "POST",
        headers: { authorization: `Bearer ${owner.accessToken}`, "content-type": "application/json" },
        body: JSON.stringify({ email, role: "viewer" }),
      });
      const { token } = (await invited.json()) as { token: string };
      await fetch(`${stack.baseUrl}/api/v1/auth/accept-invitation`, {
        method: "POST",
        headers: { "content-type": "application/json", "cf-connecting-ip": "10.78.0.1" },
        body: JSON.stringify({ token, name: "Vic", password: "a long enough password" }),
      });
      const context = await browser.newContext();
      const page = await logIn(context, stack.baseUrl, { email, password: "a long enough password" });
      await page.goto(`${stack.baseUrl}/settings/dna`);
      await page.getByTestId("role-notice").waitFor();
      expect((await page.getByRole("button", { name: "Save" }).count()) === 0, "a viewer was offered Save");
      await shoot(page, "viewer-settings");
      await context.close();
    },
  },
];

/** Runs every browser check; `undefined` when Chromium is not installed (CI installs it with apt). */
export async function runBrowserChecks(
  stack: Stack,
  report: (name: string, error?: unknown) => void,
): Promise<boolean | undefined> {
  if (!existsSync(CHROMIUM)) return undefined;
  mkdirSync(SHOTS, { recursive: true });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
  let ok = true;
  try {
    for (const check of browserChecks) {
      try {
        await check.run(stack, browser);
        report(check.name);
      } catch (error) {
        ok = false;
        // What the browser showed when it failed, for whoever reads the CI log.
        const pages = browser.contexts().flatMap((c) => c.pages());
        for (const [i, page] of pages.entries()) {
          await page
            .screenshot({ path: join(SHOTS, `failed-${browserChecks.indexOf(check)}-${i}.png`), fullPage: true })
            .catch(() => undefined);
        }
        report(check.name, error);
      } finally {
        for (const context of browser.contexts()) await context.close().catch(() => undefined);
      }
    }
  } finally {
    await browser.close();
  }
  return ok;
}
