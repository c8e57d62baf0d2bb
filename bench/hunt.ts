/**
 * Issue #15's figures, measured: one hunt of both local job boards through
 * real Browser Rendering (Debian's Chromium) on the bench's stack, started
 * as "Hunt now" starts it and read back from its ticket.
 *
 * What counts: pages a minute (result and post pages opened, over the run's
 * wall time) against the ceiling the boards' robots.txt sets (Crawl-delay:
 * one page a second per board, boards one after another: 60 a minute), and
 * per page the time from opening it until the board's scripts had rendered
 * it, and per post the extraction (the model through the LLM gateway, the
 * Gemini simulator here) — p50 and p90.
 */
import { percentile } from "./percentile.ts";

export interface HuntBenchResult {
  keywords: string[];
  places: string[];
  maxPagesPerRun: number;
  pages: number;
  postsRead: number;
  created: number;
  duplicates: number;
  failedBoards: string[];
  wallSeconds: number;
  pagesPerMinute: number;
  /** The boards' Crawl-delay (1 s) makes 60 pages a minute the most a polite hunter may read. */
  politeCeilingPerMinute: number;
  ratioToCeiling: number;
  renderP50Ms: number | null;
  renderP90Ms: number | null;
  extractP50Ms: number | null;
  extractP90Ms: number | null;
  extractedBy: string;
}

interface Timing {
  pages: number;
  elapsedMs: number;
  renderMs: number[];
  extractMs: number[];
}

async function json<T>(response: Response, what: string, expected: number): Promise<T> {
  if (response.status !== expected) throw new Error(`${what}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

export async function measureHunt({ baseUrl }: { baseUrl: string }): Promise<HuntBenchResult> {
  const signup = await json<{ accessToken: string; projectId: string }>(
    await fetch(`${baseUrl}/api/v1/auth/signup`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        email: `bench-hunt-${Date.now()}@example.com`,
        password: "a long enough password",
        name: "Bench",
        tenantName: "Bench Hunt",
        projectName: "Main",
      }),
    }),
    "signup",
    201,
  );
  const auth = { authorization: `Bearer ${signup.accessToken}`, "content-type": "application/json" };
  const settings = { keywords: ["water", "drain", "toilet"], places: ["Austin"], maxPagesPerRun: 3 };
  const path = `${baseUrl}/api/v1/projects/${signup.projectId}/lead-hunter-settings`;
  const etag = (await fetch(path, { headers: auth })).headers.get("etag") ?? "";
  await json(
    await fetch(path, { method: "PUT", headers: { ...auth, "if-match": etag }, body: JSON.stringify(settings) }),
    "hunter settings",
    200,
  );
  const started = Date.now();
  const ticket = await json<{ id: string }>(
    await fetch(`${baseUrl}/api/v1/tasks/sniper_agent`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ params: { projectId: signup.projectId } }),
    }),
    "Hunt now",
    202,
  );
  for (;;) {
    const now = await json<{
      status: string;
      error: string | null;
      result: {
        created: number;
        duplicates: number;
        timing: Timing;
        platforms: { label: string; status: string; read: number; error?: string }[];
      } | null;
    }>(await fetch(`${baseUrl}/api/v1/tickets/${ticket.id}`, { headers: auth }), "the hunt's ticket", 200);
    if (now.status === "failed" || now.status === "cancelled") throw new Error(`the hunt ${now.status}: ${now.error}`);
    if (now.status === "completed" && now.result) {
      const { timing, platforms } = now.result;
      const wallSeconds = (Date.now() - started) / 1000;
      const pagesPerMinute = Math.round((timing.pages / (timing.elapsedMs / 60_000)) * 10) / 10;
      const leads = await json<{ leads: { id: string }[] }>(
        await fetch(`${baseUrl}/api/v1/projects/${signup.projectId}/hunt`, { headers: auth }),
        "overview",
        200,
      );
      const provider = await json<{ provider?: string }>(
        await fetch(`${baseUrl}/api/v1/settings/llm`, { headers: auth }),
        "llm settings",
        200,
      );
      return {
        ...settings,
        pages: timing.pages,
        postsRead: platforms.reduce((sum, p) => sum + p.read, 0),
        created: leads.leads.length,
        duplicates: now.result.duplicates,
        failedBoards: platforms.filter((p) => p.status !== "completed").map((p) => `${p.label}: ${p.error}`),
        wallSeconds: Math.round(wallSeconds * 10) / 10,
        pagesPerMinute,
        politeCeilingPerMinute: 60,
        ratioToCeiling: Math.round((pagesPerMinute / 60) * 100) / 100,
        renderP50Ms: percentile(timing.renderMs, 50),
        renderP90Ms: percentile(timing.renderMs, 90),
        extractP50Ms: percentile(timing.extractMs, 50),
        extractP90Ms: percentile(timing.extractMs, 90),
        extractedBy: provider.provider ?? "unknown",
      };
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

const ms = (value: number | null) => (value === null ? "—" : String(value));

export function huntMarkdown(hunt: { date: string } & HuntBenchResult): string {
  const h = hunt;
  const lines = [
    `## Lead hunter (${h.date})`,
    "",
    `One hunt of both local job boards (posts rendered by client-side JavaScript) through Browser Rendering on`,
    `Debian's Chromium: keywords ${h.keywords.join(", ")} in ${h.places.join(", ")}, up to ${h.maxPagesPerRun} result`,
    `pages each. The boards' robots.txt asks for a second between pages, so 60 pages a minute is the polite`,
    `ceiling. Extraction by ${h.extractedBy}.${h.failedBoards.length ? ` Failed: ${h.failedBoards.join("; ")}.` : ""}`,
    "",
    "| pages | posts read | new leads | already known | wall s | pages / min | ratio to ceiling | render p50 / p90 ms | extraction p50 / p90 ms |",
    "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    `| ${h.pages} | ${h.postsRead} | ${h.created} | ${h.duplicates} | ${h.wallSeconds} | ${h.pagesPerMinute} | ${h.ratioToCeiling} | ${ms(h.renderP50Ms)} / ${ms(h.renderP90Ms)} | ${ms(h.extractP50Ms)} / ${ms(h.extractP90Ms)} |`,
  ];
  return `${lines.join("\n")}\n`;
}
