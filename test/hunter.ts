import { env } from "cloudflare:workers";
import type { JobBoardPost } from "../dev/simulators/job-board";
import type { Database } from "../schema/db";
import { systemActor } from "../workers/context";
import { type HuntResult, hunt } from "../workers/hunter/hunt";
import { createLogger } from "../workers/logger";
import { contextFor } from "../workers/service-context";
import { request } from "./helpers";
import { jsonRequest, type TestTenant } from "./tenants";

/**
 * The lead hunter's tests run against the job-board simulators that
 * test/global-setup.ts starts, each test on lanes of its own (their own
 * posts, their own 429 or hang switch, their own request log), reached with
 * real Browser Rendering (Debian's Chromium).
 */
export type Board = "gigs" | "trades";

export const boardUrl = (board: Board) => (board === "gigs" ? env.HUNTER_GIGS_URL : env.HUNTER_TRADES_URL);

/** A lane of a board: the whole site under `/_sim/lanes/{name}`, with `posts` (or the bundled ones). */
export async function lane(board: Board, name: string, posts?: JobBoardPost[]): Promise<string> {
  const base = `${boardUrl(board)}/_sim/lanes/${name}-${crypto.randomUUID().slice(0, 8)}`;
  if (posts) {
    const put = await fetch(`${base}/_sim/posts`, { method: "PUT", body: JSON.stringify(posts) });
    if (!put.ok) throw new Error(`lane posts: ${put.status}`);
  }
  return base;
}

export async function setMode(laneUrl: string, mode: "ok" | "429" | "hang"): Promise<void> {
  const put = await fetch(`${laneUrl}/_sim/mode`, { method: "PUT", body: JSON.stringify({ mode }) });
  if (!put.ok) throw new Error(`lane mode: ${put.status}`);
}

/** Every path the lane was asked for, in order. */
export async function laneRequests(laneUrl: string): Promise<string[]> {
  const body = await (await fetch(`${laneUrl}/_sim/requests`)).json<{ requests: string[] } | string[]>();
  return Array.isArray(body) ? body : body.requests;
}

/** PUT the project's lead-hunter settings through the API, as the owner. */
export async function configureHunter(tenant: TestTenant, settings: Record<string, unknown>): Promise<Response> {
  const path = `/api/v1/projects/${tenant.projectId}/lead-hunter-settings`;
  const etag = (await request(path, { headers: tenant.auth })).headers.get("etag") ?? "";
  return request(path, jsonRequest("PUT", settings, { ...tenant.auth, "if-match": etag }));
}

/**
 * One hunt run as the sniper agent runs it, with the boards at `boards`
 * (lanes): the service itself, so a test's boards are its own. Progress
 * messages are collected in order.
 */
export async function huntOn(
  tenant: TestTenant,
  boards: Partial<Record<Board, string>>,
  db: Database,
  runKey = crypto.randomUUID(),
): Promise<{ result: HuntResult; progress: string[] }> {
  const progress: string[] = [];
  const context = contextFor(systemActor(tenant.tenantId, "hunt-test"), {
    env: {
      ...env,
      HUNTER_GIGS_URL: boards.gigs ?? "",
      HUNTER_TRADES_URL: boards.trades ?? "",
    } as Env,
    db: () => db,
    log: createLogger({ test: "hunter" }),
  });
  const result = await hunt(tenant.projectId, {
    ...context,
    runKey,
    progress: async (_percent, message) => {
      progress.push(message);
    },
  });
  return { result, progress };
}

/** A post for a lane, with defaults a plumber in Austin would want. */
export function post(id: string, fields: Partial<JobBoardPost> & { title: string }): JobBoardPost {
  return {
    id,
    body: `${fields.title}. Please get in touch.`,
    place: "Austin",
    city: "Austin",
    lat: 30.2672,
    lon: -97.7431,
    postedMinutesAgo: 30,
    ...fields,
  };
}
