/**
 * The lead hunter end to end on `npm run dev`'s stack (#15): keywords set
 * through the API, a hunt started as "Hunt now" starts it, its progress
 * watched while it runs, and then exactly the bundled job-board posts that
 * match (dev/simulators/job-board-posts.ts) as leads — once each, none from
 * a path robots.txt disallows, each with provenance and a screenshot — the
 * hot ones announced to the owner through the Twilio simulator, and a second
 * hunt that adds nothing.
 */
import type { ApexClient } from "../app/lib/api-client/index.ts";
import type { Stack } from "../dev/stack.ts";
import { answered, expect } from "./expect.ts";

/**
 * The bundled posts that say "water heater" in a place the shop serves
 * (Austin, Round Rock), read off the bundled data by hand:
 * - g-101 "Need a plumber for a leaking water heater", Round Rock, phone: a lead, hot (leaking, today);
 * - t-201 "Water heater leaking in utility closet", Austin, phone: a lead, hot (leaking);
 * - t-212 "Water heater making popping noises", Round Rock: a lead, not urgent;
 * - g-109 "Water heater pilot won't stay lit" is in Dallas: never a lead;
 * - the boards' private posts (g-108, t-208) are under /private/ and /members/: never opened.
 */
const EXPECTED = [
  "Need a plumber for a leaking water heater",
  "Water heater leaking in utility closet",
  "Water heater making popping noises",
].sort();
const HOT = ["Need a plumber for a leaking water heater", "Water heater leaking in utility closet"];

interface HuntOverview {
  runs: { id: string; status: string; message: string; scored: number; alerted: number }[];
  leads: { id: string; name: string; url: string; platform: string; place: string | null; hasScreenshot: boolean }[];
}

export async function huntCheck(
  baseUrl: string,
  stack: Stack,
  owner: { apex: ApexClient; projectId: string; token: string },
): Promise<void> {
  const { apex, projectId, token } = owner;
  const ownerPhone = "+15550107001";
  const settings = await apex.GET("/api/v1/projects/{id}/speed-to-lead-settings", {
    params: { path: { id: projectId } },
  });
  answered(
    "speed-to-lead settings",
    await apex.PUT("/api/v1/projects/{id}/speed-to-lead-settings", {
      params: { path: { id: projectId }, header: { "if-match": settings.response.headers.get("etag") ?? "" } },
      body: { ...answered("settings", settings, 200), ownerPhone, trackingNumber: "+15550107002" },
    }),
    200,
  );
  const hunter = await apex.GET("/api/v1/projects/{id}/lead-hunter-settings", { params: { path: { id: projectId } } });
  answered(
    "the hunter's settings",
    await apex.PUT("/api/v1/projects/{id}/lead-hunter-settings", {
      params: { path: { id: projectId }, header: { "if-match": hunter.response.headers.get("etag") ?? "" } },
      body: { keywords: ["water heater"], places: ["Austin", "Round Rock"], maxPagesPerRun: 3 },
    }),
    200,
  );

  const hunt = async () => {
    const started = await apex.POST("/api/v1/tasks/{task}", {
      params: { path: { task: "sniper_agent" } },
      body: { params: { projectId } },
    });
    const ticket = answered("Hunt now", started, 202) as { id: string };
    // Watched while it runs: the messages the ticket reports, in order, as the Hunt page shows them.
    const seen: string[] = [];
    for (let i = 0; i < 1_200; i++) {
      const read = await apex.GET("/api/v1/tickets/{id}", { params: { path: { id: ticket.id } } });
      const now = answered("the hunt's ticket", read, 200) as { status: string; message: string; error: string | null };
      if (now.message && seen.at(-1) !== now.message) seen.push(now.message);
      if (now.status === "completed") return { id: ticket.id, seen };
      expect(now.status !== "failed" && now.status !== "cancelled", `the hunt ${now.status}: ${now.error}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(`the hunt did not finish; it said ${seen.join(" | ")}`);
  };

  const first = await hunt();
  const pages = first.seen.filter((message) => / page \d+ for "water heater"/.test(message));
  expect(
    pages.some((m) => m.startsWith("Gig board")) && pages.some((m) => m.startsWith("Trades board")),
    `progress was not reported per board and page while the hunt ran: ${first.seen.join(" | ")}`,
  );
  const overview = async () => {
    const response = await fetch(`${baseUrl}/api/v1/projects/${projectId}/hunt`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.status === 200, `the hunt overview answered ${response.status}`);
    return (await response.json()) as HuntOverview;
  };
  const found = (await overview()).leads;
  const names = found.map((lead) => lead.name).sort();
  expect(
    JSON.stringify(names) === JSON.stringify(EXPECTED),
    `hunted ${JSON.stringify(names)}, expected exactly ${JSON.stringify(EXPECTED)}`,
  );
  for (const lead of found) {
    expect(
      !/\/(private|members)\//.test(lead.url) && lead.platform !== "" && lead.place !== null,
      `lead ${lead.name} lacks provenance or came from a disallowed path: ${JSON.stringify(lead)}`,
    );
    const shot = await fetch(`${baseUrl}/api/v1/leads/${lead.id}/hunt-screenshot`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const bytes = new Uint8Array(await shot.arrayBuffer());
    expect(
      shot.status === 200 && bytes[0] === 0x89 && bytes[1] === 0x50,
      `no PNG screenshot for ${lead.name}: ${shot.status}`,
    );
  }
  for (const [board, base] of Object.entries(stack.jobBoards)) {
    const asked = (await (await fetch(`${base}/_sim/requests`)).json()) as string[];
    const forbidden = asked.filter((path) => /^\/(private|members)\//.test(path));
    expect(forbidden.length === 0, `the ${board} board was asked for disallowed paths: ${forbidden.join(", ")}`);
  }

  // The hot ones reach the owner's phone (scoring runs on the queue after the hunt).
  const alerts = async () =>
    (
      (await (await fetch(`${stack.twilioSimulatorUrl}/_sim/messages`)).json()) as {
        messages: { to: string; body: string }[];
      }
    ).messages
      .filter((m) => m.to === ownerPhone && m.body.startsWith("New job on"))
      .map((m) => m.body);
  let texts: string[] = [];
  for (let i = 0; i < 120 && texts.length < HOT.length; i++) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    texts = await alerts();
  }
  for (const title of HOT) {
    expect(
      texts.some((body) => body.includes(title)),
      `the owner was not told about "${title}"; texts: ${JSON.stringify(texts)}`,
    );
  }

  const second = await hunt();
  const after = (await overview()).leads;
  expect(after.length === found.length, `the second hunt added ${after.length - found.length} leads`);
  expect(second.id !== first.id, "the second hunt joined the first, which had finished");
}
