import { env } from "cloudflare:workers";
import twilio from "twilio";
import { describe, expect, it, vi } from "vitest";
import { openDatabase } from "../../schema/db";
import { systemActor } from "../../workers/context";
import { Problem } from "../../workers/problems";
import { callSystemSchema, leadSystemSchema } from "../../workers/services/entity-system";
import { storeRecording } from "../../workers/speed-to-lead/recordings";
import { getTenantObject, objectKeys } from "../../workers/storage/object-keys";
import { request } from "../helpers";
import { recordingSid, seedSystemEntity } from "../system-entities";
import { apiKeyFor, jsonRequest, signUpTenant, type TestTenant } from "../tenants";

/**
 * What a tenant writes is data, never system state:
 * storage keys, fetched URLs, credentials and statuses are Apex's, kept in
 * `system`, which no client can write. Each test plants what an attacker
 * would and shows it is refused or ignored.
 */
interface EntityBody {
  id: string;
  version: number;
  status: string | null;
  data: Record<string, unknown>;
  system: Record<string, unknown>;
}

const post = (tenant: TestTenant, auth: Record<string, string>, body: Record<string, unknown>) =>
  request("/api/v1/entities", jsonRequest("POST", { projectId: tenant.projectId, ...body }, auth));

const patch = (id: string, version: number, auth: Record<string, string>, body: Record<string, unknown>) =>
  request(`/api/v1/entities/${id}`, jsonRequest("PATCH", body, { ...auth, "if-match": `"${version}"` }));

const fieldsOf = async (response: Response) =>
  ((await response.json()) as { errors?: { field: string }[] }).errors?.map((e) => e.field) ?? [];

// Every key of a lead's and an Apex call's system state; a hand-logged call may still say direction/from/to.
const leadKeys = Object.keys(leadSystemSchema.shape);
const callKeys = Object.keys(callSystemSchema.shape).filter(
  (key) => !["direction", "from", "to", "durationSeconds"].includes(key),
);
const plant: Record<string, unknown> = { recording: { key: "recordings/x/y.wav", url: "http://127.0.0.1:1/r" } };

describe("system fields cannot be written through the entities API", () => {
  it.each([...leadKeys.map((key) => ["lead", key] as const), ...callKeys.map((key) => ["call", key] as const)])(
    "refuses: a member creating a %s with data.%s, naming the field and storing nothing",
    async (type, key) => {
      const tenant = await signUpTenant(`plant-${type}`);
      const member = await apiKeyFor(tenant, "member");
      const value = plant[key] ?? "planted";
      const created = await post(tenant, member, { type, name: `planted ${key}`, data: { [key]: value } });
      expect(created.status).toBe(422);
      expect(await fieldsOf(created)).toContain(`data.${key}`);
      const listed = await (await request(`/api/v1/entities?type=${type}`, { headers: tenant.auth })).json<{
        items: unknown[];
      }>();
      expect(listed.items).toHaveLength(0);
    },
  );

  it.each([...leadKeys.map((key) => ["lead", key] as const), ...callKeys.map((key) => ["call", key] as const)])(
    "refuses: a member patching a %s's data.%s, changing nothing",
    async (type, key) => {
      const tenant = await signUpTenant(`patch-${type}`);
      const member = await apiKeyFor(tenant, "member");
      const entity = await (await post(tenant, member, { type, name: "Plain", data: {} })).json<EntityBody>();
      const changed = await patch(entity.id, entity.version, member, { data: { [key]: plant[key] ?? "planted" } });
      expect(changed.status).toBe(422);
      expect(await fieldsOf(changed)).toContain(`data.${key}`);
      const after = await (await request(`/api/v1/entities/${entity.id}`, { headers: tenant.auth })).json<EntityBody>();
      expect(after.version).toBe(entity.version);
    },
  );

  it("refuses: a client sending `system` itself, on create and on update", async () => {
    const tenant = await signUpTenant("plant-system");
    const created = await post(tenant, tenant.auth, { type: "lead", name: "Sys", system: { bridge: { status: "x" } } });
    expect(created.status).toBe(422);
    expect(await fieldsOf(created)).toContain("system");
    const lead = await (await post(tenant, tenant.auth, { type: "lead", name: "Sys" })).json<EntityBody>();
    const changed = await patch(lead.id, lead.version, tenant.auth, { system: { score: { value: 100 } } });
    expect(changed.status).toBe(422);
    expect(await fieldsOf(changed)).toContain("system");
  });

  it("refuses: an admin overriding the status of a call Apex placed", async () => {
    const tenant = await signUpTenant("call-status");
    const call = await seedSystemEntity(tenant, {
      type: "call",
      name: "Bridge",
      status: "no-answer",
      system: { kind: "bridge", timeline: [] },
    });
    const changed = await patch(call.id, call.version, await apiKeyFor(tenant, "admin"), { status: "completed" });
    expect(changed.status).toBe(422);
    expect(await fieldsOf(changed)).toContain("status");
  });

  it("refuses: restoring a snapshot to rewind the Twilio status of a call Apex placed", async () => {
    const tenant = await signUpTenant("snapshot-call-status");
    const call = await seedSystemEntity(tenant, {
      type: "call",
      name: "Bridge",
      status: "in-progress",
      system: { kind: "bridge" },
    });
    const handle = openDatabase(env);
    try {
      const { reviseEntity } = await import("../../workers/services/entities");
      await reviseEntity(call.id, () => ({ status: "completed" }), {
        db: handle.db,
        actor: systemActor(tenant.tenantId, "test"),
      });
    } finally {
      await handle.close();
    }
    const restored = await request(
      `/api/v1/entities/${call.id}/snapshots/${call.version}/restore`,
      jsonRequest("POST", {}, { ...tenant.auth, "if-match": `"${call.version + 1}"` }),
    );
    expect(restored.status).toBe(200);
    expect((await restored.json<EntityBody>()).status).toBe("completed");
  });

  it("refuses: restoring an old snapshot to roll back Apex's state on a lead", async () => {
    const tenant = await signUpTenant("snapshot-system");
    const lead = await seedSystemEntity(tenant, {
      type: "lead",
      name: "Lead",
      data: { message: "first" },
      system: { bridge: { status: "connected" } },
    });
    const edited = await (
      await patch(lead.id, lead.version, tenant.auth, { data: { message: "second" } })
    ).json<EntityBody>();
    const restored = await request(
      `/api/v1/entities/${lead.id}/snapshots/${lead.version}/restore`,
      jsonRequest("POST", {}, { ...tenant.auth, "if-match": `"${edited.version}"` }),
    );
    expect(restored.status).toBe(200);
    const after = await restored.json<EntityBody>();
    expect(after.data).toEqual({ message: "first" });
    expect(after.system).toEqual({ bridge: { status: "connected" } });
  });
});

describe("storage keys are derived, never read from a record", () => {
  async function tenantWithStoredRecording(label: string) {
    const tenant = await signUpTenant(label);
    const sid = recordingSid();
    const call = await seedSystemEntity(tenant, {
      type: "call",
      name: "Recorded",
      system: { kind: "bridge", recording: { sid, stored: true } },
    });
    const key = objectKeys.recording(tenant.tenantId, call.id, sid);
    await env.ARCHIVE.put(key, "RIFF-secret-audio-of-A", { httpMetadata: { contentType: "audio/wav" } });
    return { tenant, call, sid, key };
  }

  it("refuses: tenant B streaming tenant A's recording or export by naming its R2 key on a call", async () => {
    const a = await tenantWithStoredRecording("keys-a");
    const exportKey = objectKeys.export(a.tenant.tenantId, crypto.randomUUID());
    await env.ARCHIVE.put(exportKey, '{"id":"secret"}\n');
    expect((await request(`/api/v1/calls/${a.call.id}/recording`, { headers: a.tenant.auth })).status).toBe(200);

    const b = await signUpTenant("keys-b");
    for (const key of [a.key, exportKey]) {
      const planted = await post(b, b.auth, { type: "call", name: "Mine", data: { recording: { key, stored: true } } });
      expect(planted.status).toBe(422);
    }
    // Even a call of B's whose own (server-written) state names A's recording SID reads B's key, which is empty.
    const bCall = await seedSystemEntity(b, {
      type: "call",
      name: "B's call",
      system: { kind: "bridge", recording: { sid: a.sid, stored: true } },
    });
    const stolen = await request(`/api/v1/calls/${bCall.id}/recording`, { headers: b.auth });
    expect(stolen.status).toBe(404);
    expect(await stolen.text()).not.toContain("secret-audio");
  });

  it("refuses: a read of a key outside the caller's tenant prefix, whatever the key says", async () => {
    const a = await tenantWithStoredRecording("prefix-a");
    const b = await signUpTenant("prefix-b");
    for (const key of [
      a.key,
      `recordings/${b.tenantId}/../${a.tenant.tenantId}/${a.call.id}/${a.sid}.wav`,
      `recordings//${a.tenant.tenantId}`,
    ]) {
      await expect(getTenantObject(env.ARCHIVE, b.tenantId, key)).rejects.toBeInstanceOf(Problem);
    }
    expect(await (await getTenantObject(env.ARCHIVE, a.tenant.tenantId, a.key))?.text()).toContain("secret-audio");
  });

  it("refuses: transcribe_call turning tenant A's audio into tenant B's transcript", async () => {
    const a = await tenantWithStoredRecording("transcribe-a");
    const b = await signUpTenant("transcribe-b");
    const bCall = await seedSystemEntity(b, {
      type: "call",
      name: "B's call",
      system: { kind: "bridge", recording: { sid: a.sid, stored: true } },
    });
    const started = await request(
      "/api/v1/tasks/transcribe_call",
      jsonRequest("POST", { params: { callId: bCall.id } }, b.auth),
    );
    expect(started.status).toBe(202);
    const { id } = await started.json<{ id: string }>();
    const ticket = await vi.waitFor(
      async () => {
        const t = await (await request(`/api/v1/tickets/${id}`, { headers: b.auth })).json<{
          status: string;
          error: string | null;
        }>();
        if (t.status === "queued" || t.status === "processing") throw new Error(`still ${t.status}`);
        return t;
      },
      { timeout: 15_000, interval: 100 },
    );
    expect(ticket.status).toBe("failed");
    expect(ticket.error).toContain("no longer stored");
    const after = await (await request(`/api/v1/entities/${bCall.id}`, { headers: b.auth })).json<EntityBody>();
    expect(after.system.transcript).toBeUndefined();
  });
});

describe("the platform's Twilio credentials go only to Twilio's API", () => {
  it("refuses: a member's recording URL (patched, or in a callback) receiving the platform's credentials", async () => {
    const tenant = await signUpTenant("creds");
    const member = await apiKeyFor(tenant, "member");
    const sid = recordingSid();
    const call = await seedSystemEntity(tenant, { type: "call", name: "Bridge", system: { kind: "bridge" } });
    const listener = `creds-${crypto.randomUUID()}`;
    const trap = `${env.WEBHOOK_RECEIVER_URL}/capture/${listener}/Recordings/${sid}`;

    // The reported path: PATCH data.recording.url while the recording is being stored.
    const patched = await patch(call.id, call.version, member, { data: { recording: { sid, url: trap } } });
    expect(patched.status).toBe(422);

    // A (validly signed) recording callback carrying that URL: only the SID is kept.
    const url = `${env.PUBLIC_BASE_URL}/webhooks/twilio/recording-status?tenant=${tenant.tenantId}&call=${call.id}`;
    const params = { RecordingSid: sid, RecordingUrl: trap, RecordingStatus: "completed", RecordingDuration: "3" };
    const answered = await request(url.replace(env.PUBLIC_BASE_URL, ""), {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        "x-twilio-signature": twilio.getExpectedTwilioSignature(env.TWILIO_AUTH_TOKEN ?? "", url, params),
      },
      body: new URLSearchParams(params).toString(),
    });
    expect(answered.status).toBe(204);
    const stored = await (await request(`/api/v1/entities/${call.id}`, { headers: tenant.auth })).json<EntityBody>();
    expect(JSON.stringify(stored)).not.toContain("/capture/");

    // Storing the recording asks Twilio's API (here the simulator, which never made this SID) by SID.
    const handle = openDatabase(env);
    try {
      await expect(
        storeRecording(call.id, { env, db: handle.db, actor: systemActor(tenant.tenantId, "test") }),
      ).rejects.toThrow("recording download answered 404");
    } finally {
      await handle.close();
    }
    const caught = await (await fetch(`${env.WEBHOOK_RECEIVER_URL}/_captures/${listener}`)).json<{
      requests: unknown[];
    }>();
    expect(caught.requests).toEqual([]);
  });
});

describe("a tracking number is one project's alone", () => {
  const settingsOf = (tenant: TestTenant) => `/api/v1/projects/${tenant.projectId}/speed-to-lead-settings`;
  const setNumber = async (tenant: TestTenant, trackingNumber: string) => {
    const current = await request(settingsOf(tenant), { headers: tenant.auth });
    return request(
      settingsOf(tenant),
      jsonRequest("PUT", { trackingNumber }, { ...tenant.auth, "if-match": current.headers.get("etag") ?? "" }),
    );
  };

  it("refuses: tenant B naming tenant A's tracking number to call and text as A — 422, B's settings unchanged", async () => {
    const a = await signUpTenant("number-a");
    const b = await signUpTenant("number-b");
    const number = `+1555${String(Math.floor(Math.random() * 9_000_000) + 1_000_000)}`;
    expect((await setNumber(a, number)).status).toBe(200);
    const stolen = await setNumber(b, number);
    expect(stolen.status).toBe(422);
    expect(await fieldsOf(stolen)).toContain("modules.speedToLead.trackingNumber");
    const bSettings = await (await request(settingsOf(b), { headers: b.auth })).json<{ trackingNumber?: string }>();
    expect(bSettings.trackingNumber).toBeUndefined();
    // The DNA's custom layer is another way to write the same setting: refused too.
    const viaDna = await request(
      `/api/v1/projects/${b.projectId}/dna/custom`,
      jsonRequest("PUT", { modules: { speedToLead: { trackingNumber: number } } }, { ...b.auth, "if-match": '"0"' }),
    );
    expect(viaDna.status).toBe(422);
  });

  it("a project lets go of its old number when it takes a new one, and another project may then take it", async () => {
    const a = await signUpTenant("number-move-a");
    const b = await signUpTenant("number-move-b");
    const first = `+1555${String(Math.floor(Math.random() * 9_000_000) + 1_000_000)}`;
    const second = `+1555${String(Math.floor(Math.random() * 9_000_000) + 1_000_000)}`;
    expect((await setNumber(a, first)).status).toBe(200);
    expect((await setNumber(a, second)).status).toBe(200);
    expect((await setNumber(b, first)).status).toBe(200);
  });
});
