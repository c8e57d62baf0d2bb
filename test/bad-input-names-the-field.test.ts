import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { request } from "./helpers";
import { jsonRequest, signUpTenant } from "./tenants";

/** Bad input to usage, spend cap, speed-to-lead settings, texts, downloads, AI settings and intake: a problem naming the field, nothing written. */
async function fieldOf(response: Response): Promise<string | undefined> {
  expect(response.headers.get("content-type")).toContain("application/problem+json");
  return (await response.json<{ errors?: { field: string }[] }>()).errors?.[0]?.field;
}

describe("bad input is a problem naming the field, and nothing is written", () => {
  it("a negative spend cap is a 422 naming monthlyCapUsd and the cap stays as it was", async () => {
    const owner = await signUpTenant("bad-cap");
    const response = await request(
      `/api/v1/projects/${owner.projectId}/spend-cap`,
      jsonRequest("PUT", { monthlyCapUsd: -1 }, owner.auth),
    );
    expect(response.status).toBe(422);
    expect(await fieldOf(response)).toBe("monthlyCapUsd");
    const usage = await (await request(`/api/v1/projects/${owner.projectId}/usage`, { headers: owner.auth })).json<{
      capUsd: unknown;
    }>();
    expect(usage.capUsd).toBe(Number(env.DEFAULT_MONTHLY_CAP_USD));
  });

  it("a month that is not YYYY-MM is a 422 naming month", async () => {
    const owner = await signUpTenant("bad-month");
    const response = await request(`/api/v1/projects/${owner.projectId}/usage?month=2026-13`, { headers: owner.auth });
    expect(response.status).toBe(422);
    expect(await fieldOf(response)).toBe("month");
  });

  it("an impossible owner phone is a 422 naming ownerPhone and the settings keep their version", async () => {
    const owner = await signUpTenant("bad-voice");
    const path = `/api/v1/projects/${owner.projectId}/voice-settings`;
    const response = await request(
      path,
      jsonRequest("PUT", { ownerPhone: "123" }, { ...owner.auth, "if-match": '"0"' }),
    );
    expect(response.status).toBe(422);
    expect(await fieldOf(response)).toBe("ownerPhone");
    expect((await request(path, { headers: owner.auth })).headers.get("etag")).toBe('"0"');
  });

  it("a text without a body is a 422 naming body", async () => {
    const owner = await signUpTenant("bad-sms");
    const response = await request(`/api/v1/leads/${crypto.randomUUID()}/sms`, jsonRequest("POST", {}, owner.auth));
    expect(response.status).toBe(422);
    expect(await fieldOf(response)).toBe("body");
  });

  it("a download without its token is a 422 naming token", async () => {
    const response = await request(`/api/v1/downloads/exports/${crypto.randomUUID()}`);
    expect(response.status).toBe(422);
    expect(await fieldOf(response)).toBe("token");
  });

  it("an unknown LLM provider is a 422 naming provider and the platform default stays", async () => {
    const owner = await signUpTenant("bad-llm");
    const response = await request("/api/v1/settings/llm", jsonRequest("PUT", { provider: "skynet" }, owner.auth));
    expect(response.status).toBe(422);
    expect(await fieldOf(response)).toBe("provider");
    expect(await (await request("/api/v1/settings/llm", { headers: owner.auth })).json()).toMatchObject({
      source: "platform",
    });
  });

  it("a lead intake for an unknown project is a problem 404, and for a bad project id a 422 naming project", async () => {
    const unknown = await request(
      `/webhooks/leads/form?project=${crypto.randomUUID()}&token=x`,
      jsonRequest("POST", { phone: "5551234567" }, {}),
    );
    expect(unknown.status).toBe(404);
    const bad = await request("/webhooks/leads/form?project=nope", jsonRequest("POST", { phone: "5551234567" }, {}));
    expect(bad.status).toBe(422);
    expect(await fieldOf(bad)).toBe("project");
  });
});
