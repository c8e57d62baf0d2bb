import { describe, expect, it } from "vitest";
import { speedToLeadSettingsSchema } from "./settings";

// Valid zones are remembered once seen (a formatter per check was slow); what is not a zone must stay refused.
describe("the project's time zone", () => {
  it("a zone accepted once is accepted again", () => {
    expect(speedToLeadSettingsSchema.parse({ timezone: "America/Chicago" }).timezone).toBe("America/Chicago");
    expect(speedToLeadSettingsSchema.parse({ timezone: "America/Chicago" }).timezone).toBe("America/Chicago");
  });

  it("a name that is not a zone is refused, naming the field, after valid zones were accepted", () => {
    speedToLeadSettingsSchema.parse({ timezone: "Europe/London" });
    const result = speedToLeadSettingsSchema.safeParse({ timezone: "Europe/Londn" });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]).toMatchObject({ path: ["timezone"], message: expect.stringContaining("IANA") });
  });

  it("a name refused once is refused again", () => {
    expect(speedToLeadSettingsSchema.safeParse({ timezone: "Mars/Olympus_Mons" }).success).toBe(false);
    expect(speedToLeadSettingsSchema.safeParse({ timezone: "Mars/Olympus_Mons" }).success).toBe(false);
  });
});
