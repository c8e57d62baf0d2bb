import { describe, expect, it } from "vitest";
import { request } from "../helpers";
import { formTokenFor } from "../intake-secrets";
import { jsonRequest, signUpTenant, type TestTenant } from "../tenants";
import { testPhone } from "../twilio";

/**
 * Issue #13, item 7: a body larger than its route takes is refused with 413
 * before it is read whole, so nothing is written; a JSON route says 415 for
 * another media type; and the OpenAPI document states both.
 */
async function tenantTakingForms(): Promise<TestTenant & { formToken: string }> {
  const tenant = await signUpTenant("body-limits");
  const path = `/api/v1/projects/${tenant.projectId}/voice-settings`;
  const current = await request(path, { headers: tenant.auth });
  const saved = await request(
    path,
    jsonRequest(
      "PUT",
      { ownerPhone: testPhone(), trackingNumber: testPhone() },
      { ...tenant.auth, "if-match": current.headers.get("etag") ?? "" },
    ),
  );
  if (saved.status !== 200) throw new Error(`voice settings: ${saved.status} ${await saved.text()}`);
  return { ...tenant, formToken: await formTokenFor(tenant) };
}

/** `text` as a stream with no Content-Length, as a chunked upload arrives. */
function chunked(text: string): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(offset, offset + 64 * 1024));
      offset += 64 * 1024;
    },
  });
}

const leadsOf = async (tenant: TestTenant) =>
  (await (await request("/api/v1/entities?type=lead", { headers: tenant.auth })).json<{ items: unknown[] }>()).items;

describe("request body limits", () => {
  it("refuses: a 30 MB lead at the public intake — 413 problem, and no lead is stored", async () => {
    const tenant = await tenantTakingForms();
    const huge = { name: "Huge Hal", phone: testPhone(), message: "x".repeat(30 * 1024 * 1024) };
    const response = await request(
      `/webhooks/leads/form?project=${tenant.projectId}&token=${tenant.formToken}`,
      jsonRequest("POST", huge, { "cf-connecting-ip": "203.0.113.77" }),
    );
    expect(response.status).toBe(413);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    expect(await response.json()).toMatchObject({ type: "urn:apex:problem:payload-too-large" });
    expect(await leadsOf(tenant)).toEqual([]);
  }, 60_000);

  it("refuses: an entity body over 1 MiB streamed without Content-Length — 413 while it streams, nothing stored", async () => {
    const tenant = await signUpTenant("body-limits-chunked");
    const body = JSON.stringify({
      projectId: tenant.projectId,
      type: "lead",
      name: "Streamed Sam",
      data: { notes: "x".repeat(1024 * 1024) },
    });
    const response = await request("/api/v1/entities", {
      method: "POST",
      headers: { ...tenant.auth, "content-type": "application/json" },
      body: chunked(body),
    });
    expect(response.status).toBe(413);
    expect((await response.json<{ detail: string }>()).detail).toContain("1 MiB");
    expect(await leadsOf(tenant)).toEqual([]);
  });

  it("refuses: a 100 KiB form post to a Twilio webhook before its signature is even checked", async () => {
    const response = await request("/webhooks/twilio/sms?project=00000000-0000-4000-8000-000000000000", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `Body=${"x".repeat(100 * 1024)}`,
    });
    expect(response.status).toBe(413);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
  });

  it("refuses: JSON sent as text/plain to a JSON route — a 415 problem naming Content-Type", async () => {
    const tenant = await signUpTenant("body-limits-415");
    const response = await request("/api/v1/entities", {
      method: "POST",
      headers: { ...tenant.auth, "content-type": "text/plain" },
      body: JSON.stringify({ projectId: tenant.projectId, type: "lead", name: "Plain Pat" }),
    });
    expect(response.status).toBe(415);
    expect(await response.json()).toMatchObject({
      type: "urn:apex:problem:unsupported-media-type",
      errors: [{ field: "Content-Type", message: "must be application/json" }],
    });
  });

  it("the OpenAPI document states each route's body limit and its 400, 413 and 415 answers", async () => {
    const doc = await (await request("/api/openapi.json")).json<{
      paths: Record<string, Record<string, { responses: Record<string, { description: string }> }>>;
    }>();
    const create = doc.paths["/api/v1/entities"]?.post?.responses ?? {};
    expect(create["413"]?.description).toContain("1 MiB (1048576 bytes)");
    expect(create["415"]?.description).toContain("application/json");
    expect(create["400"]?.description).toContain("malformed JSON body");
    expect(doc.paths["/webhooks/leads/{source}"]?.post?.responses["413"]?.description).toContain("64 KiB");
    expect(doc.paths["/api/v1/webhook-endpoints"]?.post?.responses["413"]?.description).toContain("256 KiB");
  });
});
