import { describe, expect, it } from "vitest";
import {
  firstNameOf,
  hasOptOutNotice,
  lastJobMonthOf,
  renderTemplate,
  TemplateInvalidError,
  templateVariables,
  validateTemplate,
} from "./message-template";

describe("validateTemplate", () => {
  it("accepts every known variable, with or without a default", () => {
    expect(
      validateTemplate(
        "Hi {{firstName|there}}, {{name}} {{businessName}} {{ jobType }} {{lastJobMonth}} {{offer|10% off}}",
      ),
    ).toEqual([]);
  });

  it("lists every unknown variable in one issue", () => {
    const issues = validateTemplate("Hi {{nickname}}, {{coupon}} and {{nickname}} again, {{offer}}");
    expect(issues).toHaveLength(1);
    expect(issues[0]?.variables).toEqual(["nickname", "coupon"]);
    expect(issues[0]?.message).toContain("{{nickname}}, {{coupon}}");
  });

  it("suggests the variable a differently spelled name meant", () => {
    expect(validateTemplate("Hi {{first_name}}")[0]?.message).toContain("{{first_name}} (did you mean {{firstName}}?)");
  });

  it("refuses a name that only exists on an object's prototype", () => {
    expect(validateTemplate("{{constructor}}")[0]?.variables).toEqual(["constructor"]);
  });

  it("refuses an opening {{ that never closes", () => {
    expect(validateTemplate("Hi {{firstName, see you")).toEqual([
      { message: 'has "{{" at character 4 that is never closed with "}}"' },
    ]);
  });

  it("refuses a }} with no opening", () => {
    expect(validateTemplate("Hi firstName}}")[0]?.message).toContain("without an opening");
  });

  it("refuses triple braces rather than reading them as a variable", () => {
    expect(validateTemplate("Hi {{{firstName}}}")[0]?.message).toContain("brace inside");
  });

  it("refuses an empty slot", () => {
    expect(validateTemplate("Hi {{ }}")).toEqual([{ message: 'has "{{ }}", which names no variable' }]);
  });

  it("refuses an empty template", () => {
    expect(validateTemplate("  ")).toEqual([{ message: "is empty" }]);
  });

  it("leaves single braces alone as text", () => {
    expect(validateTemplate("Use code {SPRING} :-}")).toEqual([]);
  });
});

describe("templateVariables", () => {
  it("lists the variables used, each once, in order", () => {
    expect(templateVariables("{{offer}} for {{firstName|you}}, {{offer}}")).toEqual(["offer", "firstName"]);
  });
});

describe("renderTemplate", () => {
  it("fills each variable with the recipient's value", () => {
    expect(
      renderTemplate("Hi {{firstName}}, {{businessName}} here.", { firstName: "Ann", businessName: "Pat's" }),
    ).toEqual({ ok: true, text: "Hi Ann, Pat's here." });
  });

  it("uses the declared default when the recipient has no value", () => {
    expect(renderTemplate("Hi {{firstName|there}}!", {})).toEqual({ ok: true, text: "Hi there!" });
  });

  it("uses the default for a blank value too", () => {
    expect(renderTemplate("Hi {{firstName|there}}!", { firstName: "   " })).toEqual({ ok: true, text: "Hi there!" });
  });

  it("refuses to render when a value is missing and no default is declared, naming each once", () => {
    expect(renderTemplate("{{firstName}}: {{offer}} {{firstName}}", { offer: "10% off" })).toEqual({
      ok: false,
      missing: ["firstName"],
    });
  });

  it("inserts a value that looks like a variable as plain text, not expanded", () => {
    expect(renderTemplate("Hi {{name}}", { name: "{{offer}}", offer: "FREE" })).toEqual({
      ok: true,
      text: "Hi {{offer}}",
    });
  });

  it("inserts markup and ampersands as written, without HTML escaping", () => {
    expect(renderTemplate("{{businessName}}", { businessName: "Smith & Sons <HVAC>" })).toEqual({
      ok: true,
      text: "Smith & Sons <HVAC>",
    });
  });

  it("puts a multi-line value on one line", () => {
    expect(renderTemplate("Hi {{name}}!", { name: "Ann\nLee" })).toEqual({ ok: true, text: "Hi Ann Lee!" });
  });

  it("trims the rendered text", () => {
    expect(renderTemplate("  {{offer}}  \n", { offer: "Free check" })).toEqual({ ok: true, text: "Free check" });
  });

  it("throws for a template that would not pass validation", () => {
    expect(() => renderTemplate("Hi {{nickname}}", {})).toThrow(TemplateInvalidError);
  });

  describe("the opt-out footer", () => {
    it("is appended on its own line when asked for", () => {
      expect(renderTemplate("Hi {{firstName|there}}", {}, { optOutFooter: true })).toEqual({
        ok: true,
        text: "Hi there\nReply STOP to opt out",
      });
    });

    it("is not appended when the template already says how to opt out", () => {
      const result = renderTemplate("10% off this week. Text STOP to unsubscribe.", {}, { optOutFooter: true });
      expect(result).toEqual({ ok: true, text: "10% off this week. Text STOP to unsubscribe." });
    });

    it("takes the owner's own wording and is not appended twice", () => {
      const footer = "STOP=stop msgs";
      expect(renderTemplate("Deal!", {}, { optOutFooter: footer })).toEqual({
        ok: true,
        text: "Deal!\nSTOP=stop msgs",
      });
      expect(renderTemplate("Deal! stop=STOP MSGS", {}, { optOutFooter: footer })).toEqual({
        ok: true,
        text: "Deal! stop=STOP MSGS",
      });
    });

    it("is left off unless asked for", () => {
      expect(renderTemplate("Deal!", {})).toEqual({ ok: true, text: "Deal!" });
    });
  });
});

describe("hasOptOutNotice", () => {
  it.each([["Reply STOP to opt out"], ['reply "stop" to end'], ["STOP to quit"], ["Txt STOP to cancel"]])(
    "recognises %j",
    (text) => {
      expect(hasOptOutNotice(text)).toBe(true);
    },
  );

  it("does not take a message that merely mentions stopping by as a notice", () => {
    expect(hasOptOutNotice("We can stop by Tuesday to check the furnace")).toBe(false);
  });
});

describe("firstNameOf", () => {
  it.each([
    ["a plain full name", "John Smith", "John"],
    ["a name with a title", "Mrs. Mary Jones", "Mary"],
    ["last name first", "SMITH, JOHN", "John"],
    ["a suffix after a comma", "John Smith, Jr.", "John"],
    ["a name in lower case", "mary", "Mary"],
    ["a name with inner capitals", "DeShawn Lee", "DeShawn"],
  ])("takes the first name from %s", (_name, whole, first) => {
    expect(firstNameOf(whole)).toBe(first);
  });

  it("has none for a blank name, so the template's default applies", () => {
    expect(firstNameOf("  ")).toBeUndefined();
  });
});

describe("lastJobMonthOf", () => {
  it("names the month and year of an ISO date", () => {
    expect(lastJobMonthOf("2023-05-14")).toBe("May 2023");
  });

  it("has none for a value that is not an ISO date", () => {
    expect(lastJobMonthOf("5/14/2023")).toBeUndefined();
    expect(lastJobMonthOf("2023-13-01")).toBeUndefined();
  });
});
