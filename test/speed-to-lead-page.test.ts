import { describe, expect, it } from "vitest";
import { request } from "./helpers";
import { signUpTenant } from "./tenants";
import { WebBrowser } from "./web-browser";

/** The speed-to-lead settings page carries the ladder, alerts and the cap choice (#13, #14). */
describe("the speed-to-lead settings page", () => {
  it("saves backup phones, the ladder order, hot-lead recipients and the choice at the cap", async () => {
    const owner = await signUpTenant("stl-page");
    const browser = new WebBrowser();
    await browser.logIn(owner.email, owner.password);
    await browser.open("/settings/speed-to-lead");
    const saved = await browser.post("/settings/speed-to-lead", {
      version: "0",
      ownerPhone: "+15550106001",
      backupPhones: "+15550106002\n+15550106003",
      ladderOrder: "round-robin",
      ringSeconds: "15",
      connectTargetSeconds: "45",
      hotLeadRecipients: "+15550106004",
      bridgeAtCap: "pause",
      customerDisclosure: "by-region",
    });
    expect(saved.status).toBe(200);
    const settings = await (
      await request(`/api/v1/projects/${owner.projectId}/speed-to-lead-settings`, { headers: owner.auth })
    ).json<Record<string, unknown>>();
    expect(settings).toMatchObject({
      backupPhones: ["+15550106002", "+15550106003"],
      ladderOrder: "round-robin",
      ringSeconds: 15,
      connectTargetSeconds: 45,
      hotLeadRecipients: ["+15550106004"],
      bridgeAtCap: "pause",
      customerDisclosure: "by-region",
    });
  });

  it("a backup phone that is not a phone number is refused, naming the field, and nothing is saved", async () => {
    const owner = await signUpTenant("stl-page-bad");
    const browser = new WebBrowser();
    await browser.logIn(owner.email, owner.password);
    await browser.open("/settings/speed-to-lead");
    const refused = await browser.post("/settings/speed-to-lead", { version: "0", backupPhones: "call my cousin" });
    expect(await refused.text()).toContain("backupPhones");
    const settings = await (
      await request(`/api/v1/projects/${owner.projectId}/speed-to-lead-settings`, { headers: owner.auth })
    ).json<{ backupPhones: string[] }>();
    expect(settings.backupPhones).toEqual([]);
  });
});
