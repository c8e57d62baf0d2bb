/**
 * Where one piece of work spent its time, stage by stage: `mark(stage)`
 * charges the time since the previous mark (or the start) to `stage`. The
 * intake request and the bridge log theirs ("intake stages", "bridge
 * stages"), and `npm run bench` names the stage that takes the time when a
 * speed target is missed.
 *
 * Workers advance `Date.now()` only across I/O, so a stage's time is the
 * wait for its I/O plus the CPU work before it: exactly what a lead waits for.
 */
export interface StageClock {
  /** Epoch ms when the clock started. */
  readonly startedAt: number;
  mark(stage: string): void;
  /** Milliseconds per stage, in the order the stages were first marked. */
  stages(): Record<string, number>;
}

export function stageClock(now: () => number = Date.now): StageClock {
  const startedAt = now();
  let last = startedAt;
  const spent: Record<string, number> = {};
  return {
    startedAt,
    mark(stage) {
      const at = now();
      spent[stage] = (spent[stage] ?? 0) + (at - last);
      last = at;
    },
    stages: () => ({ ...spent }),
  };
}

/** For callers that keep no time. */
export const noStageClock: StageClock = { startedAt: 0, mark: () => undefined, stages: () => ({}) };
