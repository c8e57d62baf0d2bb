import { describe, expect, it } from "vitest";
import { request } from "./helpers";
import { setIntakeSecret } from "./intake-secrets";
import { jsonRequest, signUpTenant, type TestTenant } from "./tenants";

/**
 * The lead sources' secrets (decision 017): generated or given, shown once,
 * listed as hints, rotated and removed by an admin; the intake takes a
 * source's posts only with its current secret.
 */
interface SecretView {
  source: string;
  label: string;
  hint: string | null;
  createdAt: string | null;
  rotatedAt: string | null;
  secret?: string;
}

const secretsPath = (t: TestTenant) => `/api/v1/projects/${t.projectId}/intake-secrets`;
const rotate = (t: TestTenant, source: string, body: unknown = {}, headers: Record<string, string> = {}) =>
  request(`${secretsPath(t)}/${source}/rotate`, jsonRequest("POST", body, { ...t.auth, ...headers }));
const list = async (t: TestTenant) =>
  (await (await request(secretsPath(t), { headers: t.auth })).json<{ items: SecretView[] }>()).items;
const postFormLead = (t: TestTenant, token: string) =>
  request(
    `/webhooks/leads/form?project=${t.projectId}&token=${encodeURIComponent(token)}`,
    jsonRequest("POST", { name: "Fran Form", email: `fran-${crypto.randomUUID()}@example.com` }, {}),
  );

describe("intake secrets", () => {
  it("a new project's sources have no secret, so none of their posts is taken in", async () => {
    const owner = await signUpTenant("secrets-none");
    expect((await list(owner)).map((s) => [s.source, s.hint])).toEqual([
      ["google-ads", null],
      ["wordpress", null],
      ["form", null],
    ]);
    expect((await postFormLead(owner, "")).status).toBe(401);
  });

  it("rotating without a value generates a strong secret, in that answer only; the list shows its hint", async () => {
    const owner = await signUpTenant("secrets-generate");
    const response = await rotate(owner, "form");
    expect(response.status).toBe(200);
    const created = await response.json<SecretView>();
    expect(created.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(created).toMatchObject({ source: "form", label: "form token", hint: `…${created.secret?.slice(-4)}` });
    const listed = (await list(owner)).find((s) => s.source === "form");
    expect(listed).toEqual({ ...created, secret: undefined });
    expect((await postFormLead(owner, created.secret ?? "")).status).toBe(200);
  });

  it("a rotation ends the old secret at once; the new one takes leads", async () => {
    const owner = await signUpTenant("secrets-rotate");
    const first = await setIntakeSecret(owner, "form");
    const second = await setIntakeSecret(owner, "form");
    expect(second).not.toBe(first);
    expect((await postFormLead(owner, first)).status).toBe(401);
    expect((await postFormLead(owner, second)).status).toBe(200);
    const listed = (await list(owner)).find((s) => s.source === "form");
    expect(Date.parse(listed?.rotatedAt ?? "")).toBeGreaterThan(Date.parse(listed?.createdAt ?? ""));
  });

  it("an owner's own value (a key already typed into Google Ads) is used as given", async () => {
    const owner = await signUpTenant("secrets-given");
    const key = `my-google-key-${crypto.randomUUID()}`;
    expect(await setIntakeSecret(owner, "google-ads", key)).toBe(key);
    const lead = await request(
      `/webhooks/leads/google-ads?project=${owner.projectId}`,
      jsonRequest(
        "POST",
        {
          lead_id: crypto.randomUUID(),
          google_key: key,
          is_test: true,
          user_column_data: [{ column_id: "EMAIL", string_value: "gina@example.com" }],
        },
        {},
      ),
    );
    expect(lead.status).toBe(200);
  });

  it("a given value that breaks the source's rule is a 422 naming value, and nothing is stored", async () => {
    const owner = await signUpTenant("secrets-short");
    const response = await rotate(owner, "form", { value: "short" });
    expect(response.status).toBe(422);
    expect((await response.json<{ errors: { field: string }[] }>()).errors[0]?.field).toBe("value");
    expect((await list(owner)).find((s) => s.source === "form")?.hint).toBeNull();
    const stray = await rotate(owner, "form", { value: "long-enough-value-0123", extra: 1 });
    expect(stray.status).toBe(422);
  });

  it("an unknown source is a 422 naming source", async () => {
    const owner = await signUpTenant("secrets-unknown");
    const response = await rotate(owner, "carrier-pigeon");
    expect(response.status).toBe(422);
    expect((await response.json<{ errors: { field: string }[] }>()).errors[0]?.field).toBe("source");
  });

  it("a retry with the same Idempotency-Key answers the same secret and rotates once", async () => {
    const owner = await signUpTenant("secrets-retry");
    const key = { "idempotency-key": `rotate-${crypto.randomUUID()}` };
    const first = await (await rotate(owner, "wordpress", {}, key)).json<SecretView>();
    const again = await rotate(owner, "wordpress", {}, key);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect((await again.json<SecretView>()).secret).toBe(first.secret);
    const audit = await (
      await request(`/api/v1/audit?action=intake_secret.rotate&entityId=${owner.projectId}`, { headers: owner.auth })
    ).json<{ items: unknown[] }>();
    expect(audit.items).toHaveLength(1);
  });

  it("removing a source's secret refuses its posts; removing it again is a 404", async () => {
    const owner = await signUpTenant("secrets-remove");
    const token = await setIntakeSecret(owner, "form");
    const removed = await request(`${secretsPath(owner)}/form`, { method: "DELETE", headers: owner.auth });
    expect(removed.status).toBe(204);
    expect((await postFormLead(owner, token)).status).toBe(401);
    expect((await list(owner)).find((s) => s.source === "form")?.hint).toBeNull();
    const again = await request(`${secretsPath(owner)}/form`, { method: "DELETE", headers: owner.auth });
    expect(again.status).toBe(404);
  });

  it("refuses: another tenant listing, rotating or removing this project's secrets — 404, nothing changed", async () => {
    const owner = await signUpTenant("secrets-mine");
    const other = await signUpTenant("secrets-theirs");
    const token = await setIntakeSecret(owner, "form");
    const asOther = { ...owner, auth: other.auth };
    expect((await request(secretsPath(owner), { headers: other.auth })).status).toBe(404);
    expect((await rotate(asOther, "form")).status).toBe(404);
    expect((await request(`${secretsPath(owner)}/form`, { method: "DELETE", headers: other.auth })).status).toBe(404);
    expect((await postFormLead(owner, token)).status).toBe(200);
  });

  it("refuses: one project's secret taking leads for another project", async () => {
    const owner = await signUpTenant("secrets-project-a");
    const other = await signUpTenant("secrets-project-b");
    const token = await setIntakeSecret(owner, "form");
    await setIntakeSecret(other, "form");
    expect((await postFormLead(other, token)).status).toBe(401);
  });
});
