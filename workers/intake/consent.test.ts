import { describe, expect, it } from "vitest";
import { consentFrom } from "./consent";

describe("consent captured at intake", () => {
  it("a checked SMS consent checkbox is express consent, naming the field", () => {
    expect(consentFrom({ name: "Ann", phone: "+15551234567", sms_consent: "on" })).toMatchObject({
      sms: true,
      basis: "express",
      field: "sms_consent",
    });
  });

  it("a terms or privacy checkbox is not consent to texts", () => {
    expect(consentFrom({ "your-name": "Ann", "acceptance-231": "1" }).sms).toBe(false);
    expect(consentFrom({ name: "Ann", privacy_policy_agree: "yes" }).sms).toBe(false);
  });

  it("a no in an SMS consent field wins over a yes elsewhere", () => {
    expect(consentFrom({ privacy_policy_agree: "yes", sms_consent: "no", marketing_opt_in: "yes" })).toMatchObject({
      sms: false,
      field: "sms_consent",
    });
  });

  it("a field that asks to refuse texts is never read as consent", () => {
    expect(consentFrom({ name: "Ann", disagree_sms: "yes", sms_opt_out: "on" }).sms).toBe(false);
  });

  it("a Google lead-form question about consent answered yes counts", () => {
    const body = {
      lead_id: "x",
      user_column_data: [
        { column_id: "FULL_NAME", string_value: "Ann" },
        { column_name: "Do you consent to receive text messages?", string_value: "Yes" },
      ],
    };
    expect(consentFrom(body)).toMatchObject({ sms: true, basis: "express" });
  });

  it("an unchecked consent box is an inquiry only", () => {
    expect(consentFrom({ name: "Ann", tcpa_consent: "false" })).toMatchObject({
      sms: false,
      basis: "inquiry",
      field: "tcpa_consent",
    });
  });

  it("a form with no consent field is an inquiry only", () => {
    expect(consentFrom({ name: "Ann", phone: "+15551234567", message: "yes please call me" })).toEqual({
      sms: false,
      basis: "inquiry",
      at: expect.any(String),
    });
  });

  it("a yes in a field that is not about consent is not consent", () => {
    expect(consentFrom({ name: "Ann", urgent: "yes", message: "I agree the leak is bad" }).sms).toBe(false);
  });
});
