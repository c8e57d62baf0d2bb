import type { Reachability } from "../llm/reachability";

/** How long an answer stands: a good one for a minute, a failure for ten seconds. */
const OK_FOR_MS = 60_000;
const FAILED_FOR_MS = 10_000;

/**
 * The last answer of each integration probe, per isolate. /api/health is
 * public and polled by load balancers and uptime checks, often several times
 * a second; probing Twilio and Google on every poll would spend their rate
 * limits, add their latency to ours, and let anyone make us call them. A
 * minute-old "ok" is fresh enough for a dependency that never turns health
 * red; a failure is kept for less so that a fix shows within seconds, while
 * a down provider is still asked at most every ten seconds per isolate.
 *
 * Only settled answers are kept, never a probe in flight: a promise begun in
 * one request and awaited by another ties the second to the first's I/O, which
 * Workers cancels when the first request ends. Isolates are many and short
 * lived, so the cache bounds the probes, it does not make them one.
 */
export class ProbeCache {
  private readonly answers = new Map<string, { answer: Reachability; until: number }>();
  private readonly now: () => number;

  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  /** `key` names the configuration probed (address, account), so a changed setting is probed afresh. */
  async get(key: string, probe: () => Promise<Reachability>): Promise<Reachability> {
    const kept = this.answers.get(key);
    if (kept && kept.until > this.now()) return kept.answer;
    const answer = await probe();
    this.answers.set(key, { answer, until: this.now() + (answer.status === "ok" ? OK_FOR_MS : FAILED_FOR_MS) });
    return answer;
  }
}
