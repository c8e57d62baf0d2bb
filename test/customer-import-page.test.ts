import { describe, expect, it } from "vitest";
import { request } from "./helpers";
import { memberOf, signUpTenant, type TestTenant } from "./tenants";
import { testPhone } from "./twilio";
import { WebBrowser } from "./web-browser";

/**
 * The customer import page (#16 item 1) at /campaigns/import: an admin
 * uploads a CSV, reads the report the API would give, and confirms with the
 * text the page carried back. The leads are read through the API, as
 * anything else would read them.
 */

/** The page's text as a reader sees it: React's comment markers gone, its entities decoded. */
const readable = (html: string) =>
  html
    .replace(/<!-- -->/g, "")
    .replaceAll("&#x27;", "'")
    .replaceAll("&quot;", '"')
    .replaceAll("&lt;", "<")
    .replaceAll("&gt;", ">")
    .replaceAll("&amp;", "&");

/** Two good rows, a phone that is no phone (line 3) and line 2's customer again (line 5). */
function customerFile(): { csv: string; ann: string; carla: string } {
  const [ann, carla] = [testPhone(), testPhone()];
  const csv = [
    "Name,Phone,Last job,Service",
    `Ann Archer,${ann},2024-03-02,Boiler service`,
    "Bad Phone Bob,12,2024-03-02,Leak",
    `Carla Cruz,${carla},2023-11-20,"Water heater, 40 gal"`,
    `Ann Again,${ann},2024-01-01,Boiler`,
  ].join("\n");
  return { csv, ann, carla };
}

async function signedIn(person: { email: string; password: string }): Promise<WebBrowser> {
  const browser = new WebBrowser();
  expect((await browser.logIn(person.email, person.password)).status).toBe(302);
  await browser.open("/campaigns/import");
  return browser;
}

/** Posts the page's form as a browser does a form with a file input: multipart, from this origin. */
function postMultipart(browser: WebBrowser, fields: Record<string, string | File>): Promise<Response> {
  const body = new FormData();
  body.set("csrf", browser.csrf);
  for (const [name, value] of Object.entries(fields)) body.set(name, value);
  return browser.fetch("/campaigns/import", { method: "POST", headers: { "sec-fetch-site": "same-origin" }, body });
}

const checkFile = (browser: WebBrowser, csv: string) =>
  postMultipart(browser, {
    intent: "check",
    file: new File([csv], "customers.csv", { type: "text/csv" }),
    consentBasis: "existing-customer",
    dateOrder: "",
  });

async function leadsOf(tenant: TestTenant) {
  const listed = await request("/api/v1/entities?type=lead&limit=100", { headers: tenant.auth });
  return (await listed.json<{ items: { name: string; status: string; data: { phone?: string } }[] }>()).items;
}

/** The hidden fields of the page's import form, as a browser would send them back. */
function importFields(html: string): Record<string, string> {
  const form = /<form[^>]*aria-label="Import the checked rows"[\s\S]*?<\/form>/.exec(html)?.[0] ?? "";
  return Object.fromEntries(
    [...form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map((m) => [
      m[1] ?? "",
      readable(m[2] ?? ""),
    ]),
  );
}

describe("the customer import page", () => {
  it("a file with a bad phone and a repeated row is reported by line and field, and nothing is written", async () => {
    const owner = await signUpTenant("import-page-check");
    const browser = await signedIn(owner);

    const checked = await checkFile(browser, customerFile().csv);

    expect(checked.status).toBe(200);
    const html = await checked.text();
    expect(html).toMatch(/data-testid="data-rows">4</);
    expect(html).toMatch(/data-testid="importable">2</);
    const badRows = [...html.matchAll(/<tr data-testid="bad-row">([\s\S]*?)<\/tr>/g)].map((m) =>
      readable(m[1] ?? "")
        .replace(/<[^>]+>/g, "|")
        .replace(/\|+/g, "|"),
    );
    expect(badRows).toHaveLength(2);
    expect(badRows[0]).toMatch(/^\|3\|phone\|/);
    expect(badRows[1]).toMatch(/^\|5\|phone\|.*\(repeats line 2\)\|$/);
    expect(readable(html)).toContain(">Import 2 customers<");
    expect(await leadsOf(owner)).toEqual([]);
  });

  it("confirming with the text the page carried imports the good rows as won leads", async () => {
    const owner = await signUpTenant("import-page-confirm");
    const browser = await signedIn(owner);
    const { csv, ann, carla } = customerFile();
    const checked = await checkFile(browser, csv);
    const carried = importFields(await checked.text());
    expect(carried.csv).toBe(csv);

    const imported = await postMultipart(browser, { ...carried, intent: "confirm" });

    expect(imported.status).toBe(200);
    const html = readable(await imported.text());
    expect(html).toMatch(/data-testid="imported">2 customers imported/);
    expect(html).toContain('href="/campaigns"');
    const leads = await leadsOf(owner);
    expect(leads.map((l) => [l.name, l.status, l.data.phone]).sort()).toEqual([
      ["Ann Archer", "won", ann],
      ["Carla Cruz", "won", carla],
    ]);
  });

  it("a member's upload is refused and nothing is written", async () => {
    const owner = await signUpTenant("import-page-member");
    const member = await memberOf(owner, "member");
    const browser = await signedIn(member);
    const { csv } = customerFile();

    const refused = await postMultipart(browser, {
      intent: "confirm",
      csv,
      consentBasis: "existing-customer",
      dateOrder: "",
      projectId: owner.projectId,
    });

    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain("Only admins can import customers.");
    expect(await leadsOf(owner)).toEqual([]);
  });
});
