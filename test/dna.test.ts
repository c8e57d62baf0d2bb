import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { siteText } from "../workers/services/onboarding";
import { request } from "./helpers";
import { jsonRequest, signUpTenant, type TestTenant } from "./tenants";

interface DnaView {
  dna: {
    identity: { businessName: string };
    brandBrain: { voice: string; forbiddenTopics: string[] };
    services: { name: string; slug: string; keywords: string[] }[];
    modules: { speedToLead: { ownerPhone?: string; whisperTemplate: string } };
  };
  versions: { generated: number; custom: number };
}

const dnaPath = (owner: TestTenant) => `/api/v1/projects/${owner.projectId}/dna`;
const getDna = (owner: TestTenant, layer = "") =>
  request(`${dnaPath(owner)}${layer ? `?layer=${layer}` : ""}`, { headers: owner.auth });
const putCustom = (owner: TestTenant, body: unknown, version: string) =>
  request(`${dnaPath(owner)}/custom`, jsonRequest("PUT", body, { ...owner.auth, "if-match": version }));

describe("project DNA", () => {
  it("a new project's DNA is the valid defaults, with the custom layer at version 0", async () => {
    const owner = await signUpTenant("dna-new");
    const response = await getDna(owner);
    expect(response.headers.get("etag")).toBe('"0"');
    const { dna, versions } = await response.json<DnaView>();
    expect(versions).toEqual({ generated: 0, custom: 0 });
    expect(dna.identity.businessName).toBe("Main");
    expect(dna.modules.speedToLead.whisperTemplate).toContain("Press 1");
  });

  it("the custom layer merges over the defaults: objects key by key, lists replaced whole", async () => {
    const owner = await signUpTenant("dna-merge");
    const saved = await putCustom(
      owner,
      {
        brandBrain: { voice: "Calm and precise" },
        services: [{ name: "Drains", slug: "drains", keywords: ["blocked drain"] }],
      },
      '"0"',
    );
    expect(saved.status).toBe(200);
    expect(saved.headers.get("etag")).toBe('"1"');
    const { dna } = await saved.json<DnaView>();
    expect(dna.brandBrain.voice).toBe("Calm and precise");
    expect(dna.brandBrain.forbiddenTopics).toContain("Guaranteed outcomes");
    expect(dna.services).toEqual([{ name: "Drains", slug: "drains", keywords: ["blocked drain"] }]);
    const layer = await (await getDna(owner, "custom")).json<{ dna: Record<string, unknown> }>();
    expect(Object.keys(layer.dna).sort()).toEqual(["brandBrain", "services"]);
  });

  it("a stale If-Match is a 412 and changes nothing", async () => {
    const owner = await signUpTenant("dna-stale");
    await putCustom(owner, { brandBrain: { voice: "First" } }, '"0"');
    const stale = await putCustom(owner, { brandBrain: { voice: "Second" } }, '"0"');
    expect(stale.status).toBe(412);
    expect((await (await getDna(owner)).json<DnaView>()).dna.brandBrain.voice).toBe("First");
    expect((await putCustom(owner, { brandBrain: { voice: "x" } }, "")).status).toBe(428);
  });

  it("an invalid layer is a 422 naming the field, at any depth", async () => {
    const owner = await signUpTenant("dna-invalid");
    const badSlug = await putCustom(owner, { services: [{ name: "X", slug: "Not A Slug", keywords: [] }] }, '"0"');
    expect(badSlug.status).toBe(422);
    expect((await badSlug.json<{ errors: { field: string }[] }>()).errors[0]?.field).toBe("services.0.slug");
    const badPhone = await putCustom(owner, { modules: { speedToLead: { ownerPhone: "123" } } }, '"0"');
    expect((await badPhone.json<{ errors: { field: string }[] }>()).errors[0]?.field).toBe(
      "modules.speedToLead.ownerPhone",
    );
    const unknown = await putCustom(owner, { colour: "blue" }, '"0"');
    expect(unknown.status).toBe(422);
    expect((await getDna(owner)).headers.get("etag")).toBe('"0"');
  });

  it("every change is versioned, with its diff in the audit log", async () => {
    const owner = await signUpTenant("dna-audit");
    await putCustom(owner, { brandBrain: { voice: "One" } }, '"0"');
    await putCustom(owner, { brandBrain: { voice: "Two" } }, '"1"');
    const audit = await (await request("/api/v1/audit?limit=50", { headers: owner.auth })).json<{
      items: {
        action: string;
        after: { version: number; diff: { path: string; before: unknown; after: unknown }[] };
      }[];
    }>();
    const changes = audit.items.filter((a) => a.action === "dna.custom.update");
    expect(changes.map((c) => c.after.version).sort()).toEqual([1, 2]);
    const second = changes.find((c) => c.after.version === 2);
    expect(second?.after.diff).toEqual([{ path: "brandBrain.voice", before: "One", after: "Two" }]);
  });

  it("speed-to-lead settings are the DNA's modules.speedToLead", async () => {
    const owner = await signUpTenant("dna-voice");
    const path = `/api/v1/projects/${owner.projectId}/voice-settings`;
    const etag = (await request(path, { headers: owner.auth })).headers.get("etag") ?? "";
    const saved = await request(
      path,
      jsonRequest("PUT", { ownerPhone: "+15550109999" }, { ...owner.auth, "if-match": etag }),
    );
    expect(saved.status).toBe(200);
    const { dna } = await (await getDna(owner)).json<DnaView>();
    expect(dna.modules.speedToLead.ownerPhone).toBe("+15550109999");
  });

  it("a viewer reads the DNA but cannot change it", async () => {
    const owner = await signUpTenant("dna-viewer");
    const { apiKeyFor } = await import("./tenants");
    const member = await apiKeyFor(owner, "member");
    expect((await request(dnaPath(owner), { headers: member })).status).toBe(200);
    const refused = await request(`${dnaPath(owner)}/custom`, jsonRequest("PUT", {}, { ...member, "if-match": '"0"' }));
    expect(refused.status).toBe(403);
  });
});

describe("onboarding", () => {
  it("reads a website as text: headings, paragraphs and lists, never scripts", async () => {
    const text = await siteText(`${env.WEBHOOK_RECEIVER_URL}/sites/pats-plumbing`, "development");
    expect(text).toContain("Pat's Plumbing");
    expect(text).toContain("Burst pipe repair");
    expect(text).not.toContain("console.log");
    expect(text).not.toContain("font-family");
  });

  it("drafts a valid generated DNA layer from the name, the website and the answers", async () => {
    const owner = await signUpTenant("onboarding");
    const started = await request(
      "/api/v1/tasks/onboarding",
      jsonRequest(
        "POST",
        {
          params: {
            projectId: owner.projectId,
            businessName: "Pat's Plumbing",
            websiteUrl: `${env.WEBHOOK_RECEIVER_URL}/sites/pats-plumbing`,
            answers: { "Which areas do you serve?": "Springfield and Shelbyville" },
          },
        },
        owner.auth,
      ),
    );
    expect(started.status).toBe(202);
    const { id } = await started.json<{ id: string }>();
    const done = await vi.waitFor(
      async () => {
        const t = await (await request(`/api/v1/tickets/${id}`, { headers: owner.auth })).json<{
          status: string;
          result: unknown;
          error: string | null;
        }>();
        if (t.status === "queued" || t.status === "processing") throw new Error(t.status);
        return t;
      },
      { timeout: 15_000, interval: 100 },
    );
    expect(done.error).toBeNull();
    expect(done).toMatchObject({ status: "completed", result: { version: 1, provider: "gemini" } });
    const generated = await (await getDna(owner, "generated")).json<{
      dna: DnaView["dna"];
      versions: DnaView["versions"];
    }>();
    expect(generated.versions.generated).toBe(1);
    expect(generated.dna.identity.businessName).toBe("Pat's Plumbing");
    expect(generated.dna.services.length).toBeGreaterThan(0);
    for (const service of generated.dna.services) expect(service.slug).toMatch(/^[a-z0-9-]{1,60}$/);
    const merged = await (await getDna(owner)).json<DnaView>();
    expect(merged.dna.identity.businessName).toBe("Pat's Plumbing");
    const events = await (
      await request(`/api/v1/realtime/poll?channels=ticket:${id}&cursor=0`, { headers: owner.auth })
    ).json<{ events: { data: { message?: string } }[] }>();
    expect(events.events.some((e) => e.data.message?.startsWith("reading"))).toBe(true);
  });
});
