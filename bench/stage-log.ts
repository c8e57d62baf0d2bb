/**
 * The Worker's "intake stages" and "bridge stages" log lines
 * (workers/stage-clock.ts), read off `wrangler dev`'s output, and one lead's
 * way from its request to the Twilio simulator cut into stages that add up
 * to exactly the latency the bench measured.
 */
import { percentile } from "./percentile.ts";

interface StageLine {
  leadId: string;
  startedAt: number;
  stages: Record<string, number>;
}

export class StageLog {
  private readonly intake = new Map<string, StageLine>();
  private readonly bridge = new Map<string, StageLine>();

  /** True when the line was a stage line (kept, not printed). */
  take(line: string): boolean {
    const kind = line.includes('"msg":"intake stages"')
      ? this.intake
      : line.includes('"msg":"bridge stages"')
        ? this.bridge
        : undefined;
    if (!kind) return false;
    try {
      const parsed = JSON.parse(line.slice(line.indexOf("{"))) as Partial<StageLine>;
      if (typeof parsed.leadId === "string" && typeof parsed.startedAt === "number" && parsed.stages) {
        // The first bridge run of a lead is the one that dialled; a later one found the dial done.
        if (!kind.has(parsed.leadId)) kind.set(parsed.leadId, parsed as StageLine);
      }
    } catch {
      // A torn line: the lead simply has no breakdown.
    }
    return true;
  }

  /**
   * Request sent (`sentAt`, the bench's clock) → simulator received the call
   * (`dialledAt`), as consecutive stages; undefined without both lines.
   */
  path(leadId: string, sentAt: number, dialledAt: number): Array<[string, number]> | undefined {
    const intake = this.intake.get(leadId);
    const bridge = this.bridge.get(leadId);
    if (!intake || !bridge) return undefined;
    const segments: Array<[string, number]> = [["request reaches the intake route", intake.startedAt - sentAt]];
    let at = intake.startedAt;
    for (const [stage, ms] of Object.entries(intake.stages)) {
      segments.push([`intake: ${stage}`, ms]);
      at += ms;
      if (stage === "settle") break; // the bridge starts here; the rest of intake runs beside it
    }
    segments.push(["hand-off to the bridge", bridge.startedAt - at]);
    at = bridge.startedAt;
    for (const [stage, ms] of Object.entries(bridge.stages)) {
      if (stage === "Twilio request") break;
      segments.push([`bridge: ${stage}`, ms]);
      at += ms;
    }
    segments.push(["Twilio request reaches the simulator", dialledAt - at]);
    return segments;
  }
}

export interface StageFigure {
  stage: string;
  p50Ms: number;
  p99Ms: number;
  /** Share of the time of the slowest 5 % of leads spent in this stage. */
  shareOfSlowest: number;
}

/** Per-stage p50/p99 over the leads, and each stage's share of the slowest 5 %'s time. */
export function stageFigures(paths: Array<{ latency: number; segments: Array<[string, number]> }>): StageFigure[] {
  if (paths.length === 0) return [];
  const names = [...new Set(paths.flatMap((p) => p.segments.map(([name]) => name)))];
  const slowest = [...paths].sort((a, b) => b.latency - a.latency).slice(0, Math.max(1, Math.ceil(paths.length / 20)));
  const slowTotal = slowest.reduce((sum, p) => sum + p.latency, 0) || 1;
  return names.map((stage) => {
    const values = paths.map((p) => p.segments.find(([name]) => name === stage)?.[1] ?? 0);
    const slow = slowest.reduce((sum, p) => sum + (p.segments.find(([name]) => name === stage)?.[1] ?? 0), 0);
    return {
      stage,
      p50Ms: percentile(values, 50) ?? 0,
      p99Ms: percentile(values, 99) ?? 0,
      shareOfSlowest: Math.round((slow / slowTotal) * 100) / 100,
    };
  });
}
