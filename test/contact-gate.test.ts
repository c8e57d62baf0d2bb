import { env } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../schema/db";
import { withTenant } from "../schema/tenant-transaction";
import { type ContactRequest, contactGate } from "../workers/contact/policy";
import { systemActor } from "../workers/context";
import { recordText } from "../workers/repositories/contact-history";
import { setOptOut } from "../workers/repositories/opt-outs";
import { request } from "./helpers";
import { seedSystemEntity } from "./system-entities";
import { signUpTenant, type TestTenant } from "./tenants";
import { testPhone } from "./twilio";

/**
 * The contact-policy gate on its own, against real Postgres: opt-outs,
 * consent basis and quiet hours in the recipient's zone. The paths that use
 * it (texts, the bridge) are covered in test/spend-and-contact-gates.test.ts.
 */
const handle = openDatabase(env);
let tenant: TestTenant;
const context = () => ({ db: handle.db, actor: systemActor(tenant.tenantId, "contact-gate-test") });

/** A number in New York (area code 212), unique per test. */
const newYorkPhone = () => `+1212${String(Math.floor(Math.random() * 10_000_000)).padStart(7, "0")}`;

const leadWith = (phone: string, system: Record<string, unknown>) =>
  seedSystemEntity(tenant, { type: "lead", name: "Gate Lead", data: { phone }, system });

const ask = (request: Partial<ContactRequest> & { to: string }) =>
  contactGate(
    { projectId: tenant.projectId, channel: "sms", purpose: "reply", fallbackZone: "UTC", ...request },
    context(),
  );

/** 22:30 in New York on a winter day (UTC−5). */
const NIGHT_IN_NEW_YORK = new Date("2026-12-07T03:30:00Z");
/** 15:00 in New York. */
const AFTERNOON_IN_NEW_YORK = new Date("2026-12-07T20:00:00Z");

beforeAll(async () => {
  tenant = await signUpTenant("contact-gate");
});
afterAll(() => handle.close());

describe("the contact-policy gate", () => {
  it("a number in the opt-out ledger is refused every purpose and channel", async () => {
    const phone = newYorkPhone();
    await leadWith(phone, { consent: { sms: true, basis: "express", at: new Date().toISOString() } });
    await withTenant(handle.db, tenant.tenantId, (tx) =>
      setOptOut(tx, tenant.tenantId, phone, true, "please stop texting me"),
    );
    for (const purpose of ["owner-alert", "reply", "conversation", "marketing"] as const) {
      for (const channel of ["sms", "call"] as const) {
        expect(await ask({ to: phone, purpose, channel, at: AFTERNOON_IN_NEW_YORK })).toMatchObject({
          allowed: false,
          reason: "opted-out",
        });
      }
    }
  });

  it("a text to a number that never contacted the project is refused for want of consent", async () => {
    expect(await ask({ to: newYorkPhone(), at: AFTERNOON_IN_NEW_YORK })).toMatchObject({
      allowed: false,
      reason: "no-consent",
    });
  });

  it("marketing to a lead that only inquired is refused; the same lead may be answered", async () => {
    const phone = newYorkPhone();
    await leadWith(phone, { consent: { sms: false, basis: "inquiry", at: new Date().toISOString() } });
    expect(await ask({ to: phone, purpose: "marketing", at: AFTERNOON_IN_NEW_YORK })).toMatchObject({
      allowed: false,
      reason: "no-consent",
    });
    expect(await ask({ to: phone, purpose: "conversation", at: AFTERNOON_IN_NEW_YORK })).toEqual({
      allowed: true,
      basis: "inquiry",
    });
  });

  it("marketing to a lead whose form carried consent is allowed on an express basis", async () => {
    const phone = newYorkPhone();
    await leadWith(phone, {
      consent: { sms: true, basis: "express", field: "sms_consent", phone, at: new Date().toISOString() },
    });
    expect(await ask({ to: phone, purpose: "marketing", at: AFTERNOON_IN_NEW_YORK })).toEqual({
      allowed: true,
      basis: "express",
    });
  });

  it("express consent does not follow a phone number edited on the lead", async () => {
    const phone = newYorkPhone();
    const given = newYorkPhone();
    await leadWith(phone, { consent: { sms: true, basis: "express", phone: given, at: "2026-12-01T15:00:00Z" } });
    expect(await ask({ to: phone, purpose: "marketing", at: AFTERNOON_IN_NEW_YORK })).toMatchObject({
      reason: "no-consent",
    });
  });

  it("a lead a person typed in may be written to by a person, never by automation", async () => {
    const phone = newYorkPhone();
    await leadWith(phone, {});
    expect(await ask({ to: phone, purpose: "conversation", at: AFTERNOON_IN_NEW_YORK })).toEqual({
      allowed: true,
      basis: "inquiry",
    });
    expect(await ask({ to: phone, purpose: "reply", at: AFTERNOON_IN_NEW_YORK })).toMatchObject({
      reason: "no-consent",
    });
  });

  it("a text at 22:30 in the recipient's zone is held, and says it may go at 08:00 there", async () => {
    const phone = newYorkPhone();
    await leadWith(phone, { receivedAt: "2026-12-01T15:00:00Z" });
    const decision = await ask({ to: phone, at: NIGHT_IN_NEW_YORK });
    expect(decision).toMatchObject({ allowed: false, reason: "quiet-hours", retryAt: "2026-12-07T13:00:00.000Z" });
  });

  it("quiet hours are the recipient's, not the project's: 20:00 in Los Angeles is 04:00 UTC and allowed", async () => {
    const phone = `+1213${String(Math.floor(Math.random() * 10_000_000)).padStart(7, "0")}`;
    await leadWith(phone, { receivedAt: "2026-12-01T15:00:00Z" });
    expect(await ask({ to: phone, at: new Date("2026-12-08T04:00:00Z"), fallbackZone: "UTC" })).toMatchObject({
      allowed: true,
    });
  });

  it("a reply within an hour of the person's own contact goes out even at night; a later one waits", async () => {
    const phone = newYorkPhone();
    await leadWith(phone, { lastInboundAt: new Date(NIGHT_IN_NEW_YORK.getTime() - 10 * 60_000).toISOString() });
    expect(await ask({ to: phone, purpose: "reply", at: NIGHT_IN_NEW_YORK })).toMatchObject({ allowed: true });
    const later = new Date(NIGHT_IN_NEW_YORK.getTime() + 60 * 60_000);
    expect(await ask({ to: phone, purpose: "reply", at: later })).toMatchObject({ reason: "quiet-hours" });
  });

  it("marketing is held at night in the recipient's zone even with express consent", async () => {
    const phone = newYorkPhone();
    await leadWith(phone, { consent: { sms: true, basis: "express", phone, at: "2026-12-01T15:00:00Z" } });
    expect(await ask({ to: phone, purpose: "marketing", at: NIGHT_IN_NEW_YORK })).toMatchObject({
      reason: "quiet-hours",
    });
  });

  it("a text a person at the business types is theirs to send at any hour", async () => {
    const phone = newYorkPhone();
    await leadWith(phone, { receivedAt: "2026-12-01T15:00:00Z" });
    expect(await ask({ to: phone, purpose: "conversation", at: NIGHT_IN_NEW_YORK })).toEqual({
      allowed: true,
      basis: "inquiry",
    });
  });

  it("the owner's own alerts are not held by quiet hours", async () => {
    expect(await ask({ to: testPhone(), purpose: "owner-alert", at: NIGHT_IN_NEW_YORK })).toEqual({
      allowed: true,
      basis: "owner",
    });
  });

  it("calls are not held by quiet hours (the bridge only runs in business hours)", async () => {
    const phone = newYorkPhone();
    await leadWith(phone, { receivedAt: "2026-12-01T15:00:00Z" });
    expect(await ask({ to: phone, channel: "call", purpose: "reply", at: NIGHT_IN_NEW_YORK })).toMatchObject({
      allowed: true,
    });
  });

  describe("marketing", () => {
    const imported = (phone: string) => ({
      imported: {
        importId: crypto.randomUUID(),
        line: 2,
        phone,
        consent: { basis: "existing-customer", attestedBy: null, at: "2026-12-01T15:00:00Z" },
      },
    });

    it("an imported customer may be sent marketing on the basis an admin attested to", async () => {
      const phone = newYorkPhone();
      await leadWith(phone, imported(phone));
      expect(await ask({ to: phone, purpose: "marketing", at: AFTERNOON_IN_NEW_YORK })).toEqual({
        allowed: true,
        basis: "attested",
      });
    });

    it("an import's attestation does not follow a phone number edited on the lead", async () => {
      const phone = newYorkPhone();
      await leadWith(phone, imported(newYorkPhone()));
      expect(await ask({ to: phone, purpose: "marketing", at: AFTERNOON_IN_NEW_YORK })).toMatchObject({
        reason: "no-consent",
      });
    });

    it("a won lead that once reached out from the number is a customer; the same lead still open is not", async () => {
      const won = newYorkPhone();
      await seedSystemEntity(tenant, {
        type: "lead",
        name: "Won",
        status: "won",
        data: { phone: won },
        system: {
          receivedAt: "2026-01-10T15:00:00Z",
          consent: { sms: false, basis: "inquiry", phone: won, at: "2026-01-10T15:00:00Z" },
        },
      });
      expect(await ask({ to: won, purpose: "marketing", at: AFTERNOON_IN_NEW_YORK })).toEqual({
        allowed: true,
        basis: "customer",
      });
      const open = newYorkPhone();
      await leadWith(open, { receivedAt: "2026-01-10T15:00:00Z" });
      expect(await ask({ to: open, purpose: "marketing", at: AFTERNOON_IN_NEW_YORK })).toMatchObject({
        reason: "no-consent",
      });
    });

    it("a won lead whose phone was edited after it reached out is not a customer at the new number", async () => {
      const phone = newYorkPhone();
      await seedSystemEntity(tenant, {
        type: "lead",
        name: "Edited",
        status: "won",
        data: { phone },
        system: {
          receivedAt: "2026-01-10T15:00:00Z",
          consent: { sms: false, basis: "inquiry", phone: newYorkPhone(), at: "2026-01-10T15:00:00Z" },
        },
      });
      expect(await ask({ to: phone, purpose: "marketing", at: AFTERNOON_IN_NEW_YORK })).toMatchObject({
        reason: "no-consent",
      });
    });

    it("a lead deleted after it was planned for is not texted, whatever consent it carried", async () => {
      const phone = newYorkPhone();
      const lead = await leadWith(phone, imported(phone));
      const deleted = await request(`/api/v1/entities/${lead.id}`, {
        method: "DELETE",
        headers: { ...tenant.auth, "if-match": `"${lead.version}"` },
      });
      expect(deleted.status).toBe(200);
      expect(await ask({ to: phone, purpose: "marketing", leadId: lead.id, at: AFTERNOON_IN_NEW_YORK })).toMatchObject({
        allowed: false,
        reason: "no-consent",
      });
    });

    it("goes only inside its send window in the recipient's zone, and says when it opens", async () => {
      const phone = newYorkPhone();
      await leadWith(phone, imported(phone));
      // 20:30 in New York: not quiet hours for a reply, but past marketing's 20:00.
      const evening = new Date("2026-12-08T01:30:00Z");
      expect(await ask({ to: phone, purpose: "marketing", at: evening })).toMatchObject({
        allowed: false,
        reason: "quiet-hours",
        retryAt: "2026-12-08T14:00:00.000Z",
      });
      // A campaign may narrow the window: 15:00 is outside 09–12.
      expect(
        await ask({ to: phone, purpose: "marketing", at: AFTERNOON_IN_NEW_YORK, window: { start: 9, end: 12 } }),
      ).toMatchObject({ reason: "quiet-hours" });
    });

    it("is refused within 24 hours of any text, and within 7 days of another marketing text", async () => {
      const phone = newYorkPhone();
      await leadWith(phone, imported(phone));
      const hoursBefore = (h: number) => new Date(AFTERNOON_IN_NEW_YORK.getTime() - h * 3_600_000);
      await withTenant(handle.db, tenant.tenantId, (tx) =>
        recordText(tx, tenant.tenantId, phone, hoursBefore(23), false),
      );
      expect(await ask({ to: phone, purpose: "marketing", at: AFTERNOON_IN_NEW_YORK })).toMatchObject({
        reason: "frequency-cap",
      });
      // A day later the other text no longer holds it back…
      const nextDay = new Date(AFTERNOON_IN_NEW_YORK.getTime() + 2 * 3_600_000 + 24 * 3_600_000);
      expect(await ask({ to: phone, purpose: "marketing", at: nextDay })).toMatchObject({ allowed: true });
      // …but a marketing text six days before does.
      await withTenant(handle.db, tenant.tenantId, (tx) =>
        recordText(tx, tenant.tenantId, phone, new Date(nextDay.getTime() - 6 * 24 * 3_600_000), true),
      );
      expect(await ask({ to: phone, purpose: "marketing", at: nextDay })).toMatchObject({
        reason: "frequency-cap",
      });
    });
  });
});
