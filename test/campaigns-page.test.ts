import { describe, expect, it } from "vitest";
import { request } from "./helpers";
import { jsonRequest, memberOf, signUpTenant, type TestTenant } from "./tenants";
import { testPhone } from "./twilio";
import { WebBrowser } from "./web-browser";

/**
 * The campaigns pages (#16 item 7): the list and the builder at /campaigns,
 * and one campaign's preview, launch and progress at /campaigns/{id}. They
 * call the same services as /api/v1/campaigns, so these tests check what a
 * person sees and that the pages write what the API reads back.
 */

const TEMPLATE = "Hi {{firstName|there}}, time for a check-up with {{businessName}}?";

/** A builder form as a person fills it in (the page's own defaults for the rest). */
const builderFields = (name: string, template: string) => ({
  name,
  template,
  offer: "",
  "audience.statuses": "won, completed",
  "audience.lastContactOlderThanMonths": "6",
  "audience.jobTypes": "",
  "sendWindow.start": "9",
  "sendWindow.end": "20",
  dailyLimit: "500",
  pacePerSecond: "1",
});

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

async function campaignsOf(tenant: TestTenant): Promise<{ id: string; name: string }[]> {
  const listed = await request(`/api/v1/entities?type=campaign&projectId=${tenant.projectId}`, {
    headers: tenant.auth,
  });
  return (await listed.json<{ items: { id: string; name: string }[] }>()).items;
}

/** A draft made through the API, as another tab or an integration would. */
async function draftThroughApi(tenant: TestTenant, name: string): Promise<string> {
  const created = await request(
    "/api/v1/campaigns",
    jsonRequest(
      "POST",
      {
        projectId: tenant.projectId,
        name,
        settings: { template: TEMPLATE, audience: { statuses: ["won"], lastContactOlderThanMonths: 6 } },
      },
      tenant.auth,
    ),
  );
  expect(created.status).toBe(201);
  return (await created.json<{ id: string }>()).id;
}

/** Past customers with a last job long ago and an attested consent basis; their numbers, in file order. */
async function importCustomers(tenant: TestTenant, names: string[]): Promise<string[]> {
  const phones = names.map(() => testPhone());
  const csv = ["Name,Phone,Last job", ...names.map((name, i) => `${name},${phones[i]},2023-03-02`)].join("\n");
  const imported = await request(
    `/api/v1/projects/${tenant.projectId}/customer-imports`,
    jsonRequest("POST", { csv, consentBasis: "existing-customer", confirm: true }, tenant.auth),
  );
  expect(await imported.json()).toMatchObject({ created: names.length });
  return phones;
}

describe("the campaigns pages", () => {
  it("the list page shows a campaign drafted with the builder, as a draft", async () => {
    const owner = await signUpTenant("campaigns-page-list");
    const browser = await signedIn(owner);
    await browser.open("/campaigns");

    const drafted = await browser.post("/campaigns", builderFields("Spring tune-up", TEMPLATE));

    expect(drafted.status).toBe(302);
    const [campaign] = await campaignsOf(owner);
    expect(drafted.headers.get("location")).toBe(`/campaigns/${campaign?.id}`);
    const { html } = await browser.open("/campaigns");
    const row = readable(/<tr data-testid="campaign-row">([\s\S]*?)<\/tr>/.exec(html)?.[1] ?? "");
    expect(row).toContain("Spring tune-up");
    expect(row).toContain("draft");
  });

  it("the builder refuses a template with an unknown variable, naming the template field, and drafts nothing", async () => {
    const owner = await signUpTenant("campaigns-page-bad");
    const browser = await signedIn(owner);
    await browser.open("/campaigns");

    const refused = await browser.post("/campaigns", builderFields("Broken", "Hi {{nope}}"));

    expect(refused.status).toBe(422);
    const page = readable(await refused.text());
    expect(page).toContain("Check template.");
    expect(page).toMatch(/<span id="template-error" class="error">[^<]*unknown variable \{\{nope\}\}/);
    expect(await campaignsOf(owner)).toEqual([]);
  });

  it("a draft's page shows the preview's audience count and a sample message with its segments and encoding", async () => {
    const owner = await signUpTenant("campaigns-page-preview");
    await importCustomers(owner, ["Ann Archer", "Carla Cruz"]);
    const id = await draftThroughApi(owner, "Check-ups");
    const preview = await (await request(`/api/v1/campaigns/${id}/preview`, { headers: owner.auth })).json<{
      audience: number;
    }>();

    const { response, html } = await (await signedIn(owner)).open(`/campaigns/${id}`);

    expect(response.status).toBe(200);
    const page = readable(html);
    expect(preview.audience).toBe(2);
    expect(page).toMatch(/data-testid="audience">2</);
    const ann = readable(
      /<li data-testid="sample">((?:(?!<\/li>)[\s\S])*Ann Archer[\s\S]*?)<\/li>/.exec(html)?.[1] ?? "",
    );
    expect(ann).toContain("Hi Ann, time for a check-up with Main?\nReply STOP to opt out");
    expect(ann).toContain("1 segment, GSM-7");
  });

  it("a member's launch is refused with the API's own detail, and the campaign stays a draft", async () => {
    const owner = await signUpTenant("campaigns-page-member");
    const id = await draftThroughApi(owner, "Not yours to launch");
    const member = await memberOf(owner, "member");
    const api = await request(`/api/v1/campaigns/${id}/launch`, { method: "POST", headers: member.auth });
    expect(api.status).toBe(403);
    const { detail } = await api.json<{ detail: string }>();
    const browser = await signedIn(member);
    await browser.open(`/campaigns/${id}`);

    const refused = await browser.post(`/campaigns/${id}`, { intent: "launch" });

    expect(refused.status).toBe(403);
    expect(readable(await refused.text())).toMatch(
      new RegExp(`data-testid="campaign-error">${detail.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}<`),
    );
    const campaign = await (await request(`/api/v1/campaigns/${id}`, { headers: owner.auth })).json<{
      run: { state: string };
    }>();
    expect(campaign.run.state).toBe("draft");
  });

  it("an admin's launch from the page fixes the recipients, and the page then lists each with its status", async () => {
    const owner = await signUpTenant("campaigns-page-launch");
    const phones = await importCustomers(owner, ["Ann Archer", "Carla Cruz"]);
    const settings = `/api/v1/projects/${owner.projectId}/speed-to-lead-settings`;
    const etag = (await request(settings, { headers: owner.auth })).headers.get("etag") ?? "";
    const numbered = await request(
      settings,
      jsonRequest("PUT", { ownerPhone: testPhone(), trackingNumber: testPhone() }, { ...owner.auth, "if-match": etag }),
    );
    expect(numbered.status).toBe(200);
    const id = await draftThroughApi(owner, "Launch me");
    const browser = await signedIn(owner);
    await browser.open(`/campaigns/${id}`);

    const launched = await browser.post(`/campaigns/${id}`, { intent: "launch" });

    expect(launched.status).toBe(200);
    const html = await launched.text();
    expect(html).toMatch(/data-testid="campaign-state">(running|completed)</);
    const rows = [...html.matchAll(/<tr data-testid="recipient-row">([\s\S]*?)<\/tr>/g)].map((m) =>
      readable(m[1] ?? ""),
    );
    expect(rows).toHaveLength(2);
    for (const phone of phones) {
      expect(rows.find((row) => row.includes(phone))).toMatch(/class="pill[^"]*">(queued|sending|sent|delivered)</);
    }
  });
});
