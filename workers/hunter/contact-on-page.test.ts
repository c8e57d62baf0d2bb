import { describe, expect, it } from "vitest";
import { shownOnPage } from "./hunt";

describe("a hunted post's contact details", () => {
  const page = "Leaking water heater\nCall me at (512) 555-0142 after 5pm\nor write to Mara@Example.com";

  it("keeps a phone the page shows, however it is punctuated there", () => {
    expect(shownOnPage({ phone: "+15125550142", email: null }, page).phone).toBe("+15125550142");
  });

  it("drops a phone the page does not show (a model's guess, or a number a post slipped into an instruction)", () => {
    expect(shownOnPage({ phone: "+19005550199", email: null }, page).phone).toBeNull();
  });

  it("keeps an email the page shows, whatever its case, and drops one it does not", () => {
    expect(shownOnPage({ phone: null, email: "mara@example.com" }, page).email).toBe("mara@example.com");
    expect(shownOnPage({ phone: null, email: "someone@else.example" }, page).email).toBeNull();
  });
});
