import { describe, expect, it } from "vitest";
import { rewriteProposal } from "./analytics";

const page = {
  title: "Drain cleaning in Austin | North Austin Plumbing",
  metaDescription: "Drain cleaning in Austin.",
};
const business = { name: "North Austin Plumbing", differentiators: ["Same-day visits"] };

describe("a title and description rewrite proposal", () => {
  it("is made for a page seen often but rarely clicked, leading with the query it is most seen for", () => {
    const proposal = rewriteProposal(
      page,
      {
        impressions: 400,
        clicks: 2,
        ctr: 0.005,
        position: 9.2,
        queries: [
          { query: "drain cleaning austin", impressions: 120, clicks: 1, position: 8 },
          { query: "clogged drain austin", impressions: 280, clicks: 1, position: 10 },
        ],
      },
      business,
    );
    expect(proposal?.title).toBe("Clogged Drain Austin | North Austin Plumbing");
    expect(proposal?.metaDescription.startsWith("Clogged Drain Austin: Same-day visits.")).toBe(true);
    expect(proposal?.reason).toContain("400 times");
  });

  it("is not made for a page whose searchers click it", () => {
    expect(
      rewriteProposal(page, { impressions: 400, clicks: 40, ctr: 0.1, position: 3, queries: [] }, business),
    ).toBeUndefined();
  });

  it("is not made from too few impressions to tell", () => {
    expect(
      rewriteProposal(page, { impressions: 30, clicks: 0, ctr: 0, position: 20, queries: [] }, business),
    ).toBeUndefined();
  });

  it("keeps the title within 60 characters and the description within 155", () => {
    const proposal = rewriteProposal(
      page,
      {
        impressions: 500,
        clicks: 1,
        ctr: 0.002,
        position: 12,
        queries: [{ query: "x".repeat(80), impressions: 500, clicks: 1, position: 12 }],
      },
      business,
    );
    expect(proposal?.title.length).toBeLessThanOrEqual(60);
    expect(proposal?.metaDescription.length).toBeLessThanOrEqual(155);
  });
});
